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
	"github.com/solidarity/solidarity/shared/signup"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	store := dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)
	h := signup.Handler{Service: signup.Service{Store: store, Now: time.Now}}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
