package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/subscription"
)

// TestCreateIsRetrySafe: a create sent again after its first attempt applied (the answer
// was lost on the way back, and the SDK or the caller retried) succeeds without a second
// record; a different record under a taken id is still refused.
func TestCreateIsRetrySafe(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	now := time.Now().UTC().Truncate(time.Second)
	d := donation.Donation{ID: "don_retry", Campaign: "appeal", AmountCents: 2500, ChargeCents: 2500, Currency: "cad",
		Frequency: donation.Once, Email: "retry@example.org", Language: "en", Status: donation.StatusPending, CreatedAt: now}
	withConsent := &consent.Record{Email: d.Email, SourceID: d.ID, At: now, Language: "en"}
	for _, rec := range []*consent.Record{nil, withConsent} {
		d := d
		if rec != nil {
			d.ID = "don_retry_consent"
		}
		for attempt := 1; attempt <= 2; attempt++ {
			if err := store.CreateDonation(ctx, d, rec); err != nil {
				t.Fatalf("consent %v, attempt %d: %v", rec != nil, attempt, err)
			}
		}
		other := d
		other.AmountCents = 9900
		if err := store.CreateDonation(ctx, other, rec); err == nil {
			t.Errorf("consent %v: a different donation under a taken id was stored", rec != nil)
		}
		got, err := store.Donation(ctx, d.ID)
		if err != nil || got.AmountCents != 2500 {
			t.Errorf("consent %v: stored %+v, %v", rec != nil, got, err)
		}
	}

	sub := subscription.Subscription{ID: "subs_retry", Plan: "solidarity-annual", Kind: "subscription", Email: "retry@example.org",
		Status: subscription.StatusPending, CreatedAt: now}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := store.CreateSubscription(ctx, sub, nil); err != nil {
			t.Fatalf("subscription attempt %d: %v", attempt, err)
		}
	}
	other := sub
	other.Plan = "dues-monthly"
	if err := store.CreateSubscription(ctx, other, nil); err == nil {
		t.Error("a different subscription under a taken id was stored")
	}
}
