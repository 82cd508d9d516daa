// Command stripe-webhook is the Lambda behind POST /webhooks/stripe.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/secrets"
	"github.com/solidarity/solidarity/shared/webhook"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	ctx := context.Background()
	cfg, aws, err := config.LoadAWS(ctx)
	if err != nil {
		fatal("config", err)
	}
	secret, err := secrets.Resolve(ctx, ssm.NewFromConfig(aws), "STRIPE_WEBHOOK_SECRET", cfg.StripeWebhookSecret, cfg.StripeWebhookSecretParam)
	if err != nil {
		fatal("stripe webhook secret", err)
	}
	h := webhook.Handler{Secret: secret, Ledger: dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)}
	httpapi.Start(httpapi.Mux(h), nil)
}

func fatal(what string, err error) {
	slog.Error(what, "err", redact.Error(err))
	os.Exit(1)
}
