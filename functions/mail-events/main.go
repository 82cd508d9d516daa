// Command mail-events is the Lambda on the stack's SES events topic: permanent bounces and
// complaints become suppressions, which the mailer checks before each send.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/maileventsfn"
)

func main() {
	ctx := context.Background()
	h := assembly.Must(maileventsfn.New(ctx, assembly.Boot(ctx)))
	lambda.StartWithOptions(h.Handle, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
