// Package subscribefn builds the subscribe function: POST /subscriptions and the pages
// Checkout returns to.
package subscribefn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/checkout"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscribe"
)

// New is the subscribe function's handler.
func New(ctx context.Context, e assembly.Env) (subscribe.Handler, error) {
	f, err := checkout.NewForm(ctx, e, "subscriptions")
	if err != nil {
		return subscribe.Handler{}, err
	}
	return subscribe.Handler{
		Guard:         f.Guard,
		Service:       subscribe.Service{Store: f.Store, Checkout: f.Checkout, Plans: plan.Default(), Now: e.Clock()},
		ThanksURL:     e.Config.PublicURL + "/subscriptions/thanks",
		Subscriptions: f.Store,
	}, nil
}
