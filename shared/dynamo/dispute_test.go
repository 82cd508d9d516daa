package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/webhook"
)

// permutations returns every order of xs.
func permutations[T any](xs []T) [][]T {
	if len(xs) <= 1 {
		return [][]T{append([]T(nil), xs...)}
	}
	var out [][]T
	for i := range xs {
		rest := append(append([]T(nil), xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]T{xs[i]}, p...))
		}
	}
	return out
}

// TestDisputeLifeInAnyOrder: Stripe's events of a chargeback, through the webhook into
// moto, in every order and each delivered twice (and all again at the end), with a
// partial refund of the same charge before them, after them, or none — and the payment's
// own event first, or (with the refund before) after everything, or (with the refund
// after) amid the dispute's events: what comes before its payment is kept and applied
// with it. A lost dispute ends with its money out of the donation's and the campaign's
// totals once; a won one gives back what Stripe withdrew; the refund counts once beside
// it either way.
func TestDisputeLifeInAnyOrder(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	hook := webhook.Handler{Secret: "whsec_disputes", Ledger: store}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	const charge, refund, disputed = 2606, 500, 2106 // a dispute of what the refund left
	before, err := store.Campaign(ctx, localdev.AppealSlug)
	if err != nil {
		t.Fatal(err)
	}
	lives := []struct {
		name   string
		stages []localpay.DisputeStage
		held   int64
		status string
	}{
		{"lost", []localpay.DisputeStage{localpay.DisputeOpened, localpay.DisputeWithdrawn, localpay.DisputeLost}, disputed, "lost"},
		{"won", []localpay.DisputeStage{localpay.DisputeOpened, localpay.DisputeWithdrawn, localpay.DisputeReinstated, localpay.DisputeWon}, 0, "won"},
	}
	var wantPaid, wantRefunded, wantDisputed int64
	n := 0
	for _, life := range lives {
		for _, order := range permutations(life.stages) {
			for _, refunded := range []string{"none", "before", "after"} {
				n++
				name := fmt.Sprintf("%s/%v/refund-%s", life.name, order, refunded)
				d := donation.Donation{ID: fmt.Sprintf("don_dsp_%d", n), Campaign: localdev.AppealSlug, CampaignTitle: "Appeal",
					Currency: "cad", AmountCents: 2500, ChargeCents: charge, Frequency: donation.Once, FirstName: "Wayan",
					Email: fmt.Sprintf("dsp%d@example.org", n), Language: "en", Status: donation.StatusPending, CreatedAt: created}
				d.CheckoutID = localpay.SessionID(d)
				if err := store.CreateDonation(ctx, d, nil); err != nil {
					t.Fatal(err)
				}
				pi := localpay.PaymentIntentID(d)
				events := [][]byte{}
				for _, st := range order {
					ev := localpay.Event(localpay.DisputeEvent(st), localpay.Dispute(pi, disputed, "cad", created, st), created.Add(time.Hour))
					events = append(events, ev, ev)
				}
				refundEv := localpay.Event("charge.refunded", localpay.ChargeRefunded(pi, charge, refund, "cad"), created.Add(time.Hour))
				paid := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), created.Add(time.Minute))
				switch refunded {
				case "none":
					events = append([][]byte{paid}, events...)
				case "before": // the payment's event last of all
					events = append(append([][]byte{refundEv}, events...), paid)
				case "after": // the payment's event amid the dispute's
					half := 2 * (len(order) / 2)
					events = append(append(append(append([][]byte{}, events[:half]...), paid), events[half:]...), refundEv)
				}
				wantRefunded += map[bool]int64{true: refund}[refunded != "none"]
				wantPaid += charge
				wantDisputed += life.held
				wantRef := map[bool]int64{true: refund}[refunded != "none"]
				// The events once (each twice in a row), then all again: the same end both times.
				for _, round := range []string{"delivered", "redelivered"} {
					for _, ev := range events {
						if st := signedDelivery(hook, ev); st != 200 {
							t.Fatalf("%s: webhook %d", name, st)
						}
					}
					got, err := store.Donation(ctx, d.ID)
					if err != nil {
						t.Fatal(err)
					}
					var pr dynamo.PaymentRecord
					getItem(t, c, "PAYMENT#"+pi, &pr)
					var rec struct {
						Status    string `dynamodbav:"status"`
						HeldCents int64  `dynamodbav:"held_cents"`
					}
					getItem(t, c, "DISPUTE#dp_"+pi[3:], &rec)
					if got.DisputedCents != life.held || got.RefundedCents != wantRef || !got.Disputed ||
						pr.DisputedCents != life.held || pr.RefundedCents != wantRef || !pr.Disputed ||
						rec.Status != life.status || rec.HeldCents != life.held {
						t.Errorf("%s, %s: donation disputed %d refunded %d (%v), payment %d %d, dispute %s holding %d; want %d held, %d refunded, %s",
							name, round, got.DisputedCents, got.RefundedCents, got.Disputed, pr.DisputedCents, pr.RefundedCents,
							rec.Status, rec.HeldCents, life.held, wantRef, life.status)
					}
				}
			}
		}
	}
	camp, err := store.Campaign(ctx, localdev.AppealSlug)
	if err != nil {
		t.Fatal(err)
	}
	if camp.PaidCents-before.PaidCents != wantPaid || camp.RefundedCents-before.RefundedCents != wantRefunded ||
		camp.DisputedCents-before.DisputedCents != wantDisputed ||
		camp.RaisedCents()-before.RaisedCents() != wantPaid-wantRefunded-wantDisputed {
		t.Fatalf("campaign moved paid %d refunded %d disputed %d, want %d %d %d", camp.PaidCents-before.PaidCents,
			camp.RefundedCents-before.RefundedCents, camp.DisputedCents-before.DisputedCents, wantPaid, wantRefunded, wantDisputed)
	}
	t.Logf("%d dispute lives in every order: paid %d, refunded %d, disputes hold %d", n, wantPaid, wantRefunded, wantDisputed)
}

// TestPlanRefundsAndDisputes: a dues invoice's refund and a subscription invoice's lost
// dispute find their subscription through the invoice's payment (its charge names only
// the payment intent) and lower its net paid money, once however often delivered, in
// the plan's currency; the campaign's totals do not move. A charge that is not this
// deployment's is acknowledged (200) and logged by id, not refused for retries.
func TestPlanRefundsAndDisputes(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	plans := plan.Default()
	hook := webhook.Handler{Secret: "whsec_plan_refunds", Ledger: store, Subscriptions: store, Plans: plans}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	newSub := func(id, slug string) (subscription.Subscription, plan.Plan) {
		p := plans[slug]
		s := subscription.Subscription{ID: id, Plan: p.Slug, Kind: p.Kind, Email: id + "@example.org", FirstName: "Wayan",
			Language: "en", Status: subscription.StatusPending, Currency: p.Currency, CreatedAt: created}
		if err := store.CreateSubscription(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
		return s, p
	}
	deliver := func(evs ...[]byte) {
		t.Helper()
		for _, ev := range append(evs, evs...) { // each twice
			if st := signedDelivery(hook, ev); st != 200 {
				t.Fatalf("webhook %d", st)
			}
		}
	}
	before, _ := store.Campaign(ctx, localdev.AppealSlug)

	dues, duesPlan := newSub("subs_ref_dues", "dues-monthly")
	paper, paperPlan := newSub("subs_ref_paper", "solidarity-annual")
	at := created.Add(time.Minute)
	deliver(
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(dues, nil), at),
		localpay.Event("invoice.paid", localpay.PlanInvoice(dues, duesPlan, 1, true), at),
		localpay.Event("invoice.paid", localpay.PlanInvoice(dues, duesPlan, 2, true), at.Add(time.Hour)),
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(paper, nil), at),
		localpay.Event("invoice.paid", localpay.PlanInvoice(paper, paperPlan, 1, true), at),
	)
	duesPI, paperPI := localpay.PlanPaymentIntentID(dues, 2), localpay.PlanPaymentIntentID(paper, 1)
	lines := emulator.Logged(t, func() {
		deliver(
			// The second month of dues refunded, in two steps; the paper's year lost to a chargeback.
			localpay.Event("charge.refunded", localpay.ChargeRefunded(duesPI, duesPlan.AmountCents, 100, duesPlan.Currency), at.Add(2*time.Hour)),
			localpay.Event("charge.refunded", localpay.ChargeRefunded(duesPI, duesPlan.AmountCents, duesPlan.AmountCents, duesPlan.Currency), at.Add(3*time.Hour)),
			localpay.Event("charge.dispute.closed", localpay.Dispute(paperPI, paperPlan.AmountCents, paperPlan.Currency, at, localpay.DisputeLost), at.Add(4*time.Hour)),
			localpay.Event("charge.dispute.created", localpay.Dispute(paperPI, paperPlan.AmountCents, paperPlan.Currency, at, localpay.DisputeOpened), at.Add(2*time.Hour)),
			// Another system's charge on the same account: no record, no metadata of ours.
			localpay.Event("charge.refunded", localpay.ChargeRefunded("pi_elsewhere_1", 9900, 9900, "cad"), at),
			localpay.Event("charge.dispute.created", localpay.DisputeCreated("pi_elsewhere_2", 9900, "cad", at), at),
		)
	})
	gotDues, err := store.Subscription(ctx, dues.ID)
	if err != nil {
		t.Fatal(err)
	}
	gotPaper, err := store.Subscription(ctx, paper.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gotDues.PaidCents != 2*duesPlan.AmountCents || gotDues.RefundedCents != duesPlan.AmountCents || gotDues.NetCents() != duesPlan.AmountCents {
		t.Errorf("dues: paid %d refunded %d net %d", gotDues.PaidCents, gotDues.RefundedCents, gotDues.NetCents())
	}
	if gotPaper.PaidCents != paperPlan.AmountCents || gotPaper.DisputedCents != paperPlan.AmountCents || gotPaper.NetCents() != 0 {
		t.Errorf("paper: paid %d disputed %d net %d", gotPaper.PaidCents, gotPaper.DisputedCents, gotPaper.NetCents())
	}
	// An invoice's refund and its chargeback, both before the invoice's own event: kept,
	// then applied when it comes.
	early, earlyPlan := newSub("subs_ref_early", "dues-monthly")
	earlyPI := localpay.PlanPaymentIntentID(early, 1)
	deliver(
		localpay.Event("charge.refunded", localpay.ChargeRefunded(earlyPI, earlyPlan.AmountCents, 200, earlyPlan.Currency), at.Add(time.Hour)),
		localpay.Event("charge.dispute.funds_withdrawn", localpay.Dispute(earlyPI, earlyPlan.AmountCents-200, earlyPlan.Currency, at, localpay.DisputeWithdrawn), at.Add(2*time.Hour)),
	)
	if s, _ := store.Subscription(ctx, early.ID); s.RefundedCents != 0 || s.DisputedCents != 0 {
		t.Fatalf("an early refund counted before its payment: %+v", s)
	}
	deliver(
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(early, nil), at),
		localpay.Event("invoice.paid", localpay.PlanInvoice(early, earlyPlan, 1, true), at),
	)
	if s, _ := store.Subscription(ctx, early.ID); s.RefundedCents != 200 || s.DisputedCents != earlyPlan.AmountCents-200 || s.NetCents() != 0 {
		t.Errorf("early refund and dispute: paid %d refunded %d disputed %d", s.PaidCents, s.RefundedCents, s.DisputedCents)
	}

	// The subscription's other changes still apply after the ledger's (its rev moved).
	deliver(localpay.Event("customer.subscription.updated", localpay.PlanSubscription(dues, "active", true), at.Add(5*time.Hour)))
	if s, _ := store.Subscription(ctx, dues.ID); !s.CancelAtPeriodEnd || s.RefundedCents != duesPlan.AmountCents {
		t.Errorf("dues after an update: cancel %v refunded %d", s.CancelAtPeriodEnd, s.RefundedCents)
	}
	camp, _ := store.Campaign(ctx, localdev.AppealSlug)
	if camp.RaisedCents() != before.RaisedCents() || camp.DisputedCents != before.DisputedCents {
		t.Errorf("the campaign moved: %+v, was %+v", camp, before)
	}
	notOurs := map[string]bool{}
	for _, l := range lines {
		if l["msg"] == "stripe charge unknown, kept for its payment" {
			notOurs[fmt.Sprint(l["charge_id"])] = true
		}
	}
	if !notOurs["ch_elsewhere_1"] || !notOurs["ch_elsewhere_2"] {
		t.Errorf("charges not ours logged: %v", notOurs)
	}
}
