// Package checkout builds Stripe Checkout for the forms that take money (donate,
// subscribe): the session calls, and what such a form is built on.
package checkout

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/request"
)

// Sessions is Stripe Checkout (stripe-mock locally, STRIPE_API_URL), or the Env's
// stand-in around it.
func Sessions(ctx context.Context, e assembly.Env) (assembly.Sessions, error) {
	key, err := secret.StripeKey(ctx, e)
	if err != nil {
		return nil, err
	}
	var s assembly.Sessions = payment.NewCheckout(payment.Backend(e.Config.StripeAPIURL), key, e.Config.PublicURL)
	if e.Checkout != nil {
		s = e.Checkout(s)
	}
	return s, nil
}

// Form is what a form that opens Stripe Checkout is built on.
type Form struct {
	Store    *dynamo.Store
	Guard    request.Guard
	Checkout assembly.Sessions
}

// NewForm is the store, guard and Checkout of the form endpoint.
func NewForm(ctx context.Context, e assembly.Env, endpoint string) (Form, error) {
	db := e.DB()
	g, err := forms.Guard(ctx, e, db, endpoint)
	if err != nil {
		return Form{}, err
	}
	c, err := Sessions(ctx, e)
	return Form{Store: e.Store(db), Guard: g, Checkout: c}, err
}
