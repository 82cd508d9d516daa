package webhook

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/plan"
)

// switchedTypes reads the package's source and returns every event type a `switch
// ev.Type` names in a case.
func switchedTypes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	var types []string
	for _, file := range []string{"handler.go", "subscriptions.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			sel, ok := sw.Tag.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Type" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "ev" {
				return true
			}
			for _, stmt := range sw.Body.List {
				for _, e := range stmt.(*ast.CaseClause).List {
					lit, ok := e.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: a case that is not a string literal: %T", fset.Position(e.Pos()), e)
					}
					s, _ := strconv.Unquote(lit.Value)
					types = append(types, s)
				}
			}
			return true
		})
	}
	slices.Sort(types)
	return slices.Compact(types)
}

func TestHandledEventsAreTheSwitches(t *testing.T) {
	switched := switchedTypes(t)
	if len(switched) < 10 {
		t.Fatalf("found only %d switched types: %v (did the switches move?)", len(switched), switched)
	}
	if got := HandledEvents(); !slices.Equal(got, switched) {
		t.Fatalf("HandledEvents() = %v\nthe handler switches on %v", got, switched)
	}
	if !slices.IsSorted(handled) {
		t.Fatal("handled must stay sorted: Handles searches it")
	}
	for _, typ := range switched {
		if !Handles(typ) {
			t.Errorf("Handles(%q) is false", typ)
		}
	}
	for _, typ := range []string{"", "charge.succeeded", "invoice.created", "checkout.session", "*"} {
		if Handles(typ) {
			t.Errorf("Handles(%q) is true", typ)
		}
	}
	got := HandledEvents()
	got[0] = "changed"
	if HandledEvents()[0] == "changed" {
		t.Fatal("HandledEvents returns the package's own slice")
	}
}

func TestAPIVersionIsStripeGos(t *testing.T) {
	if APIVersion != "2023-10-16" {
		t.Fatalf("APIVersion %q: the handler's code was written against 2023-10-16", APIVersion)
	}
}

// An event of a type not in the list is acknowledged without a call to the store, even
// one whose object would otherwise look like ours.
func TestUnhandledTypesAreIgnored(t *testing.T) {
	l := &ledger{}
	h := Handler{Secret: secret, Ledger: l, Subscriptions: plans{}, Plans: plan.Default()}
	obj := localpay.SessionCompleted(gift)
	if st := signed(h, localpay.Event("checkout.session.expired", obj, time.Now())); st != 200 {
		t.Fatalf("status %d", st)
	}
	if len(l.payments)+len(l.links)+len(l.fails) != 0 {
		t.Fatalf("ledger %+v", l)
	}
}
