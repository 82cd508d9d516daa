// Package stripewebhookfn builds the stripe-webhook function: POST /webhooks/stripe.
package stripewebhookfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/webhook"
)

// New is the stripe-webhook function's handler, with its signing secret
// (STRIPE_WEBHOOK_SECRET, or its SSM parameter).
func New(ctx context.Context, e assembly.Env) (webhook.Handler, error) {
	c := e.Config
	signing, err := secret.Value(ctx, e, "STRIPE_WEBHOOK_SECRET", c.StripeWebhookSecret, c.StripeWebhookSecretParam)
	if err != nil {
		return webhook.Handler{}, err
	}
	store := e.Store(e.DB())
	return webhook.Handler{Secret: signing, Ledger: store, Subscriptions: store, Plans: plan.Default()}, nil
}
