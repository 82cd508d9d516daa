package staff

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() { emulator.Logs.Personal("Idris", "Okafor", "5 Elm St") }

// TestPrinterAndLapsingLists runs on fixed clocks: the lists' windows are counted in
// days from "now", and the dates chosen cross month ends, a leap day and a year's end,
// where a period computed back from the real date would change length.
func TestPrinterAndLapsingLists(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2027, time.March, 1, 14, 30, 0, 0, time.UTC),
		time.Date(2028, time.February, 29, 23, 59, 0, 0, time.UTC),
		time.Date(2026, time.December, 31, 0, 0, 1, 0, time.UTC),
		time.Date(2027, time.January, 25, 12, 0, 0, 0, time.UTC),
	} {
		t.Run(now.Format(time.DateOnly), func(t *testing.T) { printerAndLapsingLists(t, now) })
	}
}

func printerAndLapsingLists(t *testing.T, now time.Time) {
	ctx := context.Background()
	store, run := onTableAt(t, func() time.Time { return now })
	plans := plan.Default()
	start := now.AddDate(0, 0, 10).AddDate(-1, 0, 0) // a yearly period that ends in 10 days
	n := 0
	var createFrom func(id, planSlug string, paid bool, ship *subscription.Shipping, start time.Time) subscription.Subscription
	apply := func(s subscription.Subscription, c subscription.Change) {
		t.Helper()
		n++
		c.EventID, c.Created = "evt_"+s.ID+"_"+string(rune('a'+n)), start.Unix()+int64(n)
		if err := store.ApplySubscriptionEvent(ctx, donation.Event{ID: c.EventID, Type: c.Type}, s.ID, c, plans); err != nil {
			t.Fatal(err)
		}
	}
	createFrom = func(id, planSlug string, paid bool, ship *subscription.Shipping, start time.Time) subscription.Subscription {
		t.Helper()
		p := plans[planSlug]
		s := subscription.Subscription{ID: id, Plan: p.Slug, Kind: p.Kind, Email: id + "@example.org", FirstName: "Idris",
			LastName: "Okafor", Language: "en", Status: subscription.StatusPending, Currency: "cad", CreatedAt: start}
		if err := store.CreateSubscription(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
		if paid {
			apply(s, subscription.Change{Type: subscription.Completed, StripeID: "sub_" + id, CustomerID: "cus_" + id, Shipping: ship})
			end := start.AddDate(1, 0, 0)
			if p.Interval == "month" {
				end = start.AddDate(0, 1, 0)
			}
			paidInv := subscription.Change{Type: subscription.InvoicePaid, InvoiceID: "in_" + id, AmountCents: p.AmountCents,
				Currency: "cad", PeriodStart: start, PeriodEnd: end}
			apply(s, paidInv)
			apply(s, paidInv) // the same invoice in a second event counts once
		}
		return s
	}
	create := func(id, planSlug string, paid bool, ship *subscription.Shipping) subscription.Subscription {
		t.Helper()
		return createFrom(id, planSlug, paid, ship, start)
	}
	ship := &subscription.Shipping{Name: "Idris Okafor", Line1: "5 Elm St", City: "Toronto", State: "ON", PostalCode: "M4W 1A1", Country: "CA"}
	yearly := create("subs_yearly", "solidarity-annual", true, ship)
	create("subs_dues", "dues-monthly", true, nil)
	create("subs_pending", "solidarity-monthly", false, nil)
	ending := create("subs_ending", "solidarity-annual", true, &subscription.Shipping{Name: "Ana Roy", Line1: "1 Main St",
		City: "Boston", State: "MA", PostalCode: "02101", Country: "US"})
	apply(ending, subscription.Change{Type: subscription.Updated, Status: subscription.StatusActive, CancelAtPeriodEnd: true})

	rows := func(args ...string) [][]string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}
	createFrom("subs_new", "solidarity-monthly", true, &subscription.Shipping{Name: "Zed New", Line1: "9 Oak St", City: "Regina",
		State: "SK", PostalCode: "S4P 3Y2", Country: "CA"}, now) // paid from this very minute: on today's list
	today := rows("subscriptions", "mailing", "-date", now.Format(time.DateOnly))
	if len(today) != 3 || today[0][0] != "Idris Okafor" || today[0][1] != "5 Elm St" || today[0][7] != "solidarity-annual" ||
		today[1][0] != "Zed New" || today[2][6] != "US" {
		t.Fatalf("printer's list today: %v", today)
	}
	if later := rows("subscriptions", "mailing", "-date", now.AddDate(0, 0, 11).Format(time.DateOnly)); len(later) != 1 || later[0][0] != "Zed New" {
		t.Fatalf("printer's list after the yearly periods end: %v", later)
	}
	soon := rows("subscriptions", "lapsing", "-days", "30")
	if len(soon) != 1 || soon[0][0] != ending.Email || soon[0][6] != "cancel_at_period_end" {
		t.Fatalf("lapsing in 30 days: %v (yearly %s renews)", soon, yearly.ID)
	}
	if none := rows("subscriptions", "lapsing", "-days", "5"); len(none) != 0 {
		t.Fatalf("lapsing in 5 days: %v", none)
	}
	if _, err := run("subscriptions", "mailing", "-date", "tomorrow"); err == nil {
		t.Fatal("a bad date was accepted")
	}
}

// TestReportFromACorruptExport: the error names the file and line, and -o leaves nothing
// behind that could pass for a report.
func TestReportFromACorruptExport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "export", "AWSDynamoDB", "01", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintln(zw, `{"Item":{"pk":{"S":"MEMBER"},"type":{"S":"member"},"branch":{"S":"montreal"},"status":{"S":"active"}}}`)
	fmt.Fprintln(zw, `{"Item":{"pk":{"S":"broken"`)
	zw.Close()
	if err := os.WriteFile(filepath.Join(data, "x.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "members.csv")
	err := Run(context.Background(), nil, Sources{}, []string{"report", "members-by-branch", "-export", filepath.Join(dir, "export"), "-o", out}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "x.json.gz line 2") {
		t.Fatalf("err = %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 { // only the export folder
		t.Fatalf("left behind: %v", left)
	}
	if err := Run(context.Background(), nil, Sources{}, []string{"report", "nope", "-live"}, io.Discard); err == nil || !errors.Is(err, ErrUsage) {
		t.Fatalf("unknown report: %v", err)
	}
}
