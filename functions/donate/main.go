// Command donate is the Lambda behind POST /donations and the pages Checkout returns to.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/secrets"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	ctx := context.Background()
	cfg, aws, err := config.LoadAWS(ctx)
	if err != nil {
		fatal("config", err)
	}
	key, err := secrets.Resolve(ctx, ssm.NewFromConfig(aws), "STRIPE_SECRET_KEY", cfg.StripeSecretKey, cfg.StripeSecretKeyParam)
	if err != nil {
		fatal("stripe secret key", err)
	}
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)
	checkout := payment.NewCheckout(payment.Backend(cfg.StripeAPIURL), key, cfg.PublicURL)
	h := donate.Handler{
		Service:   donate.Service{Store: store, Checkout: checkout, Fees: donation.Fees{PercentBps: cfg.FeePercentBps, FixedCents: cfg.FeeFixedCents}, Now: time.Now},
		ThanksURL: cfg.PublicURL + "/donations/thanks",
	}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}

func fatal(what string, err error) {
	slog.Error(what, "err", redact.Error(err))
	os.Exit(1)
}
