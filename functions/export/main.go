// Command export is the Lambda the nightly schedule runs: it starts a point-in-time
// export of the table to the exports bucket and records it.
package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/backup"
	"github.com/solidarity/solidarity/shared/config"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	if cfg.TableARN == "" || cfg.ExportBucket == "" {
		config.Fatal("config", errors.New("TABLE_ARN and EXPORT_BUCKET must be set"))
	}
	e := backup.Exporter{DB: dynamodb.NewFromConfig(aws), Table: cfg.Table, TableARN: cfg.TableARN, Bucket: cfg.ExportBucket, Now: time.Now}
	lambda.StartWithOptions(func(ctx context.Context, _ events.EventBridgeEvent) (backup.Record, error) {
		return e.Run(ctx)
	}, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
