// Package portalfn builds the portal function: POST /portal (email a link, behind the
// forms' guard) and GET /portal (follow it to Stripe's customer portal).
package portalfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/portal"
)

// New is the portal function's handler.
func New(ctx context.Context, e assembly.Env) (portal.Handler, error) {
	key, err := secret.StripeKey(ctx, e)
	if err != nil {
		return portal.Handler{}, err
	}
	db := e.DB()
	g, err := forms.Guard(ctx, e, db, "portal")
	if err != nil {
		return portal.Handler{}, err
	}
	return portal.Handler{
		Store:     e.Store(db),
		Sessions:  portal.NewSessions(payment.Backend(e.Config.StripeAPIURL), key),
		PublicURL: e.Config.PublicURL, Now: e.Clock(), Guard: g,
	}, nil
}
