package webhook

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/plan"
)

// logLines collects the handler's log lines for the rest of the test.
func logLines(t *testing.T) func() []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return func() []map[string]any {
		var lines []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if l != "" && json.Unmarshal([]byte(l), &m) == nil {
				lines = append(lines, m)
			}
		}
		return lines
	}
}

// line is the first log line with message msg, or nil.
func line(lines []map[string]any, msg string) map[string]any {
	for _, l := range lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// inMode is payload with its livemode set to live.
func inMode(t *testing.T, payload []byte, live bool) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	ev["livemode"] = live
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWrongModeRefused: an event of the other mode than the deployment's is refused (400,
// logged as a refusal, which WebhookRefusedAlarm counts) and changes nothing; one of the
// deployment's own mode is applied.
func TestWrongModeRefused(t *testing.T) {
	now := time.Now()
	monthly := gift
	monthly.Frequency = "monthly"
	events := map[string][]byte{
		"payment": localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now),
		"invoice": localpay.Event("invoice.paid", localpay.InvoicePaid(monthly, 2, now), now),
		"refund":  localpay.Event("charge.refunded", localpay.ChargeRefunded("pi_local_don_1", 2606, 500, "cad"), now),
		"plan":    localpay.Event("customer.subscription.updated", localpay.PlanSubscription(planSub, "past_due", true), now),
	}
	tests := []struct {
		name            string
		deployment, evt bool // live?
		want            int
	}{
		{"a live event to a test deployment", false, true, 400},
		{"a test event to a live deployment", true, false, 400},
		{"a test event to a test deployment", false, false, 200},
		{"a live event to a live deployment", true, true, 200},
	}
	for _, tt := range tests {
		for kind, payload := range events {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				logs := logLines(t)
				l := &ledger{}
				h := Handler{Secret: secret, Ledger: l, Subscriptions: plans{}, Plans: plan.Default(), Live: tt.deployment}
				if st := signed(h, inMode(t, payload, tt.evt)); st != tt.want {
					t.Fatalf("status %d, want %d", st, tt.want)
				}
				refused := line(logs(), "stripe webhook refused")
				changed := len(l.payments) + len(l.refunds)
				if tt.want == 400 {
					if changed != 0 {
						t.Errorf("a refused event changed the ledger: %+v", l)
					}
					if refused == nil || refused["reason"] != "wrong mode" || refused["event_id"] == "" ||
						refused["livemode"] != tt.evt {
						t.Errorf("refusal logged as %v", refused)
					}
					return
				}
				if refused != nil {
					t.Errorf("an event of the deployment's mode was refused: %v", refused)
				}
				if kind != "plan" && changed != 1 {
					t.Errorf("the event was not applied: %+v", l)
				}
			})
		}
	}
}

// TestClientReferenceIsNoProof: a session without our metadata changes nothing, even
// when its client_reference_id (which a Payment Link's payer can set) names a real
// pending donation; it is acknowledged and logged by id.
func TestClientReferenceIsNoProof(t *testing.T) {
	pending := gift
	pending.Status, pending.CheckoutID = donation.StatusPending, localpay.SessionID(gift)
	foreign := func(o localpay.Object) localpay.Object {
		delete(o, "metadata")
		o["id"], o["client_reference_id"] = "cs_live_paymentlink", pending.ID
		return o
	}
	otherMeta := foreign(localpay.SessionCompleted(gift))
	otherMeta["metadata"] = map[string]string{"record_id": pending.ID} // no kind: not ours
	for _, tt := range []struct {
		typ string
		obj localpay.Object
	}{
		{"checkout.session.completed", foreign(localpay.SessionCompleted(gift))},
		{"checkout.session.async_payment_succeeded", foreign(localpay.SessionCompleted(gift))},
		{"checkout.session.async_payment_failed", foreign(localpay.SessionAsyncFailed(gift))},
		{"checkout.session.completed", otherMeta},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			logs := logLines(t)
			l := &ledger{}
			h := Handler{Secret: secret, Ledger: l, Subscriptions: plans{}, Plans: plan.Default()}
			if st := signed(h, localpay.Event(tt.typ, tt.obj, time.Now())); st != 200 {
				t.Fatalf("status %d, want 200", st)
			}
			if len(l.payments)+len(l.links)+len(l.fails) != 0 {
				t.Fatalf("a session of no donation of ours changed %+v", l)
			}
			got := line(logs(), "stripe session not ours")
			if got == nil || got["session_id"] != "cs_live_paymentlink" || got["event_id"] == "" ||
				got["has_client_reference"] != true {
				t.Fatalf("logged %v", got)
			}
		})
	}
}

// TestPaymentsCarryTheirSession: a payment is recorded as Stripe reports it, whatever the
// donation asked, with the Checkout session it came through (the ledger compares both
// with the donation: donation.Payment.Mismatch); an invoice's has none.
func TestPaymentsCarryTheirSession(t *testing.T) {
	now := time.Now()
	monthly := gift
	monthly.Frequency = "monthly"
	less := localpay.SessionCompleted(gift)
	less["id"], less["amount_total"] = "cs_other", 2500
	invoice := localpay.InvoicePaid(monthly, 2, now)
	invoice["amount_paid"] = 1303
	tests := []struct {
		name    string
		payload []byte
		session string
		cents   int64
	}{
		{"as asked", localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now), "cs_local_don_1", 2606},
		{"another session, less", localpay.Event("checkout.session.completed", less, now), "cs_other", 2500},
		{"async success", localpay.Event("checkout.session.async_payment_succeeded", less, now), "cs_other", 2500},
		{"an invoice for less", localpay.Event("invoice.paid", invoice, now), "", 1303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &ledger{}
			if st := signed(Handler{Secret: secret, Ledger: l}, tt.payload); st != 200 {
				t.Fatalf("status %d", st)
			}
			if len(l.payments) != 1 || l.payments[0].SessionID != tt.session || l.payments[0].AmountCents != tt.cents ||
				l.payments[0].DonationID != gift.ID {
				t.Fatalf("payments %+v, want session %q and %d cents", l.payments, tt.session, tt.cents)
			}
		})
	}
}
