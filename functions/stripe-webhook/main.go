// Command stripe-webhook is the Lambda behind POST /webhooks/stripe.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/secrets"
	"github.com/solidarity/solidarity/shared/webhook"
)

func main() {
	ctx := context.Background()
	cfg, aws := config.Boot(ctx)
	secret, err := secrets.Resolve(ctx, ssm.NewFromConfig(aws), "STRIPE_WEBHOOK_SECRET", cfg.StripeWebhookSecret, cfg.StripeWebhookSecretParam)
	if err != nil {
		config.Fatal("stripe webhook secret", err)
	}
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)
	h := webhook.Handler{Secret: secret, Ledger: store, Subscriptions: store, Plans: plan.Default()}
	httpapi.Start(httpapi.Mux(h), nil)
}
