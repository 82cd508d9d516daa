package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
)

func init() { emulator.Logs.Personal("Noor", "Haddad") }

// mismatchAlarms runs f and returns its log lines of alarm payment_mismatch (all of its
// lines also go to the log book, which checks them for personal data).
func mismatchAlarms(t *testing.T, f func()) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range emulator.Logged(t, f) {
		if m["alarm"] == dynamo.AlarmPaymentMismatch {
			out = append(out, m)
		}
	}
	return out
}

// TestPaymentNotAsAskedCountsAsStripeReports: against moto, a payment whose amount or
// Checkout session differs from what its donation asked is counted as Stripe reports it,
// recorded with what differed, and alarmed once by ids (a redelivery neither counts nor
// alarms again); a payment as asked is neither.
func TestPaymentNotAsAskedCountsAsStripeReports(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		cents    int64
		session  string // the session Stripe reports; the donation's is cs_<id>
		mismatch string
	}{
		{"as asked", 2606, "", ""},
		{"less than asked", 2500, "", "amount"},
		{"a hundred times more", 260_600, "", "amount"},
		{"through another session", 2606, "cs_elsewhere", "session"},
		{"both", 100, "cs_elsewhere", "amount,session"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "don_mismatch_" + string(rune('a'+i))
			d := donation.Donation{ID: id, Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
				AmountCents: 2500, ChargeCents: 2606, Frequency: donation.Once, FirstName: "Noor", LastName: "Haddad",
				Email: id + "@example.org", Language: "en", Status: donation.StatusPending, CreatedAt: created,
				CheckoutID: "cs_" + id}
			if err := store.CreateDonation(ctx, d, nil); err != nil {
				t.Fatal(err)
			}
			session := tt.session
			if session == "" {
				session = d.CheckoutID
			}
			before, err := store.Campaign(ctx, localdev.AppealSlug)
			if err != nil {
				t.Fatal(err)
			}
			p := donation.Payment{Event: donation.Event{ID: "evt_" + id, Type: "checkout.session.completed"}, Key: "pi_" + id,
				DonationID: id, AmountCents: tt.cents, Currency: "cad", PaidAt: created.Add(time.Minute), SessionID: session}
			alarms := mismatchAlarms(t, func() {
				if err := store.RecordPayment(ctx, p); err != nil {
					t.Fatal(err)
				}
				again := p
				again.Event.ID += "_again"
				if err := store.RecordPayment(ctx, again); !errors.Is(err, donation.ErrDuplicate) {
					t.Fatalf("redelivery: %v, want a duplicate", err)
				}
			})
			var pr dynamo.PaymentRecord
			if !getItem(t, c, "PAYMENT#"+p.Key, &pr) || pr.AmountCents != tt.cents || pr.Mismatch != tt.mismatch {
				t.Errorf("payment record %+v, want %d cents and mismatch %q", pr, tt.cents, tt.mismatch)
			}
			after, err := store.Campaign(ctx, localdev.AppealSlug)
			if err != nil {
				t.Fatal(err)
			}
			if after.PaidCents-before.PaidCents != tt.cents {
				t.Errorf("the campaign counted %d, want Stripe's %d", after.PaidCents-before.PaidCents, tt.cents)
			}
			if got, err := store.Donation(ctx, id); err != nil || got.PaidCents != tt.cents || got.Status != donation.StatusPaid {
				t.Errorf("donation %+v, %v", got, err)
			}
			if tt.mismatch == "" {
				if len(alarms) != 0 {
					t.Errorf("alarmed: %v", alarms)
				}
				return
			}
			if len(alarms) != 1 {
				t.Fatalf("%d alarms, want 1: %v", len(alarms), alarms)
			}
			a := alarms[0]
			if a["differs"] != tt.mismatch || a["donation_id"] != id || a["payment_key"] != p.Key || a["event_id"] != p.Event.ID ||
				a["session_id"] != session || a["requested_cents"] != 2606.0 || a["stripe_cents"] != float64(tt.cents) {
				t.Errorf("alarm %v", a)
			}
		})
	}
}
