package subscription

import (
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/plan"
)

var t0 = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// lifecycle is a yearly subscription's life: created (ignored), completed, the first
// invoice and three renewals, a failed payment, its recovery, cancel at period end, and
// the end.
func lifecycle() []Change {
	year := func(n int) (time.Time, time.Time) { return t0.AddDate(n, 0, 0), t0.AddDate(n+1, 0, 0) }
	at := func(n int, d time.Duration) int64 { return t0.AddDate(n, 0, 0).Add(d).Unix() }
	inv := func(n int, id string, created int64) Change {
		from, to := year(n)
		return Change{EventID: "evt_paid_" + id, Type: InvoicePaid, Created: created, StripeID: "sub_1", CustomerID: "cus_1",
			InvoiceID: "in_" + id, AmountCents: 6000, Currency: "cad", PeriodStart: from, PeriodEnd: to}
	}
	var cs []Change
	cs = append(cs,
		Change{EventID: "evt_created", Type: "customer.subscription.created", Created: at(0, 0), StripeID: "sub_1"},
		Change{EventID: "evt_completed", Type: Completed, Created: at(0, time.Second), StripeID: "sub_1", CustomerID: "cus_1",
			Shipping: &Shipping{Name: "Ana Roy", Line1: "1 rue X", City: "Montréal", State: "QC", PostalCode: "H2X 1Y4", Country: "CA"}},
		inv(0, "1", at(0, 2*time.Second)),
		Change{EventID: "evt_upcoming_1", Type: Upcoming, Created: at(1, -7*24*time.Hour), AmountCents: 6000, PeriodStart: t0.AddDate(1, 0, 0)},
		inv(1, "2", at(1, 0)),
		inv(2, "3", at(2, 0)),
		inv(3, "4", at(3, 0)),
		Change{EventID: "evt_failed", Type: PaymentFailed, Created: at(4, 0), StripeID: "sub_1", CustomerID: "cus_1", InvoiceID: "in_5"},
		Change{EventID: "evt_updated_past_due", Type: Updated, Created: at(4, time.Second), StripeID: "sub_1", Status: StatusPastDue},
		inv(4, "5", at(4, 72*time.Hour)),
		Change{EventID: "evt_updated_active", Type: Updated, Created: at(4, 72*time.Hour+time.Second), StripeID: "sub_1", Status: StatusActive},
		Change{EventID: "evt_cancel_at_end", Type: Updated, Created: at(4, 100*24*time.Hour), StripeID: "sub_1", Status: StatusActive, CancelAtPeriodEnd: true},
		Change{EventID: "evt_address", Type: ShippingChange, Created: at(4, 101*24*time.Hour), CustomerID: "cus_1",
			Shipping: &Shipping{Name: "Ana Roy", Line1: "2 rue Y", City: "Laval", State: "QC", PostalCode: "H7N 1A1", Country: "CA"}},
		Change{EventID: "evt_deleted", Type: Deleted, Created: at(5, 0), StripeID: "sub_1", Status: StatusCanceled, CancelAtPeriodEnd: true},
	)
	return cs
}

// run applies deliveries once each (a redelivery of an event id applied before changes
// nothing, as the store guarantees) and returns the final record and the emails sent.
func run(deliveries []Change) (Subscription, []string) {
	s := Subscription{ID: "sub_ours", Plan: "solidarity-annual", Email: "ana@example.org", Language: "fr", Status: StatusPending}
	seen := map[string]bool{}
	var emails []string
	p := plan.Default()["solidarity-annual"]
	for _, c := range deliveries {
		if seen[c.EventID] {
			continue
		}
		seen[c.EventID] = true
		e := Apply(s, c)
		s = e.Subscription
		if m := Email(e, c, p); m != nil {
			emails = append(emails, m.ID)
		}
	}
	sort.Strings(emails)
	return s, emails
}

func TestLifecycle(t *testing.T) {
	s, emails := run(lifecycle())
	if s.Status != StatusCanceled || !s.CancelAtPeriodEnd || s.StripeID != "sub_1" || s.CustomerID != "cus_1" ||
		s.PaidCents != 5*6000 || len(s.Invoices) != 5 || !s.PaidFrom.Equal(t0) || !s.PaidThrough.Equal(t0.AddDate(5, 0, 0)) ||
		s.Shipping == nil || s.Shipping.City != "Laval" {
		t.Fatalf("final %+v %+v", s, s.Shipping)
	}
	want := []string{"plan_lapsed_evt_deleted", "plan_payment_failed_evt_failed", "plan_receipt_evt_paid_1", "plan_receipt_evt_paid_2",
		"plan_receipt_evt_paid_3", "plan_receipt_evt_paid_4", "plan_receipt_evt_paid_5", "plan_renewal_reminder_evt_upcoming_1",
		"plan_welcome_evt_completed"}
	if !reflect.DeepEqual(emails, want) {
		t.Fatalf("emails %v", emails)
	}
	if !s.ActiveOn(t0.AddDate(4, 6, 0)) || !s.ActiveOn(t0) || !s.ActiveOn(t0.AddDate(5, 0, 0)) || s.ActiveOn(t0.AddDate(5, 0, 1)) ||
		s.ActiveOn(t0.AddDate(0, 0, -1)) {
		t.Fatal("ActiveOn")
	}
}

// TestShuffledAndRedelivered: the same events in any order, each delivered one to three
// times, end in the same record and the same emails.
func TestShuffledAndRedelivered(t *testing.T) {
	want, wantEmails := run(lifecycle())
	for seed := uint64(0); seed < 500; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		var deliveries []Change
		for _, c := range lifecycle() {
			for n := 1 + r.IntN(3); n > 0; n-- {
				deliveries = append(deliveries, c)
			}
		}
		r.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
		got, emails := run(deliveries)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(emails, wantEmails) {
			t.Fatalf("seed %d: %+v\nwant %+v\nemails %v", seed, got, want, emails)
		}
	}
}

func TestSameInvoiceTwice(t *testing.T) {
	c := Change{EventID: "evt_a", Type: InvoicePaid, Created: 10, InvoiceID: "in_1", AmountCents: 600, Currency: "cad",
		PeriodStart: t0, PeriodEnd: t0.AddDate(0, 1, 0)}
	e := Apply(Subscription{}, c)
	c.EventID = "evt_b" // Stripe reporting the same invoice in another event
	again := Apply(e.Subscription, c)
	if again.Paid || again.Subscription.PaidCents != 600 || again.Notify != "" {
		t.Fatalf("%+v", again)
	}
}

// TestErasedStaysErased: every event of a subscription's life, applied to a record whose
// person was erased (marked, or only the placeholder address of older erasures), still
// counts the money and follows the status, but restores no name, address or email
// address and owes no email.
func TestErasedStaysErased(t *testing.T) {
	for _, start := range []Subscription{
		{ID: "sub_ours", Plan: "solidarity-annual", Email: ErasedEmail, Erased: true, Status: StatusPending},
		{ID: "sub_ours", Plan: "solidarity-annual", Email: ErasedEmail, Status: StatusPending}, // erased before the mark
	} {
		s := start
		p := plan.Default()["solidarity-annual"]
		for _, c := range lifecycle() {
			e := Apply(s, c)
			s = e.Subscription
			if e.Notify != "" || Email(e, c, p) != nil {
				t.Fatalf("%s owes %q to an erased person", c.EventID, e.Notify)
			}
		}
		if !s.Erased || s.Email != ErasedEmail || s.FirstName != "" || s.LastName != "" || s.Shipping != nil {
			t.Fatalf("personal data came back: %+v %+v", s, s.Shipping)
		}
		if s.PaidCents != 5*6000 || len(s.Invoices) != 5 || s.Status != StatusCanceled || s.StripeID != "sub_1" {
			t.Fatalf("the money or the status was lost: %+v", s)
		}
	}
	// A live record is not taken for an erased one.
	if (Subscription{Email: "ana@example.org"}).IsErased() {
		t.Fatal("a live record reads as erased")
	}
}
