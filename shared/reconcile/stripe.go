package reconcile

import (
	"context"
	"errors"
	"strings"

	"github.com/solidarity/solidarity/shared/stripeapi"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/charge"
	"github.com/stripe/stripe-go/v76/dispute"
	"github.com/stripe/stripe-go/v76/event"
)

// Stripe is Stripe's record, read through stripe-go's list iterators (pages of 100,
// has_more, starting_after) with the secret key, never the library's global state.
type Stripe struct {
	B   stripe.Backend
	Key string
}

// NewStripe reaches Stripe's API at baseURL ("" for Stripe itself; stripe-mock's or a
// test's list server locally) with key.
func NewStripe(baseURL, key string) Stripe {
	return Stripe{B: stripeapi.Backend(baseURL), Key: key}
}

// pageSize is the largest page Stripe serves.
const pageSize = 100

// maxTypes is how many types one list of events may filter on.
const maxTypes = 20

func created(w Window) *stripe.RangeQueryParams {
	return &stripe.RangeQueryParams{GreaterThanOrEqual: w.From.Unix(), LesserThanOrEqual: w.To.Unix()}
}

func list(ctx context.Context) stripe.ListParams {
	return stripe.ListParams{Context: ctx, Limit: stripe.Int64(pageSize)}
}

// Events lists the events of types created in w, newest first (in lists of at most 20
// types, Stripe's limit).
func (s Stripe) Events(ctx context.Context, types []string, w Window, fn func(*stripe.Event) error) error {
	c := event.Client{B: s.B, Key: s.Key}
	for start := 0; start < len(types); start += maxTypes {
		p := &stripe.EventListParams{ListParams: list(ctx), CreatedRange: created(w)}
		for _, t := range types[start:min(start+maxTypes, len(types))] {
			p.Types = append(p.Types, stripe.String(t))
		}
		it := c.List(p)
		for it.Next() {
			if err := fn(it.Event()); err != nil {
				return err
			}
		}
		if err := it.Err(); err != nil {
			return err
		}
	}
	return nil
}

// Charges lists the charges created in w.
func (s Stripe) Charges(ctx context.Context, w Window, fn func(*stripe.Charge) error) error {
	it := charge.Client{B: s.B, Key: s.Key}.List(&stripe.ChargeListParams{ListParams: list(ctx), CreatedRange: created(w)})
	for it.Next() {
		if err := fn(it.Charge()); err != nil {
			return err
		}
	}
	return it.Err()
}

// Disputes lists the disputes created in w, or, with chargeID, every dispute of that charge.
func (s Stripe) Disputes(ctx context.Context, w Window, chargeID string, fn func(*stripe.Dispute) error) error {
	p := &stripe.DisputeListParams{ListParams: list(ctx)}
	if chargeID != "" {
		p.Charge = stripe.String(chargeID)
	} else {
		p.CreatedRange = created(w)
	}
	it := dispute.Client{B: s.B, Key: s.Key}.List(p)
	for it.Next() {
		if err := fn(it.Dispute()); err != nil {
			return err
		}
	}
	return it.Err()
}

// Prefixes of Stripe's secret and restricted keys of each mode.
var (
	liveKeyPrefixes = []string{"sk_" + "live_", "rk_" + "live_"}
	testKeyPrefixes = []string{"sk_test_", "rk_test_"}
)

// CheckKeyMode refuses a Stripe key of the other mode than the deployment's (live): its
// lists would be the other mode's events and charges, none of them this ledger's. A key
// of neither known shape is left for Stripe to judge.
func CheckKeyMode(key string, live bool) error {
	has := func(prefixes []string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				return true
			}
		}
		return false
	}
	switch {
	case live && has(testKeyPrefixes):
		return errors.New("Stripe's key is a test-mode key, and the stack is live (StripeMode): use the live key, or set StripeMode test")
	case !live && has(liveKeyPrefixes):
		return errors.New("Stripe's key is a live key, and the stack is in test mode (StripeMode): use the test key, or set StripeMode live")
	}
	return nil
}
