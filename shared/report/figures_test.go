package report_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/report"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// first is the first n cells of each row.
func first(rs [][]string, n int) [][]string {
	out := make([][]string, len(rs))
	for i, r := range rs {
		out[i] = r[:min(n, len(r))]
	}
	return out
}

// TestAmounts: cents as each language writes them, and as the plain decimal a
// spreadsheet sums, both exact to the cent; SafeCell leaves both alone.
func TestAmounts(t *testing.T) {
	for _, c := range []struct {
		cents            int64
		en, fr, enN, frN string
	}{
		{0, "$0.00", "0,00\u00a0$", "0.00", "0,00"},
		{5, "$0.05", "0,05\u00a0$", "0.05", "0,05"},
		{100, "$1.00", "1,00\u00a0$", "1.00", "1,00"},
		{125000, "$1,250.00", "1\u00a0250,00\u00a0$", "1250.00", "1250,00"},
		{100000000, "$1,000,000.00", "1\u00a0000\u00a0000,00\u00a0$", "1000000.00", "1000000,00"},
		{-1250, "-$12.50", "-12,50\u00a0$", "-12.50", "-12,50"},
		{-5, "-$0.05", "-0,05\u00a0$", "-0.05", "-0,05"},
		{900_719_925_474_101, "$9,007,199,254,741.01", "9\u00a0007\u00a0199\u00a0254\u00a0741,01\u00a0$", "9007199254741.01", "9007199254741,01"},
	} {
		for _, got := range []struct{ what, got, want string }{
			{"en", i18n.FormatCents(i18n.EN, c.cents), c.en},
			{"fr", i18n.FormatCents(i18n.FR, c.cents), c.fr},
			{"en number", report.Decimal(i18n.EN, c.cents), c.enN},
			{"fr number", report.Decimal(i18n.FR, c.cents), c.frN},
		} {
			if got.got != got.want {
				t.Errorf("%d %s: %q, want %q", c.cents, got.what, got.got, got.want)
			}
			if safe := report.SafeCell(got.got); safe != got.got {
				t.Errorf("%d %s: SafeCell(%q) = %q, want it unchanged", c.cents, got.what, got.got, safe)
			}
		}
	}
}

// TestAppealForPeople: the appeal as CSV, in English and in French: plain words, each
// amount as the language writes it and as a number, the total row named, refunds and a
// negative net readable.
func TestAppealForPeople(t *testing.T) {
	paid := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	items := []report.Item{
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_1", Campaign: "a", AmountCents: 125_000, RefundedCents: 1_250, PaidAt: paid}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_2", Campaign: "a", AmountCents: 500, DisputedCents: 500, RefundedCents: 1_250,
			PaidAt: paid.AddDate(0, 0, 1)}),
		item(t, "offline_gift", dynamo.OfflineGift{ID: "g", Campaign: "a", AmountCents: 5, ReceivedOn: "2026-11-26"}),
	}
	t.Run("English", func(t *testing.T) {
		header, rs := csvRows(t, "appeal", report.Options{Location: zone(t, "America/Toronto")}, items...)
		if want := []string{"Day (America/Toronto)", "Online", "Online (number)", "Offline", "Offline (number)", "Refunded",
			"Refunded (number)", "Held by disputes", "Held by disputes (number)", "Net", "Net (number)"}; !slices.Equal(header[:len(want)], want) {
			t.Errorf("header %q\nwant   %q", header, want)
		}
		equalRows(t, first(rs, 11), [][]string{
			{"2026-11-26", "$1,250.00", "1250.00", "$0.05", "0.05", "$12.50", "12.50", "$0.00", "0.00", "$1,237.55", "1237.55"},
			{"2026-11-27", "$5.00", "5.00", "$0.00", "0.00", "$12.50", "12.50", "$5.00", "5.00", "-$12.50", "-12.50"},
			{"Total", "$1,255.00", "1255.00", "$0.05", "0.05", "$25.00", "25.00", "$5.00", "5.00", "$1,225.05", "1225.05"},
		})
	})
	t.Run("French", func(t *testing.T) {
		header, rs := csvRows(t, "appeal", report.Options{Lang: i18n.FR, Location: zone(t, "America/Toronto")}, items...)
		if want := []string{"Jour (America/Toronto)", "En ligne", "En ligne (nombre)", "Hors ligne", "Hors ligne (nombre)", "Remboursé",
			"Remboursé (nombre)", "Retenu par des contestations", "Retenu par des contestations (nombre)", "Net", "Net (nombre)"}; !slices.Equal(header[:len(want)], want) {
			t.Errorf("header %q\nwant   %q", header, want)
		}
		equalRows(t, first(rs[1:], 11), [][]string{
			{"2026-11-27", "5,00\u00a0$", "5,00", "0,00\u00a0$", "0,00", "12,50\u00a0$", "12,50", "5,00\u00a0$", "5,00", "-12,50\u00a0$", "-12,50"},
			{"Total", "1\u00a0255,00\u00a0$", "1255,00", "0,05\u00a0$", "0,05", "25,00\u00a0$", "25,00", "5,00\u00a0$", "5,00",
				"1\u00a0225,05\u00a0$", "1225,05"},
		})
	})
	t.Run("JSON keeps the exact cents and the machine's names", func(t *testing.T) {
		header, rs := rows(t, "appeal", report.Options{Lang: i18n.FR, Location: zone(t, "America/Toronto")}, items...)
		if !slices.Equal(header[:6], []string{"day", "online_cents", "offline_cents", "refunded_cents", "disputed_cents", "net_cents"}) {
			t.Errorf("keys %q", header)
		}
		equalRows(t, first(rs[1:], 6), [][]string{
			{"2026-11-27", "500", "0", "1250", "500", "-1250"},
			{"total", "125500", "5", "2500", "500", "122505"},
		})
	})
}

// TestTimesInAZone: instants shown in the zone given, with its abbreviation, across the
// end of daylight saving time (America/Toronto, 2026-11-01 02:00 EDT → 01:00 EST), and
// the appeal's days counted in that zone.
func TestTimesInAZone(t *testing.T) {
	toronto := zone(t, "America/Toronto")
	pay := func(key string, at time.Time) report.Item {
		return item(t, "payment", dynamo.PaymentRecord{Key: key, Campaign: "a", AmountCents: 100, PaidAt: at})
	}
	items := []report.Item{
		pay("pi_edt", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)),  // 01:30 EDT
		pay("pi_est", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)),  // 01:30 EST, an hour later
		pay("pi_eve", time.Date(2026, 11, 2, 4, 30, 0, 0, time.UTC)),  // 23:30 EST on the 1st: the 2nd in UTC
		pay("pi_oct", time.Date(2026, 10, 31, 3, 59, 0, 0, time.UTC)), // 23:59 EDT on the 30th
	}
	t.Run("payments' times in Toronto, each with its zone", func(t *testing.T) {
		header, rs := csvRows(t, "payments", report.Options{Location: toronto}, items...)
		equalRows(t, columns(t, header, rs, "Payment", "Paid on (America/Toronto)"), [][]string{
			{"pi_edt", "2026-11-01 01:30 EDT"}, {"pi_est", "2026-11-01 01:30 EST"}, {"pi_eve", "2026-11-01 23:30 EST"},
			{"pi_oct", "2026-10-30 23:59 EDT"},
		})
	})
	t.Run("the same instants in Vancouver, in French", func(t *testing.T) {
		header, rs := csvRows(t, "payments", report.Options{Lang: i18n.FR, Location: zone(t, "America/Vancouver")}, items...)
		equalRows(t, columns(t, header, rs, "Paiement", "Payé le (America/Vancouver)"), [][]string{
			{"pi_edt", "2026-10-31 22:30 PDT"}, {"pi_est", "2026-10-31 23:30 PDT"}, {"pi_eve", "2026-11-01 20:30 PST"},
			{"pi_oct", "2026-10-30 20:59 PDT"},
		})
	})
	t.Run("the appeal's days are Toronto's", func(t *testing.T) {
		header, rs := rows(t, "appeal", report.Options{Location: toronto}, items...)
		equalRows(t, columns(t, header, rs, "day", "online_cents"), [][]string{
			{"2026-10-30", "100"}, {"2026-11-01", "300"}, {"total", "400"}})
		header, rs = rows(t, "appeal", report.Options{}, items...)
		equalRows(t, columns(t, header, rs, "day", "online_cents"), [][]string{
			{"2026-10-31", "100"}, {"2026-11-01", "200"}, {"2026-11-02", "100"}, {"total", "400"}})
	})
	t.Run("JSON keeps instants in UTC", func(t *testing.T) {
		header, rs := rows(t, "payments", report.Options{Location: toronto}, items[0])
		if got := column(t, header, rs[0], "paid_at"); got != "2026-11-01T05:30:00Z" {
			t.Errorf("paid_at %q", got)
		}
	})
	t.Run("the machine's own zone, unnamed, is called local time", func(t *testing.T) {
		header, _ := csvRows(t, "members", report.Options{Lang: i18n.FR, Location: time.FixedZone("", -5*3600)})
		if !slices.Contains(header, "Créé le (heure locale)") {
			t.Errorf("header %q", header)
		}
	})
}

// TestFrenchHeaders: every report's CSV header is in words, different in each language
// for the columns that differ, and never a machine name.
func TestFrenchHeaders(t *testing.T) {
	for _, name := range report.Sorted() {
		en := strings.SplitN(run(t, name, report.Options{}), "\n", 2)[0]
		fr := strings.SplitN(run(t, name, report.Options{Lang: i18n.FR}), "\n", 2)[0]
		for _, h := range []string{en, fr} {
			if strings.Contains(h, "_") || strings.Contains(h, "report.col") {
				t.Errorf("%s: header %q has a machine name", name, h)
			}
		}
		if en == fr {
			t.Errorf("%s: the French header is the English one: %q", name, en)
		}
	}
	header, rs := csvRows(t, "donations", report.Options{Lang: i18n.FR},
		item(t, "donation", donation.Donation{ID: "don_1", AmountCents: 2500, ChargeCents: 2606, FirstName: "Élise", CreatedAt: day}))
	equalRows(t, columns(t, header, rs, "Identifiant", "Montant", "Montant (nombre)", "Prénom", "Créé le (UTC)"),
		[][]string{{"don_1", "25,00\u00a0$", "25,00", "Élise", "2026-11-27 15:04 UTC"}})
	header, _ = csvRows(t, "members-by-branch", report.Options{Lang: i18n.FR},
		item(t, "member", member.Member{Email: "a@example.org", Branch: "montreal", Status: member.StatusActive, CreatedAt: day}))
	if !slices.Equal(header, []string{"Section", "Actif·ves", "En attente", "Total"}) {
		t.Errorf("members by branch: %q", header)
	}
}

// TestForeignChargeStaysInItsUnits: what Stripe charged in another currency is no dollar
// amount: CSV shows it as the integer it is.
func TestForeignChargeStaysInItsUnits(t *testing.T) {
	header, rs := csvRows(t, "payments", report.Options{}, item(t, "payment", dynamo.PaymentRecord{Key: "pi_idr", Currency: "cad",
		PaidAt: day, ChargedCents: 29_000_000, ChargedCurrency: "idr", Foreign: true}))
	equalRows(t, columns(t, header, rs, "Amount", "Charged in another currency (its smallest unit)", "Currency charged"),
		[][]string{{"$0.00", "29000000", "idr"}})
}
