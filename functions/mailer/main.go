// Command mailer is the Lambda on the table's stream that sends outbox emails via SES v2.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
)

func main() {
	ctx := context.Background()
	m := assembly.Must(mailerfn.New(ctx, assembly.Boot(ctx)))
	lambda.StartWithOptions(m.Handle, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
