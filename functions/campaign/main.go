// Command campaign is the Lambda behind GET /campaigns/{slug}.
package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	h := campaign.Handler{Campaigns: dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
