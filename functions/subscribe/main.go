// Command subscribe is the Lambda behind POST /subscriptions and the pages Checkout
// returns to.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/secrets"
	"github.com/solidarity/solidarity/shared/subscribe"
)

func main() {
	ctx := context.Background()
	cfg, aws := config.Boot(ctx)
	key := secrets.StripeKey(ctx, cfg, aws)
	db := dynamodb.NewFromConfig(aws)
	store := dynamo.New(db, cfg.Table)
	formGuard := guard.New(ctx, cfg, aws, db, "subscriptions")
	checkout := payment.NewCheckout(payment.Backend(cfg.StripeAPIURL), key, cfg.PublicURL)
	h := subscribe.Handler{
		Guard:     formGuard,
		Service:   subscribe.Service{Store: store, Checkout: checkout, Plans: plan.Default(), Now: time.Now},
		ThanksURL: cfg.PublicURL + "/subscriptions/thanks",
	}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
