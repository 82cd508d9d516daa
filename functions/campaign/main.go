// Command campaign is the Lambda behind GET /campaigns/{slug}.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/redact"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, aws, err := config.LoadAWS(context.Background())
	if err != nil {
		fatal("config", err)
	}
	h := campaign.Handler{Campaigns: dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table)}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}

func fatal(what string, err error) {
	slog.Error(what, "err", redact.Error(err))
	os.Exit(1)
}
