package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/webhook"
)

// TestCustomerChangeBeforeItsSubscription: a customer's new mailing address that Stripe
// delivers before the Checkout event that tells the subscription its customer is
// acknowledged and kept, then applied when that event comes: the newer address wins,
// however often either is delivered. A stranger's customer changes nothing.
func TestCustomerChangeBeforeItsSubscription(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	plans := plan.Default()
	hook := webhook.Handler{Secret: "whsec_early_customer", Ledger: store, Subscriptions: store, Plans: plans}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	p := plans["solidarity-annual"]
	sub := subscription.Subscription{ID: "subs_early_cus", Plan: p.Slug, Kind: p.Kind, Email: "reader@example.org", FirstName: "Wayan",
		Language: "en", Status: subscription.StatusPending, Currency: p.Currency, CreatedAt: created}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	first := subscription.Shipping{Name: "Wayan", Line1: "350 Albert St", City: "Ottawa", State: "ON", PostalCode: "K1R 1A4", Country: "CA"}
	moved := first
	moved.Line1 = "12 Bank St"
	deliver := func(evs ...[]byte) {
		t.Helper()
		for _, ev := range evs {
			if st := signedDelivery(hook, ev); st != 200 {
				t.Fatalf("webhook %d", st)
			}
		}
	}
	updated := localpay.Event("customer.updated", localpay.CustomerWithShipping(sub, moved), created.Add(time.Hour))
	stranger := localpay.Event("customer.updated", localpay.CustomerWithShipping(subscription.Subscription{ID: "subs_elsewhere"}, moved), created)
	deliver(updated, updated, stranger)
	if s, _ := store.Subscription(ctx, sub.ID); s.Shipping != nil {
		t.Fatalf("an address applied before its subscription knew the customer: %+v", s.Shipping)
	}
	completed := localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &first), created.Add(time.Minute))
	deliver(completed, completed)
	s, err := store.Subscription(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Shipping == nil || s.Shipping.Line1 != moved.Line1 || s.Status != subscription.StatusActive {
		t.Fatalf("subscription %s, shipping %+v; want the newer address, %q", s.Status, s.Shipping, moved.Line1)
	}
}
