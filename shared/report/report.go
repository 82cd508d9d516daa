// Package report turns table items — from an export or the live table — into what staff
// read: row listings (donations, payments, members, subscriptions) and reports (appeal
// totals by day, members by branch, new members, subscriptions due or lapsed, failed
// payments), as CSV or JSON. Listings stream; reports keep only their totals or the rows
// they select, so memory stays small whatever the table's size.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dynamo"
)

// Item is one table item.
type Item = map[string]types.AttributeValue

// Report consumes items and writes its result.
type Report interface {
	// Add takes one item; items of other types are ignored.
	Add(it Item) error
	// Finish writes what remains (totals, selected rows).
	Finish() error
}

// Options are the parameters reports take.
type Options struct {
	Campaign string    // appeal: one campaign (all when empty)
	From, To time.Time // new-members, failed-payments, failed-emails: [From, To)
	Now      time.Time // subscriptions-due, subscriptions-lapsed
	Days     int       // subscriptions-due: the window
	Format   string    // csv or json
}

// Names lists the reports, with what each is.
var Names = map[string]string{
	"donations":            "every donation and offline gift, one row each",
	"payments":             "every confirmed payment, with its refunds",
	"members":              "every member",
	"subscriptions":        "every subscription and dues plan",
	"appeal":               "appeal totals: online, offline, refunded, net, by day (-campaign)",
	"members-by-branch":    "members by branch and status",
	"new-members":          "members who signed up in a period (-from, -to)",
	"subscriptions-due":    "subscriptions renewing in the next days (-days)",
	"subscriptions-lapsed": "subscriptions that ended or are past due",
	"failed-payments":      "payments that failed, from the emails they caused (-from, -to)",
	"failed-emails":        "emails that ended unsent: refused by SES, or to a suppressed address (-from, -to)",
}

// New returns the report called name, writing to w.
func New(name string, o Options, w io.Writer) (Report, error) {
	out, err := newWriter(w, o.Format)
	if err != nil {
		return nil, err
	}
	switch name {
	case "donations":
		return &listing{out: out, types: map[string]rowFunc{dynamo.TypeDonation: donationRow, dynamo.TypeOffline: offlineRow}, header: donationColumns}, nil
	case "payments":
		return &listing{out: out, types: map[string]rowFunc{dynamo.TypePayment: paymentRow}, header: paymentColumns}, nil
	case "members":
		return &listing{out: out, types: map[string]rowFunc{dynamo.TypeMember: memberRow}, header: memberColumns}, nil
	case "subscriptions":
		return &listing{out: out, types: map[string]rowFunc{dynamo.TypeSubscription: subscriptionRow}, header: subscriptionColumns}, nil
	case "appeal":
		return &appeal{out: out, o: o, days: map[string]*dayTotals{}}, nil
	case "members-by-branch":
		return &byBranch{out: out, counts: map[string]map[string]int{}}, nil
	case "new-members":
		return &selected{out: out, header: memberColumns, keep: newMember(o)}, nil
	case "subscriptions-due":
		return &selected{out: out, header: subscriptionColumns, keep: subscriptionDue(o)}, nil
	case "subscriptions-lapsed":
		return &selected{out: out, header: subscriptionColumns, keep: subscriptionLapsed(o)}, nil
	case "failed-payments":
		return &selected{out: out, header: failedColumns, keep: failedPayment(o)}, nil
	case "failed-emails":
		return &selected{out: out, header: endedColumns, keep: endedEmail(o)}, nil
	}
	return nil, fmt.Errorf("no report %q", name)
}

// Sorted lists the report names.
func Sorted() []string {
	out := make([]string, 0, len(Names))
	for n := range Names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// typeOf is the item's type, one of dynamo's Type… constants.
func typeOf(it Item) string { return dynamo.ItemType(it) }

func decode[T any](it Item) (T, error) {
	var v T
	err := attributevalue.UnmarshalMap(it, &v)
	return v, err
}

// writer writes rows as CSV (formula-safe) or a JSON array of objects, streaming.
type writer struct {
	w      io.Writer
	csv    *csv.Writer
	header []string
	n      int
}

func newWriter(w io.Writer, format string) (*writer, error) {
	switch format {
	case "", "csv":
		return &writer{w: w, csv: csv.NewWriter(w)}, nil
	case "json":
		return &writer{w: w}, nil
	}
	return nil, fmt.Errorf("format %q: choose csv or json", format)
}

func (w *writer) start(header []string) {
	w.header = header
	if w.csv != nil {
		_ = w.csv.Write(header)
	}
}

func (w *writer) row(cells []string) error {
	if w.csv != nil {
		for i := range cells {
			cells[i] = SafeCell(cells[i])
		}
		return w.csv.Write(cells)
	}
	obj := make(map[string]string, len(cells))
	for i, c := range cells {
		obj[w.header[i]] = c
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	sep := ",\n"
	if w.n == 0 {
		sep = "[\n"
	}
	w.n++
	_, err = io.WriteString(w.w, sep+string(b))
	return err
}

func (w *writer) finish() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	end := "\n]\n"
	if w.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(w.w, end)
	return err
}

// SafeCell keeps a value a person typed from being run as a formula when the CSV is
// opened in a spreadsheet (OWASP's CSV injection). A spreadsheet starts a formula at =, +,
// - or @ (or their full-width forms) where a cell begins, and a French-locale one splits
// cells at ";" as well as ",", without regard to our quoting: so a quote mark goes before
// each such character that begins the value or follows a ";", ",", tab or line break
// (with only spaces or double quotes between), and before a leading tab or carriage
// return. Quoting the value's start alone would not do: in "a;=HYPERLINK(…)" the formula
// begins after the ";". A plain number ("-2500", "12.50") is left as it is, so amounts
// stay numbers; a value already defused is left unchanged.
func SafeCell(s string) string {
	if s == "" || plainNumber(s) {
		return s
	}
	var b strings.Builder
	if s[0] == '\t' || s[0] == '\r' {
		b.WriteByte('\'')
	}
	start, last := true, 0 // start: at the beginning of what a spreadsheet could read as a cell
	for i, r := range s {
		switch {
		case strings.ContainsRune(";,\t\r\n", r):
			start = true
		case start && (unicode.IsSpace(r) || r == '"'):
		case start && strings.ContainsRune("=+-@\uff1d\uff0b\uff0d\uff20", r):
			b.WriteString(s[last:i])
			b.WriteByte('\'')
			start, last = false, i
		default:
			start = false
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// plainNumber reports whether s is a decimal number, perhaps negative: "2500", "-12.50".
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	digits := func(p string) bool {
		return p != "" && strings.Trim(p, "0123456789") == ""
	}
	return digits(whole) && (!dot || digits(frac))
}
