package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
)

// Figures people read. Rows are built with the machine's values — integer cents, RFC 3339
// instants in UTC — which JSON writes as they are (its keys are the columns' names, and a
// money column's name ends in _cents). CSV is for people: its header is in plain English
// or French (the catalogue's report.col.* words), each money column is written twice —
// as the language writes it ("$1,250.00", "1 250,00 $") and, in the column after, as a
// plain decimal a spreadsheet sums ("1250.00", French "1250,00") — and instants are
// shown in Options.Location with the zone said ("2026-11-20 14:05 EST", the header
// naming the zone). docs/staff.md says why.

// kind is how a column's values are shown in CSV.
type kind int

const (
	text       kind = iota
	money           // integer cents, in the campaign's currency (CAD)
	instant         // an RFC 3339 instant
	calendar        // a calendar day (2006-01-02), counted in Options.Location
	minorUnits      // an amount in another currency's smallest unit, left as it is
)

// kindOf is the kind of column key in the report called name.
func kindOf(name, key string) kind {
	switch {
	case name == "payments" && key == "charged_cents":
		return minorUnits // what Stripe charged in another currency: no dollar sign fits it
	case strings.HasSuffix(key, "_cents"):
		return money
	case key == "day":
		return calendar
	case strings.HasSuffix(key, "_at") || key == "date" || key == "paid_from" || key == "paid_through":
		return instant
	}
	return text
}

// labelOf is the catalogue key of column key's header in the report called name.
func labelOf(name, key string) string {
	switch {
	case name == "payments" && key == "charged_cents":
		return "report.col.charged_foreign"
	case name == "donations" && key == "voided_cents":
		return "report.col.voided_amount" // a gift's, beside its "Voided" yes or no
	}
	return "report.col." + key
}

// zoneName is how a CSV header and an html page name loc: its IANA name
// (America/Toronto), or the language's "local time" for a zone without one (Go's Local,
// whose name is unknown; each CSV cell still says its zone's abbreviation).
func zoneName(lang i18n.Lang, loc *time.Location) string {
	if n := loc.String(); n != "" && n != "Local" {
		return n
	}
	return i18n.Text(lang, i18n.M("report.zone.local"))
}

// csvHeader is the CSV header of the columns keys of the report called name.
func csvHeader(name string, keys []string, lang i18n.Lang, loc *time.Location) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		label := i18n.Text(lang, i18n.M(labelOf(name, k)))
		switch kindOf(name, k) {
		case money:
			out = append(out, label, i18n.Text(lang, i18n.M("report.col.number", label)))
		case instant, calendar:
			out = append(out, i18n.Text(lang, i18n.M("report.col.zoned", label, zoneName(lang, loc))))
		default:
			out = append(out, label)
		}
	}
	return out
}

// csvCells is row of the columns keys as CSV shows it (before SafeCell).
func csvCells(name string, keys, row []string, lang i18n.Lang, loc *time.Location) []string {
	out := make([]string, 0, len(row)+4)
	for i, v := range row {
		k := ""
		if i < len(keys) {
			k = keys[i]
		}
		switch kindOf(name, k) {
		case money:
			c, err := strconv.ParseInt(v, 10, 64)
			if err != nil { // empty, or not cents (an email's data): shown as it is
				out = append(out, v, v)
				continue
			}
			out = append(out, i18n.FormatCents(lang, c), Decimal(lang, c))
		case instant:
			out = append(out, LocalTime(v, loc))
		case calendar:
			if v == totalLabel {
				v = i18n.Text(lang, i18n.M("report.total"))
			}
			out = append(out, v)
		default:
			out = append(out, v)
		}
	}
	return out
}

// totalLabel labels a report's total row (in JSON; CSV writes report.total's words).
const totalLabel = "total"

// Decimal writes cents as a plain decimal number of dollars, with lang's decimal mark
// and no grouping or sign of currency, as a spreadsheet in that language reads a
// number: "1250.00" and "-12.50" in English, "1250,00" and "-12,50" in French.
func Decimal(lang i18n.Lang, cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents) // -MinInt64 wraps to itself: as uint64 it is exact
	}
	mark := "."
	if lang == i18n.FR {
		mark = ","
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatUint(u/100, 10) + mark + frac
}

// LocalTime writes an RFC 3339 instant in loc to the minute, with the zone's
// abbreviation: "2026-11-20 14:05 EST". A value that is not one is left as it is.
func LocalTime(rfc3339 string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}
