package assembly_test

import (
	"context"
	"slices"
	"testing"

	"github.com/solidarity/solidarity/shared/assembly/donatefn"
	"github.com/solidarity/solidarity/shared/assembly/portalfn"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/assembly/subscribefn"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/request"
)

// TestFormGuards: every form that emails or takes money has its guard, with the
// settings' limits and our own hostnames; Turnstile fails closed where an email goes to
// an address nobody has proven (members, portal), open where Stripe takes over.
func TestFormGuards(t *testing.T) {
	ctx := context.Background()
	e, calls := env(t, map[string]string{"ALLOWED_ORIGINS": "https://forms.solidarity.example, http://localhost:8080",
		"TURNSTILE_SECRET": "ts-secret", "RATE_LIMIT_PER_IP": "7", "RATE_LIMIT_PER_EMAIL": "3"})
	guards := map[string]request.Guard{}
	d, err := donatefn.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	guards["donations"] = d.Guard
	s, err := signupfn.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	guards["members"] = s.Guard
	sub, err := subscribefn.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	guards["subscriptions"] = sub.Guard
	p, err := portalfn.New(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	guards["portal"] = p.Guard
	for endpoint, g := range guards {
		f, ok := g.(guard.Form)
		if !ok {
			t.Fatalf("%s: guard %T", endpoint, g)
		}
		want := []string{"api.solidarity.example", "forms.solidarity.example", "localhost"}
		if f.Limit.Endpoint != endpoint || f.Limit.PerIP.Limit != 7 || f.Limit.PerEmail.Limit != 3 ||
			f.Bots.Secret != "ts-secret" || !slices.Equal(f.Bots.Hostnames, want) || f.Bots.Endpoint != endpoint {
			t.Errorf("%s: %+v", endpoint, f)
		}
		if closed := endpoint == "members" || endpoint == "portal"; f.Bots.FailClosed != closed {
			t.Errorf("%s: Turnstile fails closed %v, want %v", endpoint, f.Bots.FailClosed, closed)
		}
	}
	noCalls(t, calls)
}
