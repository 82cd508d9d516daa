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
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
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
	Campaign string // appeal: one campaign (all when empty)
	// From, To: new-members, new-members-by-week, failed-payments, failed-emails: the
	// instants [From, To); staff reads -from and -to as the starts of days in Location.
	From, To time.Time
	Now      time.Time // subscriptions-due, subscriptions-lapsed
	Days     int       // subscriptions-due: the window
	Format   string    // csv, json or html (html.go: appeal, members-by-branch, new-members, new-members-by-week)
	// Lang is the language of an html page, and of a CSV's header and amounts (English
	// when empty).
	Lang i18n.Lang
	// Location is the time zone days and weeks are counted in, and a CSV's times shown
	// in (UTC when nil).
	Location *time.Location
	// Org names the organization on an html page (organization.Default when zero).
	Org organization.Identity
}

// location is o.Location, or UTC.
func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
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
	"new-members-by-week":  "sign-ups per ISO week, weeks without any shown as zero (-from, -to)",
	"subscriptions-due":    "subscriptions renewing in the next days (-days)",
	"subscriptions-lapsed": "subscriptions that ended or are past due",
	"failed-payments":      "payments that failed, from the emails they caused (-from, -to)",
	"failed-emails":        "emails that ended unsent: refused by SES, or to a suppressed address (-from, -to)",
}

// New returns the report called name, writing to w.
func New(name string, o Options, w io.Writer) (Report, error) {
	if o.Format == "html" {
		return newHTML(name, o, w)
	}
	out, err := newWriter(w, name, o)
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
	case "new-members-by-week":
		return &weekly{out: out, o: o, counts: map[string]int{}}, nil
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
	err    error // writing CSV's byte-order mark
	// For CSV (figures.go): the report's name, and the language and zone it is shown in.
	name string
	lang i18n.Lang
	loc  *time.Location
}

func newWriter(w io.Writer, name string, o Options) (*writer, error) {
	out := &writer{w: w, name: name, lang: o.Lang, loc: o.location()}
	switch o.Format {
	case "", "csv":
		out.csv = csv.NewWriter(w)
		out.csv.Comma = CSVComma(o.Lang)
		return out, nil
	case "json":
		return out, nil
	}
	return nil, fmt.Errorf("format %q: choose csv, json or html", o.Format)
}

// BOM is the UTF-8 byte-order mark every CSV report begins with: without it, Excel on
// Windows reads the file in the machine's old code page ("ReÃ§u le" for "Reçu le").
const BOM = "\ufeff"

// CSVComma is the separator of a CSV report in lang: ";" in French, which French-locale
// Excel splits a double-clicked file at ("," being its decimal mark); "," in English.
func CSVComma(lang i18n.Lang) rune {
	if lang == i18n.FR {
		return ';'
	}
	return ','
}

// start begins the output: for CSV the byte-order mark, then the header, the columns'
// words in the writer's language (figures.go); for JSON, the columns' names are the
// objects' keys.
func (w *writer) start(header []string) {
	w.header = header
	if w.csv != nil {
		_, w.err = io.WriteString(w.w, BOM) // before the csv.Writer's buffer is flushed; finish returns an error
		_ = w.csv.Write(csvHeader(w.name, header, w.lang, w.loc))
	}
}

// row writes one row of machine values (cents, RFC 3339 instants): as they are in JSON,
// as people read them in CSV (figures.go), formula-safe.
func (w *writer) row(cells []string) error {
	if w.csv != nil {
		cells = csvCells(w.name, w.header, cells, w.lang, w.loc)
		for i := range cells {
			cells[i] = SafeCell(cells[i])
		}
		return w.csv.Write(cells)
	}
	// An object keyed by the columns' names, in the columns' order.
	b := []byte{'{'}
	for i, c := range cells {
		k, err := json.Marshal(w.header[i])
		if err != nil {
			return err
		}
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	b = append(b, '}')
	sep := ",\n"
	if w.n == 0 {
		sep = "[\n"
	}
	w.n++
	_, err := io.WriteString(w.w, sep+string(b))
	return err
}

func (w *writer) finish() error {
	if w.csv != nil {
		w.csv.Flush()
		if w.err != nil {
			return w.err
		}
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
// begins after the ";". A plain number ("-2500", "12.50", French "-12,50") is left as it
// is, so amounts stay numbers, and so is an amount exactly as i18n.FormatCents writes it
// ("-$1,250.00", "-1 250,00 $"): made from integer cents, only digits, separators, "$"
// and a leading "-", it can run nothing, and a refund reads "-$12.50", not "'-$12.50".
// A value already defused is left unchanged.
func SafeCell(s string) string {
	if s == "" || plainNumber(s) || formattedAmount(s) {
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

// plainNumber reports whether s is a decimal number, perhaps negative, with a point or
// (as French writes it) a comma: "2500", "-12.50", "-12,50".
func plainNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	if !dot {
		whole, frac, dot = strings.Cut(s, ",")
	}
	return digits(whole) && (!dot || digits(frac))
}

func digits(p string) bool {
	return p != "" && strings.Trim(p, "0123456789") == ""
}

// formattedAmount reports whether s is an amount exactly as i18n.FormatCents writes it:
// "$1,250.00", "-$12.50", "1\u00a0250,00\u00a0$", "-12,50\u00a0$".
func formattedAmount(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if en, ok := strings.CutPrefix(s, "$"); ok {
		return groupedAmount(en, ",", ".")
	}
	if fr, ok := strings.CutSuffix(s, "\u00a0$"); ok {
		return groupedAmount(fr, "\u00a0", ",")
	}
	return false
}

// groupedAmount: digits in groups of three joined by sep (the first of 1 to 3), then mark
// and two digits.
func groupedAmount(s, sep, mark string) bool {
	whole, frac, ok := strings.Cut(s, mark)
	if !ok || len(frac) != 2 || !digits(frac) {
		return false
	}
	groups := strings.Split(whole, sep)
	for i, g := range groups {
		if !digits(g) || len(g) > 3 || (i > 0 && len(g) != 3) {
			return false
		}
	}
	return true
}
