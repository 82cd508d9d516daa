package e2e

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/report"
	"github.com/solidarity/solidarity/shared/report/reporttest"
	"github.com/solidarity/solidarity/shared/staff"
)

// reportCSV runs `staff report name -export where -lang lang args…` as CSV, for people
// (the byte-order mark first, cells separated as lang's spreadsheets expect), and
// returns its header and rows.
func (s *stack) reportCSV(t *testing.T, client *s3.Client, where, name string, lang i18n.Lang, args ...string) ([]string, [][]string) {
	t.Helper()
	var out bytes.Buffer
	if err := staff.Run(context.Background(), s.sys.Store, staff.Sources{S3: client},
		append([]string{"report", name, "-export", where, "-lang", string(lang)}, args...), &out); err != nil {
		t.Fatalf("report %s: %v", name, err)
	}
	return reporttest.CSV(t, out.String(), lang)
}

// checkAppealInDollars: the appeal of a moto export, as CSV, says in dollars what its
// JSON total (cents: day, online, offline, refunded, disputed, net…) says, in English and
// in French, and its number columns sum to the total; the offline cheque's row in the
// donations report is in dollars too, its time in the zone the header names.
func checkAppealInDollars(t *testing.T, s *stack, client *s3.Client, where string, total []string) {
	cents := func(v string) int64 {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		return n
	}
	online, offline, refunded, net := cents(total[1]), cents(total[2]), cents(total[3]), cents(total[5])
	for _, c := range []struct {
		lang                          i18n.Lang
		day, totalWord, onlineN, netN string
		mark                          string
	}{
		{i18n.EN, "Day (America/Toronto)", "Total", "Online (number)", "Net (number)", "."},
		{i18n.FR, "Jour (America/Toronto)", "Total", "En ligne (nombre)", "Net (nombre)", ","},
	} {
		header, rows := s.reportCSV(t, client, where, "appeal", c.lang, "-campaign", localdev.AppealSlug, "-tz", "America/Toronto")
		if header[0] != c.day {
			t.Fatalf("%s: header %q", c.lang, header)
		}
		last := rows[len(rows)-1]
		// Each money column, then its number: Online 1-2, Offline 3-4, Refunded 5-6, Disputed 7-8, Net 9-10.
		want := []string{c.totalWord, i18n.FormatCents(c.lang, online), report.Decimal(c.lang, online), i18n.FormatCents(c.lang, offline),
			report.Decimal(c.lang, offline), i18n.FormatCents(c.lang, refunded), report.Decimal(c.lang, refunded)}
		if !slices.Equal(last[:len(want)], want) || last[9] != i18n.FormatCents(c.lang, net) {
			t.Fatalf("%s: total row %q, want %q… and net %q", c.lang, last, want, i18n.FormatCents(c.lang, net))
		}
		if c.lang == i18n.EN && !strings.HasPrefix(last[1], "$") || c.lang == i18n.FR && !strings.HasSuffix(last[1], "\u00a0$") {
			t.Fatalf("%s: online %q is not in dollars", c.lang, last[1])
		}
		// A spreadsheet sums the number columns: the days' net is the total's.
		ni := slices.Index(header, c.netN)
		var sum int64
		for _, r := range rows[:len(rows)-1] {
			sum += cents(strings.Replace(r[ni], c.mark, "", 1))
		}
		if sum != net || slices.Index(header, c.onlineN) != 2 {
			t.Fatalf("%s: the days' %s sum to %d cents, the total is %d (header %q)", c.lang, c.netN, sum, net, header)
		}
	}
	header, rows := s.reportCSV(t, client, where, "donations", i18n.FR, "-tz", "America/Toronto")
	id, amount, created := slices.Index(header, "Identifiant"), slices.Index(header, "Montant"), slices.Index(header, "Créé le (America/Toronto)")
	if id < 0 || amount < 0 || created < 0 {
		t.Fatalf("donations header %q", header)
	}
	zoned := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$`)
	for _, r := range rows {
		if r[id] == "cheque-77" {
			if r[amount] != "250,00\u00a0$" || !zoned.MatchString(r[created]) {
				t.Fatalf("the cheque's row %q", r)
			}
			return
		}
	}
	t.Fatalf("no cheque-77 in %q", rows)
}
