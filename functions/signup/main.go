// Command signup is the Lambda behind POST /members, the confirmation link
// (GET /members/confirm) and the "check your inbox" page.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/signup"
)

func main() {
	ctx := context.Background()
	cfg, aws := config.Boot(ctx)
	db := dynamodb.NewFromConfig(aws)
	store := dynamo.New(db, cfg.Table)
	formGuard := guard.New(ctx, cfg, aws, db, "members")
	h := signup.Handler{Service: signup.Service{Store: store, Now: time.Now}, Guard: formGuard}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
