// Command mailer is the Lambda on the table's stream that sends outbox emails via SES v2.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/redact"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, aws, err := config.LoadAWS(context.Background())
	if err != nil {
		fatal("config", err)
	}
	if cfg.MailFrom == "" {
		fatal("config", errors.New("MAIL_FROM is not set"))
	}
	m := mail.Mailer{
		DB: dynamodb.NewFromConfig(aws), Table: cfg.Table, SES: sesv2.NewFromConfig(aws),
		From: cfg.MailFrom, ConfigurationSet: cfg.MailConfigurationSet,
		Links: mail.Links(cfg.PublicURL, cfg.DonatePageURL), Now: time.Now,
	}
	lambda.StartWithOptions(m.Handle, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}

func fatal(what string, err error) {
	slog.Error(what, "err", redact.Error(err))
	os.Exit(1)
}
