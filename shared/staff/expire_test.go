package staff

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// fakeStripe is a CheckoutExpirer that answers each session with a set status (or
// error) and remembers what it was asked.
type fakeStripe struct {
	status map[string]string
	err    error
	asked  []string
}

func (f *fakeStripe) ExpireSession(_ context.Context, id string) (string, error) {
	f.asked = append(f.asked, id)
	if f.err != nil {
		return "", f.err
	}
	return f.status[id], nil
}

// openCheckouts is a table where a stranger opened, two hours ago by the store's clock,
// the Checkout of a subscription and of a gift with the person's address, and a run of
// privacy erase on it with a Stripe that fake stands for (nil: none configured).
func openCheckouts(t *testing.T) (*dynamo.Store, func(fake *fakeStripe, args ...string) (string, error)) {
	t.Helper()
	store, _ := onTable(t)
	ctx := context.Background()
	created := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_open", Plan: "solidarity-monthly", Kind: plan.KindSubscription, Email: "ines@example.org",
		FirstName: "Inès", LastName: "Gagnon", Language: "fr", Status: subscription.StatusPending, CreatedAt: created, CheckoutID: "cs_sub"}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	gift := donation.Donation{ID: "don_open", Campaign: "winter", Currency: "cad", AmountCents: 2500, ChargeCents: 2500,
		Frequency: donation.Once, FirstName: "Inès", LastName: "Gagnon", Email: "ines@example.org", Language: "fr",
		Status: donation.StatusPending, CreatedAt: created.Add(time.Minute), CheckoutID: "cs_gift"}
	if err := store.CreateDonation(ctx, gift, nil); err != nil {
		t.Fatal(err)
	}
	at := *store
	at.Now = func() time.Time { return created.Add(2 * time.Hour) }
	return store, func(fake *fakeStripe, args ...string) (string, error) {
		src := withKey(Sources{})
		if fake != nil {
			src.Checkouts = func(context.Context) (CheckoutExpirer, error) { return fake, nil }
		}
		var out bytes.Buffer
		err := Run(ctx, &at, src, append([]string{"privacy", "erase", "-email", "ines@example.org", "-confirm"}, args...), &out)
		return out.String(), err
	}
}

// unchanged fails unless neither record was erased.
func unchanged(t *testing.T, store *dynamo.Store) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Subscription(ctx, "subs_open")
	if err != nil || s.IsErased() || s.FirstName != "Inès" {
		t.Fatalf("the subscription changed: %+v %v", s, err)
	}
	d, err := store.Donation(ctx, "don_open")
	if err != nil || d.IsErased() || d.FirstName != "Inès" {
		t.Fatalf("the gift changed: %+v %v", d, err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestPrivacyEraseExpiresOpenCheckouts: a Checkout anyone could open with the person's
// address no longer blocks their erasure. Without -expire-checkouts, erasing refuses,
// names the flag and asks Stripe nothing; with it, each open Checkout is expired at
// Stripe (one already expired counts as expired), then the erasure goes through.
func TestPrivacyEraseExpiresOpenCheckouts(t *testing.T) {
	store, run := openCheckouts(t)
	fake := &fakeStripe{status: map[string]string{"cs_sub": CheckoutExpired, "cs_gift": CheckoutExpired}}
	_, err := run(fake)
	for _, want := range []string{"erasure refused, nothing was changed", "subscription solidarity-monthly (record subs_open",
		"gift to winter (record don_open", "run privacy erase again with -expire-checkouts", "STRIPE_SECRET_KEY_PARAM"} {
		if !strings.Contains(errText(err), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if len(fake.asked) != 0 {
		t.Fatalf("Stripe was asked without the flag: %v", fake.asked)
	}
	unchanged(t, store)

	out, err := run(fake, "-expire-checkouts")
	if err != nil {
		t.Fatalf("erase with -expire-checkouts: %v\n%s", err, out)
	}
	if strings.Join(fake.asked, " ") != "cs_gift cs_sub" {
		t.Fatalf("sessions expired: %v", fake.asked)
	}
	for _, want := range []string{"expired at Stripe: Checkout cs_gift of gift to winter (record don_open)",
		"expired at Stripe: Checkout cs_sub of subscription solidarity-monthly (record subs_open)", "erased: ", "2 kept without identity"} {
		if !strings.Contains(out, want) {
			t.Errorf("the erasure does not say %q:\n%s", want, out)
		}
	}
	ctx := context.Background()
	if s, err := store.Subscription(ctx, "subs_open"); err != nil || !s.IsErased() || s.FirstName != "" {
		t.Fatalf("the subscription after the erasure: %+v %v", s, err)
	}
	if d, err := store.Donation(ctx, "don_open"); err != nil || !d.IsErased() || d.FirstName != "" {
		t.Fatalf("the gift after the erasure: %+v %v", d, err)
	}
}

// TestPrivacyEraseDoesNotExpireWhatWasPaid: with -expire-checkouts, a session Stripe
// reports complete (paid before it could be expired) refuses as a live record would, and
// nothing is erased; nor does anything when Stripe is out of reach, answers an open
// session, or its key is missing.
func TestPrivacyEraseDoesNotExpireWhatWasPaid(t *testing.T) {
	store, run := openCheckouts(t)
	for _, tt := range []struct {
		name  string
		fake  *fakeStripe
		wants []string
	}{
		{"paid", &fakeStripe{status: map[string]string{"cs_sub": CheckoutExpired, "cs_gift": CheckoutComplete}},
			[]string{"erasure refused, nothing was erased: ines@example.org has just paid",
				"gift to winter (record don_open): Stripe reports its Checkout cs_gift complete",
				"cancelled at Stripe", "The other open Checkouts (1) were expired at Stripe."}},
		{"still open", &fakeStripe{status: map[string]string{"cs_sub": "open", "cs_gift": "open"}},
			[]string{"nothing was erased: the Checkout cs_gift of gift to winter (record don_open) could not be expired at Stripe",
				`Stripe reports it "open"`}},
		{"unreachable", &fakeStripe{err: errors.New("stripe down")},
			[]string{"could not be expired at Stripe: stripe down", "Run privacy erase again"}},
		{"no key", nil, []string{"nothing was erased or expired", "STRIPE_SECRET_KEY_PARAM"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(tt.fake, "-expire-checkouts")
			if err == nil {
				t.Fatalf("erased:\n%s", out)
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the refusal does not say %q:\n%v", want, err)
				}
			}
			unchanged(t, store)
		})
	}
}

// TestPrivacyEraseExpiresOnlyWhenNothingElseRefuses: a subscription Stripe still charges
// refuses the erasure whatever the flag, and then no Checkout is expired.
func TestPrivacyEraseExpiresOnlyWhenNothingElseRefuses(t *testing.T) {
	store, run, _ := privacyTable(t)
	ctx := context.Background()
	gift := donation.Donation{ID: "don_open", Campaign: "winter", Currency: "cad", AmountCents: 2500, ChargeCents: 2500,
		Frequency: donation.Once, Email: "ines@example.org", Language: "fr", Status: donation.StatusPending,
		CreatedAt: time.Now().UTC(), CheckoutID: "cs_gift"}
	if err := store.CreateDonation(ctx, gift, nil); err != nil {
		t.Fatal(err)
	}
	fake := &fakeStripe{status: map[string]string{"cs_gift": CheckoutExpired}}
	src := withKey(Sources{Checkouts: func(context.Context) (CheckoutExpirer, error) { return fake, nil }})
	_, err := run(src, "privacy", "erase", "-email", "ines@example.org", "-confirm", "-expire-checkouts")
	for _, want := range []string{"erasure refused, nothing was changed", "subscription solidarity-monthly", "gift to winter",
		"-expire-checkouts expires open Checkouts only once nothing else stands in the way: nothing was expired"} {
		if !strings.Contains(errText(err), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if len(fake.asked) != 0 {
		t.Fatalf("Stripe was asked: %v", fake.asked)
	}
}
