// Command mailer is the Lambda on the table's stream that sends outbox emails via SES v2.
package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/mail"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	if cfg.MailFrom == "" || cfg.PublicURL == "" {
		config.Fatal("config", errors.New("MAIL_FROM and PUBLIC_URL (the base of emailed links) must be set"))
	}
	m := mail.Mailer{
		DB: dynamodb.NewFromConfig(aws), Table: cfg.Table, SES: sesv2.NewFromConfig(aws),
		From: cfg.MailFrom, ConfigurationSet: cfg.MailConfigurationSet,
		Links: mail.Links(cfg.DonatePageURL), PublicURL: cfg.PublicURL, Now: time.Now,
	}
	lambda.StartWithOptions(m.Handle, lambda.WithEnableSIGTERM(func() { slog.Info("shutting down") }))
}
