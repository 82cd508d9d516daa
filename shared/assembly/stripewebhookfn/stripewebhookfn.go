// Package stripewebhookfn builds the stripe-webhook function: POST /webhooks/stripe.
package stripewebhookfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/webhook"
)

// New is the stripe-webhook function's handler, with its signing secrets
// (STRIPE_WEBHOOK_SECRET, else its SSM parameter, read at the cold start and again every
// webhook.SecretMaxAge, so that a rotated secret reaches a running function).
func New(ctx context.Context, e assembly.Env) (webhook.Handler, error) {
	c := e.Config
	store := e.Store(e.DB())
	h := webhook.Applier(store, store, c.StripeMode != config.StripeTest) // live unless STRIPE_MODE says test
	if c.StripeWebhookSecret != "" {
		h.Secret = c.StripeWebhookSecret
		return h, nil
	}
	client := secret.NewClient(e.AWS)
	h.Secrets = &webhook.SecretSource{Now: e.Clock(), Load: func(ctx context.Context) (string, error) {
		return secret.Resolve(ctx, client, "STRIPE_WEBHOOK_SECRET", "", c.StripeWebhookSecretParam)
	}}
	if _, err := h.Secrets.Secrets(ctx); err != nil {
		return webhook.Handler{}, err
	}
	return h, nil
}
