// Command portal is the Lambda behind POST /portal (email a link) and GET /portal (follow
// it to the Stripe customer portal).
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/portal"
	"github.com/solidarity/solidarity/shared/secrets"
)

func main() {
	ctx := context.Background()
	cfg, aws := config.Boot(ctx)
	key := secrets.StripeKey(ctx, cfg, aws)
	h := portal.Handler{
		Store:     dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table),
		Sessions:  portal.NewSessions(payment.Backend(cfg.StripeAPIURL), key),
		PublicURL: cfg.PublicURL, Now: time.Now,
	}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
