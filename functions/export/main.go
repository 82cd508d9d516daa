// Command export is the Lambda the nightly schedule runs: it starts a point-in-time
// export of the table to the exports bucket and records it.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/exportfn"
	"github.com/solidarity/solidarity/shared/export"
)

func main() {
	ctx := context.Background()
	e := assembly.Must(exportfn.New(ctx, assembly.Boot(ctx)))
	lambda.StartWithOptions(func(ctx context.Context, _ events.EventBridgeEvent) (export.Record, error) {
		return e.Run(ctx)
	}, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
