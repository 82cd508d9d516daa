package e2e

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// live is payload as the same event in Stripe's live mode.
func live(t *testing.T, payload []byte) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	ev["livemode"] = true
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payments are the stored payment records.
func (s *stack) payments() []dynamo.PaymentRecord {
	s.t.Helper()
	var out []dynamo.PaymentRecord
	if err := attributevalue.UnmarshalListOfMaps(s.items(dynamo.TypePayment), &out); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// TestStripeModeOnlyItsOwn: STRIPE_MODE (test under make dev, whose stripe-mock and
// checkout page are test mode's) refuses events of the other mode, which change nothing.
func TestStripeModeOnlyItsOwn(t *testing.T) {
	for _, mode := range []string{"", "test", "live"} { // "": make dev's default
		t.Run("STRIPE_MODE="+mode, func(t *testing.T) {
			tune := set()
			if mode != "" {
				tune = set("STRIPE_MODE", mode)
			}
			s := newStack(t, false, tune)
			d := s.donate(nil)
			testEvent := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
			liveEvent := live(t, localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
			wrong, right := liveEvent, testEvent
			if mode == "live" {
				wrong, right = testEvent, liveEvent
			}
			if st := s.deliver(wrong); st != http.StatusBadRequest {
				t.Fatalf("an event of the other mode: %d, want 400", st)
			}
			if got := s.donationByID(d.ID); got.Status != donation.StatusPending || campaignRaised(s) != 9_000_000 {
				t.Fatalf("a refused event changed the donation (%s) or the total (%d)", got.Status, campaignRaised(s))
			}
			if st := s.deliver(right); st != http.StatusOK {
				t.Fatalf("an event of the deployment's mode: %d", st)
			}
			if got := campaignRaised(s); got != 9_002_500 {
				t.Fatalf("raised %d after the right mode's payment", got)
			}
		})
	}
}

// TestSessionMatchedByOurIdOnly: a Checkout session without our metadata, whose
// client_reference_id (a Payment Link's payer can set it) names a real pending donation,
// is acknowledged and changes nothing; the donation's own session then pays it.
func TestSessionMatchedByOurIdOnly(t *testing.T) {
	s := newStack(t, false)
	d := s.donate(nil)
	link := localpay.SessionCompleted(d)
	delete(link, "metadata")
	link["id"], link["payment_intent"] = "cs_test_paymentlink", "pi_test_paymentlink"
	for _, typ := range []string{"checkout.session.completed", "checkout.session.async_payment_failed"} {
		if st := s.deliver(localpay.Event(typ, link, time.Now())); st != http.StatusOK {
			t.Fatalf("%s of a session not ours: %d, want 200", typ, st)
		}
	}
	if got := s.donationByID(d.ID); got.Status != donation.StatusPending || got.PaidCents != 0 || campaignRaised(s) != 9_000_000 {
		t.Fatalf("a session not ours changed the donation (%s, %d) or the total (%d)", got.Status, got.PaidCents, campaignRaised(s))
	}
	if n := len(s.payments()); n != 0 {
		t.Fatalf("%d payments recorded", n)
	}
	if st := s.deliver(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())); st != http.StatusOK {
		t.Fatalf("the donation's own session: %d", st)
	}
	if got := s.donationByID(d.ID); got.Status != donation.StatusPaid || campaignRaised(s) != 9_002_500 {
		t.Fatalf("after its own session: %s, raised %d", got.Status, campaignRaised(s))
	}
}

// TestPaymentNotAsAsked: Stripe took another amount than the donation asked for: it
// counts as Stripe reports it, the payment record says so, and the alarm's log line names
// ids and amounts, never the donor.
func TestPaymentNotAsAsked(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	s := newStack(t, false)
	d := s.donate(map[string]any{"email": "mismatch@example.org"}) // $25.00 asked
	obj := localpay.SessionCompleted(d)
	obj["amount_total"], obj["amount_subtotal"] = 2000, 2000
	ev := localpay.Event("checkout.session.completed", obj, time.Now())
	for i := 0; i < 2; i++ { // a redelivery changes nothing and alarms no more
		if st := s.deliver(ev); st != http.StatusOK {
			t.Fatalf("delivery %d: %d", i+1, st)
		}
	}
	if got := s.donationByID(d.ID); got.PaidCents != 2000 || got.Status != donation.StatusPaid {
		t.Fatalf("donation paid %d (%s), want Stripe's 2000", got.PaidCents, got.Status)
	}
	if got := campaignRaised(s); got != 9_002_000 {
		t.Fatalf("raised %d, want Stripe's amount counted", got)
	}
	ps := s.payments()
	if len(ps) != 1 || ps[0].AmountCents != 2000 || ps[0].Mismatch != "amount" || ps[0].DonationID != d.ID {
		t.Fatalf("payments %+v", ps)
	}
	var alarms []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"alarm":"payment_mismatch"`) {
			alarms = append(alarms, l)
		}
	}
	if len(alarms) != 1 {
		t.Fatalf("%d payment_mismatch lines, want 1: %q", len(alarms), alarms)
	}
	for _, want := range []string{`"donation_id":"` + d.ID + `"`, `"payment_key":"` + localpay.PaymentIntentID(d) + `"`,
		`"session_id":"` + localpay.SessionID(d) + `"`, `"differs":"amount"`, `"requested_cents":2500`, `"stripe_cents":2000`} {
		if !strings.Contains(alarms[0], want) {
			t.Errorf("the alarm lacks %s: %s", want, alarms[0])
		}
	}
	for _, secret := range []string{"mismatch@example.org", d.FirstName, d.LastName} {
		if strings.Contains(alarms[0], secret) {
			t.Errorf("the alarm names the donor (%q): %s", secret, alarms[0])
		}
	}
}
