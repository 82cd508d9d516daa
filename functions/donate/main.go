// Command donate is the Lambda behind POST /donations and the pages Checkout returns to.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/secrets"
)

func main() {
	ctx := context.Background()
	cfg, aws := config.Boot(ctx)
	key := secrets.StripeKey(ctx, cfg, aws)
	db := dynamodb.NewFromConfig(aws)
	store := dynamo.New(db, cfg.Table)
	formGuard := guard.New(ctx, cfg, aws, db, "donations")
	checkout := payment.NewCheckout(payment.Backend(cfg.StripeAPIURL), key, cfg.PublicURL)
	fees := donation.Fees{PercentBps: cfg.FeePercentBps, FixedCents: cfg.FeeFixedCents}
	h := donate.Handler{
		Guard:     formGuard,
		Service:   donate.Service{Store: store, Checkout: checkout, Fees: fees, Now: time.Now},
		ThanksURL: cfg.PublicURL + "/donations/thanks",
	}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
