// Command signup is the Lambda behind POST /members, the confirmation link
// (GET /members/confirm) and the "check your inbox" page.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/ratelimit"
	"github.com/solidarity/solidarity/shared/signup"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	db := dynamodb.NewFromConfig(aws)
	store := dynamo.New(db, cfg.Table)
	perIP, perEmail, window := cfg.RateLimits()
	guard := ratelimit.New(db, cfg.Table, "members", perIP, perEmail, window)
	h := signup.Handler{Service: signup.Service{Store: store, Now: time.Now}, Guard: guard.Request}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
