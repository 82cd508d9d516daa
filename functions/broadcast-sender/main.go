// Command broadcast-sender is the Lambda on the broadcast queue: each message sends a
// queued broadcast, paced to the account's SES rate, handing the rest on to a message of
// its own before its time runs out.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/broadcastsenderfn"
)

func main() {
	ctx := context.Background()
	f := assembly.Must(broadcastsenderfn.New(ctx, assembly.Boot(ctx)))
	lambda.StartWithOptions(f.Handle, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
