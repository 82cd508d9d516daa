package report_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/report"
	"github.com/solidarity/solidarity/shared/report/reporttest"
	"github.com/solidarity/solidarity/shared/subscription"
)

// item is v as the table stores it: its attributes and its "type".
func item(t *testing.T, typ string, v any) report.Item {
	t.Helper()
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	it["pk"] = &types.AttributeValueMemberS{Value: strings.ToUpper(typ) + "#x"}
	it["sk"] = &types.AttributeValueMemberS{Value: "META"}
	it["type"] = &types.AttributeValueMemberS{Value: typ}
	return it
}

// run feeds items to the report name and returns what it wrote.
func run(t *testing.T, name string, o report.Options, items ...report.Item) string {
	t.Helper()
	var out bytes.Buffer
	rep, err := report.New(name, o, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := rep.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Finish(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// rows runs the report as JSON and returns its columns' names (the keys, in order; none
// without rows) and its rows: the machine's values, integer cents and RFC 3339 instants.
func rows(t *testing.T, name string, o report.Options, items ...report.Item) ([]string, [][]string) {
	t.Helper()
	o.Format = "json"
	return reporttest.JSON(t, run(t, name, o, items...))
}

// csvRows runs the report as CSV (for people) and returns its header and rows.
func csvRows(t *testing.T, name string, o report.Options, items ...report.Item) ([]string, [][]string) {
	t.Helper()
	o.Format = "csv"
	return reporttest.CSV(t, run(t, name, o, items...), o.Lang)
}

// column is the value of col in row, by the header's names.
func column(t *testing.T, header, row []string, col string) string {
	t.Helper()
	i := slices.Index(header, col)
	if i < 0 {
		t.Fatalf("no column %q in %v", col, header)
	}
	return row[i]
}

// columns picks cols of every row.
func columns(t *testing.T, header []string, rs [][]string, cols ...string) [][]string {
	t.Helper()
	out := make([][]string, len(rs))
	for i, r := range rs {
		for _, c := range cols {
			out[i] = append(out[i], column(t, header, r, c))
		}
	}
	return out
}

func equalRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
}

var (
	day      = time.Date(2026, 11, 27, 15, 4, 5, 0, time.UTC)
	montreal = time.FixedZone("EST", -5*3600)
)

// otherItem is an item no report reads: a campaign's donor marker.
func otherItem(t *testing.T) report.Item {
	t.Helper()
	return item(t, "campaign_donor", struct {
		Campaign string `dynamodbav:"campaign"`
	}{"appeal-2024"})
}

func TestNew(t *testing.T) {
	t.Run("every listed report can be made, in both formats", func(t *testing.T) {
		for _, name := range report.Sorted() {
			for _, format := range []string{"", "csv", "json"} {
				if _, err := report.New(name, report.Options{Format: format}, &bytes.Buffer{}); err != nil {
					t.Errorf("%s %q: %v", name, format, err)
				}
			}
		}
	})
	t.Run("the names are sorted and are those described", func(t *testing.T) {
		names := report.Sorted()
		if !slices.IsSorted(names) || len(names) != len(report.Names) || len(names) != 12 {
			t.Errorf("Sorted() = %v", names)
		}
	})
	t.Run("an unknown report is refused", func(t *testing.T) {
		if _, err := report.New("donors", report.Options{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"donors"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an unknown format is refused", func(t *testing.T) {
		if _, err := report.New("donations", report.Options{Format: "xlsx"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "csv, json or html") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDonations(t *testing.T) {
	online := donation.Donation{ID: "don_1", Campaign: "appeal-2024", Status: "paid", Frequency: "monthly", AmountCents: 2500,
		ChargeCents: 2605, FirstName: "Élise", LastName: "Tremblay", Email: "elise@example.org", Language: "fr",
		Anonymous: true, ConsentUpdates: true, CreatedAt: time.Date(2026, 11, 27, 10, 0, 0, 0, montreal)}
	offline := dynamo.OfflineGift{ID: "cheque-1042", Campaign: "appeal-2024", AmountCents: 25000, Method: "cheque",
		ReceivedOn: "2026-11-20", DonorName: "Jean Paul Gagnon", DonorEmail: "jp@example.org", RecordedAt: day}

	t.Run("an online donation is one row with its amounts and choices", func(t *testing.T) {
		header, rs := rows(t, "donations", report.Options{}, item(t, "donation", online))
		if len(rs) != 1 {
			t.Fatalf("rows %q", rs)
		}
		want := map[string]string{"id": "don_1", "kind": "online", "created_at": "2026-11-27T15:00:00Z", "campaign": "appeal-2024",
			"status": "paid", "frequency": "monthly", "amount_cents": "2500", "charged_cents": "2605", "first_name": "Élise",
			"last_name": "Tremblay", "email": "elise@example.org", "language": "fr", "anonymous": "true", "consent_updates": "true",
			"method": "card", "received_on": ""}
		for col, v := range want {
			if got := column(t, header, rs[0], col); got != v {
				t.Errorf("%s %q, want %q", col, got, v)
			}
		}
	})

	t.Run("an offline gift is a paid one-time row with its method and day", func(t *testing.T) {
		header, rs := rows(t, "donations", report.Options{}, item(t, "offline_gift", offline))
		if len(rs) != 1 {
			t.Fatalf("rows %q", rs)
		}
		want := map[string]string{"id": "cheque-1042", "kind": "offline", "created_at": "2026-11-27T15:04:05Z", "status": "paid",
			"frequency": "once", "amount_cents": "25000", "charged_cents": "25000", "first_name": "Jean", "last_name": "Paul Gagnon",
			"email": "jp@example.org", "language": "", "anonymous": "", "consent_updates": "", "method": "cheque", "received_on": "2026-11-20"}
		for col, v := range want {
			if got := column(t, header, rs[0], col); got != v {
				t.Errorf("%s %q, want %q", col, got, v)
			}
		}
	})

	t.Run("an offline gift without a donor has empty names", func(t *testing.T) {
		g := offline
		g.DonorName, g.DonorEmail = "", ""
		header, rs := rows(t, "donations", report.Options{}, item(t, "offline_gift", g))
		if got := columns(t, header, rs, "first_name", "last_name", "email"); !slices.Equal(got[0], []string{"", "", ""}) {
			t.Errorf("donor %q", got[0])
		}
	})

	t.Run("items of other types are left out, in the order read", func(t *testing.T) {
		untyped := item(t, "donation", online)
		delete(untyped, "type")
		second := online
		second.ID = "don_0"
		header, rs := rows(t, "donations", report.Options{}, item(t, "donation", online), otherItem(t),
			item(t, "payment", dynamo.PaymentRecord{Key: "pi_1"}), item(t, "offline_gift", offline), untyped, item(t, "donation", second))
		equalRows(t, columns(t, header, rs, "id"), [][]string{{"don_1"}, {"cheque-1042"}, {"don_0"}})
	})

	t.Run("no items is the header alone, in plain words", func(t *testing.T) {
		out := run(t, "donations", report.Options{})
		if want := report.BOM + "ID,Kind,Created (UTC),Campaign,Status,Frequency,Amount,Amount (number),Charged (with fees covered)," +
			"Charged (with fees covered) (number),First name,Last name,Email,Language,Anonymous,Agrees to updates,Method,Received on," +
			"Voided,Amount voided (not counted),Amount voided (not counted) (number),Voided on (UTC),Voided by,Why voided\n"; out != want {
			t.Errorf("output %q, want %q", out, want)
		}
	})

	t.Run("a typed formula is defused in CSV", func(t *testing.T) {
		d := online
		d.FirstName, d.LastName = `=HYPERLINK("http://evil.example","x")`, "@SUM(A1)"
		header, rs := csvRows(t, "donations", report.Options{}, item(t, "donation", d))
		equalRows(t, columns(t, header, rs, "First name", "Last name"), [][]string{{`'=HYPERLINK("http://evil.example","x")`, "'@SUM(A1)"}})
	})

	t.Run("an item that does not decode stops the report, naming its type", func(t *testing.T) {
		bad := item(t, "donation", online)
		bad["amount_cents"] = &types.AttributeValueMemberS{Value: "lots"}
		rep, err := report.New("donations", report.Options{}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Add(bad); err == nil || !strings.HasPrefix(err.Error(), "donation item:") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestJSONOutput(t *testing.T) {
	t.Run("rows are an array of objects keyed by column, values as text", func(t *testing.T) {
		d := donation.Donation{ID: "don_1", AmountCents: 2500, FirstName: "=1+1", CreatedAt: day}
		out := run(t, "donations", report.Options{Format: "json"}, item(t, "donation", d), item(t, "donation", d))
		var got []map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		if len(got) != 2 || got[0]["id"] != "don_1" || got[0]["amount_cents"] != "2500" || got[0]["created_at"] != "2026-11-27T15:04:05Z" {
			t.Errorf("rows %v", got)
		}
		if len(got[0]) != 21 {
			t.Errorf("%d keys, want the 21 columns: %v", len(got[0]), got[0])
		}
		if got[0]["first_name"] != "=1+1" {
			t.Errorf("JSON values are kept as typed: %q", got[0]["first_name"])
		}
	})
	t.Run("no rows is an empty array", func(t *testing.T) {
		for _, name := range []string{"donations", "new-members", "members-by-branch"} {
			if out := run(t, name, report.Options{Format: "json"}); out != "[]\n" {
				t.Errorf("%s: %q", name, out)
			}
		}
	})
	t.Run("a report's total row is an object too", func(t *testing.T) {
		out := run(t, "appeal", report.Options{Format: "json"}, item(t, "offline_gift", dynamo.OfflineGift{ID: "g", AmountCents: 500, ReceivedOn: "2026-11-20"}))
		var got []map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		want := []map[string]string{
			{"day": "2026-11-20", "online_cents": "0", "offline_cents": "500", "refunded_cents": "0", "disputed_cents": "0", "net_cents": "500", "voided_cents": "0"},
			{"day": "total", "online_cents": "0", "offline_cents": "500", "refunded_cents": "0", "disputed_cents": "0", "net_cents": "500", "voided_cents": "0"},
		}
		if !slices.EqualFunc(got, want, maps.Equal) {
			t.Errorf("rows %v, want %v", got, want)
		}
	})
}

func TestPayments(t *testing.T) {
	p := dynamo.PaymentRecord{Key: "pi_1", DonationID: "don_1", Campaign: "appeal-2024", AmountCents: 10_000, RefundedCents: 2_501,
		Currency: "cad", PaidAt: time.Date(2026, 11, 27, 21, 30, 0, 0, montreal), ReceiptNumber: "SOL-2026-ABCD1234",
		InvoiceID: "in_1", Disputed: true}
	header, rs := rows(t, "payments", report.Options{}, item(t, "payment", p), item(t, "donation", donation.Donation{ID: "don_1"}))
	if len(rs) != 1 {
		t.Fatalf("rows %q", rs)
	}
	want := map[string]string{"payment_key": "pi_1", "donation_id": "don_1", "campaign": "appeal-2024", "amount_cents": "10000",
		"refunded_cents": "2501", "net_cents": "7499", "currency": "cad", "paid_at": "2026-11-28T02:30:00Z",
		"receipt_number": "SOL-2026-ABCD1234", "invoice_id": "in_1", "disputed": "true"}
	for col, v := range want {
		if got := column(t, header, rs[0], col); got != v {
			t.Errorf("%s %q, want %q", col, got, v)
		}
	}
}

func TestAppeal(t *testing.T) {
	pay := func(key, camp string, paid time.Time, amount, refunded int64) report.Item {
		return item(t, "payment", dynamo.PaymentRecord{Key: key, Campaign: camp, AmountCents: amount, RefundedCents: refunded, PaidAt: paid})
	}
	gift := func(id, camp, on string, amount int64) report.Item {
		return item(t, "offline_gift", dynamo.OfflineGift{ID: id, Campaign: camp, AmountCents: amount, ReceivedOn: on, RecordedAt: day})
	}
	items := []report.Item{
		pay("pi_1", "appeal-2024", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), 2_500, 0),
		pay("pi_2", "appeal-2024", time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), 10_001, 10_001),
		// 21:00 in Montréal on the 26th is the 27th in UTC, where the report counts it.
		pay("pi_3", "appeal-2024", time.Date(2026, 11, 26, 21, 0, 0, 0, montreal), 5_000, 1_234),
		gift("cheque-1", "appeal-2024", "2026-11-27", 25_000),
		gift("cash-1", "appeal-2024", "2026-11-20", 1_999),
		pay("pi_9", "spring-2025", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), 99_999, 0),
		// A lost chargeback holds its money, on the payment's day.
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_4", Campaign: "appeal-2024", AmountCents: 4_000, DisputedCents: 4_000,
			Disputed: true, PaidAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}),
		// A plan's invoice is no appeal's money, even without a campaign named.
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_plan", PlanID: "subs_1", AmountCents: 6_000,
			PaidAt: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}),
		gift("cheque-9", "spring-2025", "2026-11-25", 7_000),
		// A voided gift is in no total: said apart, on its day.
		item(t, "offline_gift", dynamo.OfflineGift{ID: "cheque-void", Campaign: "appeal-2024", AmountCents: 3_333, ReceivedOn: "2026-11-27",
			RecordedAt: day, Voided: true, VoidedBy: "ana", VoidReason: "typo"}),
		item(t, "donation", donation.Donation{ID: "don_1", Campaign: "appeal-2024", AmountCents: 123_456, Status: "paid"}),
		otherItem(t),
	}
	cols := []string{"day", "online_cents", "offline_cents", "refunded_cents", "disputed_cents", "net_cents", "voided_cents"}

	t.Run("one campaign's money by day, refunds and disputes on the payment's day, and in all", func(t *testing.T) {
		header, rs := rows(t, "appeal", report.Options{Campaign: "appeal-2024"}, items...)
		if !slices.Equal(header, cols) {
			t.Errorf("header %v", header)
		}
		equalRows(t, rs, [][]string{
			{"2026-11-20", "0", "1999", "0", "0", "1999", "0"},
			{"2026-11-26", "12501", "0", "10001", "0", "2500", "0"},
			{"2026-11-27", "9000", "25000", "1234", "4000", "28766", "3333"},
			{"total", "21501", "26999", "11235", "4000", "33265", "3333"},
		})
	})

	t.Run("without a campaign every campaign's money is counted", func(t *testing.T) {
		_, rs := rows(t, "appeal", report.Options{}, items...)
		equalRows(t, rs, [][]string{
			{"2026-11-20", "0", "1999", "0", "0", "1999", "0"},
			{"2026-11-25", "0", "7000", "0", "0", "7000", "0"},
			{"2026-11-26", "112500", "0", "10001", "0", "102499", "0"},
			{"2026-11-27", "9000", "25000", "1234", "4000", "28766", "3333"},
			{"total", "121500", "33999", "11235", "4000", "140264", "3333"},
		})
	})

	t.Run("a campaign with no money is a zero total", func(t *testing.T) {
		_, rs := rows(t, "appeal", report.Options{Campaign: "no-such-appeal"}, items...)
		equalRows(t, rs, [][]string{{"total", "0", "0", "0", "0", "0", "0"}})
	})

	t.Run("large amounts stay exact to the cent", func(t *testing.T) {
		_, rs := rows(t, "appeal", report.Options{},
			pay("pi_a", "a", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), 900_719_925_474_099, 1),
			gift("g", "a", "2026-11-26", 3))
		equalRows(t, rs, [][]string{
			{"2026-11-26", "900719925474099", "3", "1", "0", "900719925474101", "0"},
			{"total", "900719925474099", "3", "1", "0", "900719925474101", "0"},
		})
	})
}

func TestMembersByBranch(t *testing.T) {
	m := func(email, branch, status string) report.Item {
		return item(t, "member", member.Member{Email: email, Branch: branch, Status: status, CreatedAt: day})
	}
	header, rs := rows(t, "members-by-branch", report.Options{},
		m("a@example.org", "montreal", member.StatusActive),
		m("b@example.org", "ottawa", member.StatusPending),
		m("c@example.org", "montreal", member.StatusPending),
		m("d@example.org", "montreal", member.StatusActive),
		m("e@example.org", "gatineau", member.StatusActive),
		otherItem(t),
		item(t, "subscription", subscription.Subscription{ID: "sub_1", Status: subscription.StatusActive}))
	if !slices.Equal(header, []string{"branch", "active", "pending", "total"}) {
		t.Errorf("header %v", header)
	}
	equalRows(t, rs, [][]string{
		{"gatineau", "1", "0", "1"},
		{"montreal", "2", "1", "3"},
		{"ottawa", "0", "1", "1"},
	})
}

func TestNewMembers(t *testing.T) {
	confirmed := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	m := func(email string, created time.Time) report.Item {
		return item(t, "member", member.Member{Email: email, FirstName: "F", LastName: "L", Branch: "montreal",
			Status: member.StatusActive, Language: "fr", News: true, CreatedAt: created, ConfirmedAt: &confirmed,
			Address: address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4"}})
	}
	from, to := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	items := []report.Item{
		m("zoe@example.org", from),                          // the first instant of the period
		m("before@example.org", from.Add(-time.Nanosecond)), // just before it
		m("last@example.org", to.Add(-time.Second)),         // its last second
		m("after@example.org", to),                          // -to is the first day left out
		m("amy@example.org", time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		otherItem(t),
	}
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     [][]string
	}{
		{"-from is included and -to left out, rows by email", from, to,
			[][]string{{"amy@example.org"}, {"last@example.org"}, {"zoe@example.org"}}},
		{"without -to the period is open-ended", from, time.Time{},
			[][]string{{"after@example.org"}, {"amy@example.org"}, {"last@example.org"}, {"zoe@example.org"}}},
		{"without -from the period starts at the beginning", time.Time{}, to,
			[][]string{{"amy@example.org"}, {"before@example.org"}, {"last@example.org"}, {"zoe@example.org"}}},
		{"without either, every member", time.Time{}, time.Time{},
			[][]string{{"after@example.org"}, {"amy@example.org"}, {"before@example.org"}, {"last@example.org"}, {"zoe@example.org"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			header, rs := rows(t, "new-members", report.Options{From: c.from, To: c.to}, items...)
			equalRows(t, columns(t, header, rs, "email"), c.want)
		})
	}
	t.Run("a member that does not decode stops the report", func(t *testing.T) {
		bad := m("bad@example.org", from)
		bad["created_at"] = &types.AttributeValueMemberS{Value: "yesterday"}
		rep, err := report.New("new-members", report.Options{From: from, To: to}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Add(bad); err == nil || !strings.HasPrefix(err.Error(), "member item:") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a member's row has the member's columns", func(t *testing.T) {
		header, rs := rows(t, "new-members", report.Options{From: from, To: to}, m("amy@example.org", time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)))
		equalRows(t, columns(t, header, rs, "branch", "status", "city", "postal_code", "news", "created_at", "confirmed_at"),
			[][]string{{"montreal", "active", "Montréal", "H2X 1Y4", "true", "2026-11-23T12:00:00Z", "2026-11-21T08:00:00Z"}})
	})
}

func TestSubscriptionsDue(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s := func(id, status string, paidThrough time.Time, cancelAtEnd bool) report.Item {
		return item(t, "subscription", subscription.Subscription{ID: id, Plan: "paper-yearly", Kind: "subscription", Status: status,
			Email: id + "@example.org", PaidFrom: paidThrough.AddDate(-1, 0, 0), PaidThrough: paidThrough, PaidCents: 5000,
			CancelAtPeriodEnd: cancelAtEnd, CreatedAt: day})
	}
	items := []report.Item{
		s("a-now", subscription.StatusActive, now, false),                                     // renews now: in
		s("b-end", subscription.StatusActive, now.AddDate(0, 0, 30), false),                   // the window's last instant: in
		s("c-past", subscription.StatusActive, now.AddDate(0, 0, 30).Add(time.Second), false), // just past it
		s("d-before", subscription.StatusActive, now.Add(-time.Second), false),                // already due
		s("e-cancels", subscription.StatusActive, now.AddDate(0, 0, 10), true),                // will not renew
		s("f-pastdue", subscription.StatusPastDue, now.AddDate(0, 0, 10), false),
		s("g-pending", subscription.StatusPending, now.AddDate(0, 0, 10), false),
		s("h-mid", subscription.StatusActive, now.AddDate(0, 0, 10), false),
		otherItem(t),
	}
	t.Run("active subscriptions that renew within the days from now, both ends included", func(t *testing.T) {
		header, rs := rows(t, "subscriptions-due", report.Options{Now: now, Days: 30}, items...)
		equalRows(t, columns(t, header, rs, "id", "paid_through"), [][]string{
			{"a-now", "2026-11-01T12:00:00Z"}, {"b-end", "2026-12-01T12:00:00Z"}, {"h-mid", "2026-11-11T12:00:00Z"}})
	})
	t.Run("zero days is what renews at this instant", func(t *testing.T) {
		header, rs := rows(t, "subscriptions-due", report.Options{Now: now, Days: 0}, items...)
		equalRows(t, columns(t, header, rs, "id"), [][]string{{"a-now"}})
	})
}

func TestSubscriptionsLapsed(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s := func(id, status string, paidThrough time.Time) report.Item {
		return item(t, "subscription", subscription.Subscription{ID: id, Status: status, PaidThrough: paidThrough, CreatedAt: day})
	}
	header, rs := rows(t, "subscriptions-lapsed", report.Options{Now: now},
		s("canceled", subscription.StatusCanceled, now.AddDate(0, 1, 0)),
		s("past-due", subscription.StatusPastDue, now.AddDate(0, 1, 0)),
		s("unpaid", subscription.StatusUnpaid, time.Time{}),
		s("active-expired", subscription.StatusActive, now.Add(-time.Second)),
		s("active-paid", subscription.StatusActive, now.AddDate(0, 0, 1)),
		s("active-ends-now", subscription.StatusActive, now),
		s("active-never-paid", subscription.StatusActive, time.Time{}),
		s("pending", subscription.StatusPending, now.AddDate(-1, 0, 0)),
		otherItem(t))
	equalRows(t, columns(t, header, rs, "id", "status"), [][]string{
		{"active-expired", "active"}, {"canceled", "canceled"}, {"past-due", "past_due"}, {"unpaid", "unpaid"}})
}

func TestSubscriptionRows(t *testing.T) {
	sub := subscription.Subscription{ID: "sub_1", Plan: "paper-yearly", Kind: "subscription", Status: "active", Email: "a@example.org",
		FirstName: "Ana", LastName: "Roy", Language: "en", PaidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		PaidThrough: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), PaidCents: 5000, CancelAtPeriodEnd: true, CreatedAt: day,
		Shipping: &subscription.Shipping{Name: "Ana Roy", Line1: "1 rue Ontario", City: "Montréal", State: "QC", PostalCode: "H2X 1Y4", Country: "CA"}}
	noShip := sub
	noShip.ID, noShip.Shipping = "sub_2", nil
	header, rs := rows(t, "subscriptions", report.Options{}, item(t, "subscription", sub), item(t, "subscription", noShip))
	equalRows(t, columns(t, header, rs, "id", "paid_from", "paid_through", "paid_cents", "cancel_at_period_end", "ship_name", "ship_city", "ship_country"),
		[][]string{
			{"sub_1", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "5000", "true", "Ana Roy", "Montréal", "CA"},
			{"sub_2", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", "5000", "true", "", "", ""},
		})
}

func TestFailedPayments(t *testing.T) {
	e := func(id, template string, created time.Time, data map[string]string) report.Item {
		return item(t, "email", outbox.Email{ID: id, Template: template, Language: "fr", To: id + "@example.org", Data: data,
			Status: outbox.StatusSent, CreatedAt: created})
	}
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	items := []report.Item{
		e("a", outbox.DonationFailed, from, map[string]string{"campaign_title": "Campagne 2024", "amount_cents": "2500"}),
		e("b", outbox.DonationPaymentFailed, time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC),
			map[string]string{"campaign_title": "Campagne 2024", "amount_cents": "1000"}),
		e("c", outbox.PlanPaymentFailed, time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
			map[string]string{"plan_name": "Abonnement annuel", "amount_cents": "5000"}),
		e("d-before", outbox.DonationFailed, from.Add(-time.Second), map[string]string{"amount_cents": "1"}),
		e("e-after", outbox.PlanPaymentFailed, to, map[string]string{"amount_cents": "1"}),
		e("f-receipt", outbox.DonationReceipt, time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), map[string]string{"amount_cents": "1"}),
		e("g-lapsed", outbox.PlanLapsed, time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), map[string]string{"amount_cents": "1"}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_1", AmountCents: 1, PaidAt: day}),
	}
	header, rs := rows(t, "failed-payments", report.Options{From: from, To: to}, items...)
	if !slices.Equal(header, []string{"date", "kind", "email", "what", "amount_cents"}) {
		t.Errorf("header %v", header)
	}
	equalRows(t, rs, [][]string{
		{"2026-11-01T00:00:00Z", "donation", "a@example.org", "Campagne 2024", "2500"},
		{"2026-11-15T00:00:00Z", "monthly_donation", "b@example.org", "Campagne 2024", "1000"},
		{"2026-11-20T00:00:00Z", "subscription", "c@example.org", "Abonnement annuel", "5000"},
	})
}

func TestFailedEmails(t *testing.T) {
	e := func(id, status, ended, reason string) report.Item {
		it := item(t, "email", outbox.Email{ID: id, Template: outbox.DonationReceipt, Language: "fr", To: id + "@example.org",
			Status: status, CreatedAt: day})
		if ended != "" {
			it["ended_at"] = &types.AttributeValueMemberS{Value: ended}
			it["end_reason"] = &types.AttributeValueMemberS{Value: reason}
		}
		return it
	}
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	items := []report.Item{
		e("a", outbox.StatusFailed, "2026-11-02T10:00:00Z", "MessageRejected: Email address is not verified. (address withheld)"),
		e("b", outbox.StatusSuppressed, "2026-11-03T10:00:00Z", "the address is suppressed"),
		e("c-sent", outbox.StatusSent, "", ""),
		e("d-pending", outbox.StatusPending, "", ""),
		e("e-before", outbox.StatusFailed, "2026-10-31T23:59:59Z", "x"),
		e("f-after", outbox.StatusFailed, "2026-12-01T00:00:00Z", "x"),
	}
	header, rs := rows(t, "failed-emails", report.Options{From: from, To: to}, items...)
	if !slices.Equal(header, []string{"ended_at", "status", "email_id", "template", "email", "reason"}) {
		t.Errorf("header %v", header)
	}
	equalRows(t, rs, [][]string{
		{"2026-11-02T10:00:00Z", "failed", "a", "donation_receipt", "a@example.org", "MessageRejected: Email address is not verified. (address withheld)"},
		{"2026-11-03T10:00:00Z", "suppressed", "b", "donation_receipt", "b@example.org", "the address is suppressed"},
	})
	if _, rs := rows(t, "failed-emails", report.Options{}, items...); len(rs) != 4 {
		t.Errorf("without a period: %d rows, want every ended email", len(rs))
	}
}

func TestSafeCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+1 514 555 1234", "'+1 514 555 1234"},
		{"-2 x", "'-2 x"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"\t=x", "'\t'=x"},
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"a;=HYPERLINK(\"http://evil.example\")", "a;'=HYPERLINK(\"http://evil.example\")"},
		{"a; =1+1", "a; '=1+1"},
		{`a;"=1+1`, `a;"'=1+1`},
		{"a,=1+1", "a,'=1+1"},
		{"a,;-1+1", "a,;'-1+1"},
		{"x\n@SUM(A1)", "x\n'@SUM(A1)"},
		{"x\r\n+1", "x\r\n'+1"},
		{"x\t-1", "x\t'-1"},
		{" =1+1", " '=1+1"},
		{"\u00a0=1+1", "\u00a0'=1+1"},
		{`"=1+1`, `"'=1+1`},
		{"＝1+1", "'＝1+1"},
		{"a;=1;+2", "a;'=1;'+2"},
		{"'=1+1", "'=1+1"},
		{"a;'=1", "a;'=1"},
		{"", ""},
		{"Élise", "Élise"},
		{"Jean-Pierre", "Jean-Pierre"},
		{"a=b", "a=b"},
		{"a;b", "a;b"},
		{"ana@example.org", "ana@example.org"},
		{"ana@example.org;bo@example.org", "ana@example.org;bo@example.org"},
		{"2500", "2500"},
		{"-2500", "-2500"},
		{"-12.50", "-12.50"},
		{"0.5", "0.5"},
		{"-", "'-"},
		{"-.5", "'-.5"},
		{"1.", "1."},
		{"+2500", "'+2500"},
		{"-2500;=1", "'-2500;'=1"},
		{"-12,50", "-12,50"},
		{"1,250", "1,250"},
		{"-$12.50", "-$12.50"},
		{"$1,250.00", "$1,250.00"},
		{"-1\u00a0250,00\u00a0$", "-1\u00a0250,00\u00a0$"},
		{"-$1,25.00", "'-$1,25.00"},
		{"-$12.5", "'-$12.5"},
		{"-$1250.00", "'-$1250.00"},
		{"-12,50 $", "'-12,50 $"},
		{"-$12.50;=1", "'-$12.50;'=1"},
		{"-$=1.00", "'-$=1.00"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := report.SafeCell(c.in); got != c.want {
				t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// FuzzSafeCell: a defused value only gains quote marks, is defused for good (a second
// pass changes nothing), leaves plain numbers alone, and holds no formula character where
// a spreadsheet splitting at "," or ";" would begin a cell.
func FuzzSafeCell(f *testing.F) {
	for _, s := range []string{"=1+1", "a;=HYPERLINK(\"x\")", "-2500", "\t\r=", " \"=@", "Élise", "a,;+1", "＠x", "'=1",
		"-$1,250.00", "-1\u00a0250,00\u00a0$", "-12,50", "-$1,25.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := report.SafeCell(in)
		if strings.ReplaceAll(out, "'", "") != strings.ReplaceAll(in, "'", "") {
			t.Fatalf("SafeCell(%q) = %q changed more than quote marks", in, out)
		}
		if again := report.SafeCell(out); again != out {
			t.Fatalf("SafeCell(%q) = %q, then %q", in, out, again)
		}
		if numberRE.MatchString(in) || amountRE.MatchString(in) {
			if out != in {
				t.Fatalf("the number %q became %q", in, out)
			}
			return
		}
		if strings.HasPrefix(out, "\t") || strings.HasPrefix(out, "\r") {
			t.Fatalf("SafeCell(%q) = %q starts with a tab or return", in, out)
		}
		for _, cell := range strings.FieldsFunc(out, func(r rune) bool { return strings.ContainsRune(",;\t\r\n", r) }) {
			if trimmed := strings.TrimLeftFunc(cell, func(r rune) bool { return unicode.IsSpace(r) || r == '"' }); trimmed != "" &&
				strings.ContainsRune("=+-@＝＋－＠", []rune(trimmed)[0]) {
				t.Fatalf("SafeCell(%q) = %q: a spreadsheet would read the cell %q as a formula", in, out, cell)
			}
		}
	})
}

// numberRE and amountRE are values SafeCell leaves alone: a number, and an amount as
// i18n.FormatCents writes it in English or French.
var (
	numberRE = regexp.MustCompile(`^-?[0-9]+([.,][0-9]+)?$`)
	amountRE = regexp.MustCompile("^-?(\\$[0-9]{1,3}(,[0-9]{3})*\\.[0-9]{2}|[0-9]{1,3}(\u00a0[0-9]{3})*,[0-9]{2}\u00a0\\$)$")
)
