// Command staff is Solidarity's staff tool: campaigns, offline gifts (cheques, cash),
// branches and members, on the live table. Run `staff` for its help.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/staff"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Print(staff.Usage)
		return
	}
	if os.Getenv("TABLE_NAME") == "" {
		os.Setenv("TABLE_NAME", "solidarity")
	}
	ctx := context.Background()
	cfg, err := config.Load()
	if err == nil {
		err = run(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "staff:", err)
		if errors.Is(err, staff.ErrUsage) {
			fmt.Fprint(os.Stderr, "\n"+staff.Usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config.Config) error {
	aws, err := config.AWS(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(aws)
	src := staff.Sources{
		// Path-style addressing works with AWS and with moto (AWS_ENDPOINT_URL).
		S3: s3.NewFromConfig(aws, func(o *s3.Options) {
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != ""
			o.DisableLogOutputChecksumValidationSkipped = true // moto sends no checksums
		}),
		DB: db, Table: cfg.Table, Tty: staff.Terminal(os.Stderr), Export: db,
		// privacy erase's keyed hash: ERASURE_KEY locally, else the SSM SecureString that
		// ERASURE_KEY_PARAM names, read only when an erasure needs it.
		ErasureKey: func(ctx context.Context) ([]byte, error) {
			k, err := secret.Resolve(ctx, ssm.NewFromConfig(aws), "ERASURE_KEY", os.Getenv("ERASURE_KEY"), os.Getenv("ERASURE_KEY_PARAM"))
			return []byte(k), err
		},
		// privacy erase -expire-checkouts: Stripe's secret key, STRIPE_SECRET_KEY locally,
		// else the SSM SecureString that STRIPE_SECRET_KEY_PARAM names, read only when a
		// Checkout is to be expired; STRIPE_API_URL points at stripe-mock locally.
		Checkouts: func(ctx context.Context) (staff.CheckoutExpirer, error) {
			k, err := secret.Resolve(ctx, ssm.NewFromConfig(aws), "STRIPE_SECRET_KEY", cfg.StripeSecretKey, cfg.StripeSecretKeyParam)
			if err != nil {
				return nil, err
			}
			return payment.NewCheckout(payment.Backend(cfg.StripeAPIURL), k, ""), nil
		},
	}
	if days, err := strconv.Atoi(os.Getenv("EXPORT_RETENTION_DAYS")); err == nil && days > 0 {
		src.ExportRetentionDays = days // the stack's ExportRetentionDays, if not its default
	}
	// mail redrive sends through the mailer function's own assembly, when its settings
	// are given.
	if m, err := mailerfn.New(ctx, assembly.Env{Config: cfg, AWS: aws}); err == nil {
		src.Mailer = &m
		src.Queue = sqs.NewFromConfig(aws)
	}
	return staff.Run(ctx, dynamo.New(db, cfg.Table), src, os.Args[1:], os.Stdout)
}
