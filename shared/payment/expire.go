package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	stripe "github.com/stripe/stripe-go/v76"
)

// ExpireSession ends the Checkout session id at Stripe, so that it can no longer be
// paid, and returns its status then, as Stripe reports it: "expired", or "complete" if it
// was paid first. Stripe refuses to expire a session that is not open (400); the session
// is then read, and its status returned (one that had expired already is "expired").
func (c Checkout) ExpireSession(ctx context.Context, id string) (string, error) {
	params := &stripe.CheckoutSessionExpireParams{}
	params.Context = ctx
	s, err := c.Sessions.Expire(id, params)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusBadRequest {
		get := &stripe.CheckoutSessionParams{}
		get.Context = ctx
		s, err = c.Sessions.Get(id, get)
	}
	if err != nil {
		return "", fmt.Errorf("stripe checkout %s: %w", id, Redacted(err))
	}
	return string(s.Status), nil
}
