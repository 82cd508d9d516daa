// Command reconcile is the Lambda the daily schedule runs: it reads Stripe's events and
// charges of the last three days, applies the events the ledger has not seen, and logs
// each difference that remains with the alarm.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/reconcilefn"
)

func main() {
	ctx := context.Background()
	f := assembly.Must(reconcilefn.New(ctx, assembly.Boot(ctx)))
	lambda.StartWithOptions(func(ctx context.Context, _ events.EventBridgeEvent) (string, error) {
		return f.Run(ctx)
	}, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
