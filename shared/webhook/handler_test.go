package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

const secret = "whsec_unit"

// ledger records what the handler asked for and answers every call with err.
type ledger struct {
	payments []donation.Payment
	links    []string
	fails    []string
	refunds  []donation.Refund
	disputes []donation.Dispute
	notices  []string
	held     int // refunds and disputes kept for a payment not recorded yet
	err      error
}

var _ donation.Ledger = (*ledger)(nil)

func (l *ledger) RecordPayment(_ context.Context, p donation.Payment) error {
	l.payments = append(l.payments, p)
	return l.err
}
func (l *ledger) LinkSubscription(_ context.Context, _ donation.Event, id, sub, cus string) error {
	l.links = append(l.links, id+" "+sub+" "+cus)
	return l.err
}
func (l *ledger) FailDonation(_ context.Context, _ donation.Event, id string) error {
	l.fails = append(l.fails, id)
	return l.err
}
func (l *ledger) RecordRefund(_ context.Context, r donation.Refund) error {
	l.refunds = append(l.refunds, r)
	return l.err
}
func (l *ledger) MonthlyGiftNotice(_ context.Context, _ donation.Event, id, notice string) error {
	l.notices = append(l.notices, id+" "+notice)
	return l.err
}
func (l *ledger) RecordDispute(_ context.Context, d donation.Dispute) error {
	l.disputes = append(l.disputes, d)
	return l.err
}

func (l *ledger) HoldEarly(context.Context, *donation.Refund, *donation.Dispute) error {
	l.held++
	return nil
}

func serve(h Handler, payload []byte, sig string) int {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
	r.Header.Set("Stripe-Signature", sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func signed(h Handler, payload []byte) int {
	return serve(h, payload, localpay.Sign(payload, secret, time.Now()))
}

var gift = donation.Donation{ID: "don_1", Campaign: "appeal-2024", Currency: "cad", ChargeCents: 2606,
	AmountCents: 2500, Frequency: "once", Email: "a@example.org"}

func TestAmountsComeFromStripe(t *testing.T) {
	l := &ledger{}
	h := Handler{Secret: secret, Ledger: l}
	obj := localpay.SessionCompleted(gift)
	obj["amount_total"] = 2606
	if st := signed(h, localpay.Event("checkout.session.completed", obj, time.Now())); st != 200 {
		t.Fatalf("status %d", st)
	}
	if len(l.payments) != 1 {
		t.Fatalf("payments %v", l.payments)
	}
	p := l.payments[0]
	if p.AmountCents != 2606 || p.Key != "pi_local_don_1" || p.DonationID != "don_1" || p.Currency != "cad" {
		t.Fatalf("payment %+v", p)
	}
}

func TestEventMapping(t *testing.T) {
	monthly := gift
	monthly.Frequency = "monthly"
	now := time.Now()
	unpaid := localpay.SessionCompleted(gift)
	unpaid["payment_status"] = "unpaid"
	otherKind := localpay.SessionCompleted(gift)
	otherKind["metadata"] = map[string]string{"kind": "subscription", "record_id": "sub_rec_1"}
	noMeta := localpay.SessionCompleted(gift)
	delete(noMeta, "metadata")
	invoiceNoMeta := localpay.InvoicePaid(monthly, 1, now)
	delete(invoiceNoMeta, "subscription_details")
	freeInvoice := localpay.InvoicePaid(monthly, 1, now)
	freeInvoice["amount_paid"] = 0
	tests := []struct {
		name  string
		typ   string
		obj   localpay.Object
		check func(*ledger) bool
	}{
		{"one-time paid", "checkout.session.completed", localpay.SessionCompleted(gift),
			func(l *ledger) bool { return len(l.payments) == 1 }},
		{"delayed payment not yet paid", "checkout.session.completed", unpaid,
			func(l *ledger) bool { return len(l.payments) == 0 }},
		{"async success", "checkout.session.async_payment_succeeded", localpay.SessionCompleted(gift),
			func(l *ledger) bool { return len(l.payments) == 1 && l.payments[0].Key == "pi_local_don_1" }},
		{"async failure", "checkout.session.async_payment_failed", localpay.SessionAsyncFailed(gift),
			func(l *ledger) bool { return len(l.fails) == 1 && l.fails[0] == "don_1" }},
		{"monthly session links, counts nothing", "checkout.session.completed", localpay.SessionCompleted(monthly),
			func(l *ledger) bool {
				return len(l.payments) == 0 && len(l.links) == 1 && l.links[0] == "don_1 sub_local_don_1 cus_local_don_1"
			}},
		{"another kind's session", "checkout.session.completed", otherKind,
			func(l *ledger) bool { return len(l.payments)+len(l.links) == 0 }},
		{"no metadata of ours: client_reference_id is no proof", "checkout.session.completed", noMeta,
			func(l *ledger) bool { return len(l.payments)+len(l.links) == 0 }},
		{"invoice paid", "invoice.paid", localpay.InvoicePaid(monthly, 2, now),
			func(l *ledger) bool {
				p := l.payments
				return len(p) == 1 && p[0].Key == "pi_local_don_1_2" && p[0].AmountCents == 2606 &&
					p[0].InvoiceID == "in_local_don_1_2" && p[0].SubscriptionID == "sub_local_don_1" && p[0].PaidAt.Unix() == now.Unix()
			}},
		{"invoice of no donation", "invoice.paid", invoiceNoMeta,
			func(l *ledger) bool { return len(l.payments) == 0 }},
		{"free invoice", "invoice.paid", freeInvoice,
			func(l *ledger) bool { return len(l.payments) == 0 }},
		{"refund", "charge.refunded", localpay.ChargeRefunded("pi_local_don_1", 2606, 500, "cad"),
			func(l *ledger) bool {
				return len(l.refunds) == 1 && l.refunds[0].PaymentKey == "pi_local_don_1" && l.refunds[0].RefundedTotalCents == 500
			}},
		{"dispute", "charge.dispute.created", localpay.DisputeCreated("pi_local_don_1", 2606, "cad", now),
			func(l *ledger) bool {
				return len(l.disputes) == 1 && l.disputes[0].ChargeID == "ch_local_don_1" && l.disputes[0].Reason == "fraudulent"
			}},
		{"unhandled type", "customer.updated", localpay.Object{"id": "cus_1", "object": "customer"},
			func(l *ledger) bool { return len(l.payments)+len(l.refunds)+len(l.links) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &ledger{}
			if st := signed(Handler{Secret: secret, Ledger: l}, localpay.Event(tt.typ, tt.obj, now)); st != 200 {
				t.Fatalf("status %d", st)
			}
			if !tt.check(l) {
				t.Fatalf("ledger %+v", l)
			}
		})
	}
}

func TestStatuses(t *testing.T) {
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), time.Now())
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"applied", nil, 200},
		{"duplicate", donation.ErrDuplicate, 200},
		{"payment not recorded yet", donation.ErrUnknownPayment, 503},
		{"store down", errors.New("dynamodb: throttled"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if st := signed(Handler{Secret: secret, Ledger: &ledger{err: tt.err}}, payload); st != tt.want {
				t.Fatalf("status %d, want %d", st, tt.want)
			}
		})
	}
	t.Run("a refund or dispute before its payment is kept, not refused", func(t *testing.T) {
		l := &ledger{err: donation.ErrUnknownPayment}
		now := time.Now()
		for _, ev := range [][]byte{
			localpay.Event("charge.refunded", localpay.ChargeRefunded("pi_x", 100, 50, "cad"), now),
			localpay.Event("charge.dispute.funds_withdrawn", localpay.Dispute("pi_x", 100, "cad", now, localpay.DisputeWithdrawn), now),
		} {
			if st := signed(Handler{Secret: secret, Ledger: l}, ev); st != 200 {
				t.Fatalf("status %d", st)
			}
		}
		if l.held != 2 {
			t.Fatalf("%d kept, want 2", l.held)
		}
	})
	t.Run("malformed object", func(t *testing.T) {
		bad := []byte(strings.Replace(string(payload), `"amount_total":2606`, `"amount_total":"lots"`, 1))
		if st := signed(Handler{Secret: secret, Ledger: &ledger{}}, bad); st != 400 {
			t.Fatalf("status %d", st)
		}
	})
}

// FuzzWebhook signs arbitrary payloads and feeds them to the handler: whatever the
// bytes, it must answer 200 or 400 (the ledger never fails here) and never panic.
func FuzzWebhook(f *testing.F) {
	now := time.Now()
	monthly := gift
	monthly.Frequency = "monthly"
	for _, ev := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now),
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(monthly), now),
		localpay.Event("invoice.paid", localpay.InvoicePaid(monthly, 1, now), now),
		localpay.Event("charge.refunded", localpay.ChargeRefunded("pi_x", 100, 50, "cad"), now),
		localpay.Event("charge.dispute.created", localpay.DisputeCreated("pi_x", 100, "cad", now), now),
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(planSub, &subscription.Shipping{City: "Ottawa"}), now),
		localpay.Event("invoice.paid", localpay.PlanInvoice(planSub, plan.Default()["solidarity-annual"], 2, true), now),
		localpay.Event("invoice.upcoming", localpay.UpcomingInvoice(planSub, plan.Default()["solidarity-annual"], 2), now),
		localpay.Event("customer.subscription.updated", localpay.PlanSubscription(planSub, "past_due", true), now),
		localpay.Event("customer.updated", localpay.CustomerWithShipping(planSub, subscription.Shipping{City: "Laval"}), now),
		[]byte(`{"id":"evt_1","api_version":"2023-10-16","type":"invoice.paid","data":{"object":null}}`),
		[]byte(`{}`),
	} {
		f.Add(ev)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		st := signed(Handler{Secret: secret, Ledger: &ledger{}, Subscriptions: plans{}, Plans: plan.Default()}, payload)
		if st != 200 && st != 400 && st != 413 {
			t.Fatalf("status %d for %q", st, payload)
		}
	})
}

var planSub = subscription.Subscription{ID: "subs_1", Plan: "solidarity-annual", Kind: "subscription", Email: "a@example.org",
	CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

// plans is a Subscriptions that checks what the handler read from each event.
type plans struct{}

func (plans) ApplySubscriptionEvent(_ context.Context, ev donation.Event, id string, c subscription.Change, _ plan.Catalogue) error {
	if id == "" || c.EventID != ev.ID || c.Type != ev.Type {
		return fmt.Errorf("change %+v for %q from event %+v", c, id, ev)
	}
	return nil
}
func (plans) SubscriptionsOfCustomer(context.Context, string) ([]string, error) {
	return []string{"subs_1"}, nil
}
func (plans) HoldCustomerChange(context.Context, subscription.Change, plan.Catalogue) error {
	return nil
}
