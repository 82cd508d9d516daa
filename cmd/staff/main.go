// Command staff is Solidarity's staff tool: campaigns, offline gifts (cheques, cash),
// branches and members, on the live table. Run `staff` for its help.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	_ "time/tzdata" // -tz and TZ work on a machine without a zone database (Windows)

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/logging"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
	"github.com/solidarity/solidarity/shared/assembly/reconcilefn"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/reconcile"
	"github.com/solidarity/solidarity/shared/staff"
)

// version is the release this binary was built as: `make staff` sets it
// (-ldflags "-X main.version=…"); a plain `go build` says "dev".
var version = "dev"

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Print(staff.Usage)
		return
	}
	if os.Args[1] == "version" || os.Args[1] == "-version" || os.Args[1] == "--version" {
		fmt.Printf("staff %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return
	}
	// The functions' code it runs (the mailer, for tests and redrives) logs each email:
	// on a person's terminal, only warnings and errors.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx := context.Background()
	if err := run(ctx, os.Args[1:]); err != nil {
		// One sentence saying what to do, and for a usage error (exit status 2) the
		// command's usage line, never the whole help nor a bare Go or AWS error.
		msg, code := staff.Explain(os.Args[1:], err)
		fmt.Fprint(os.Stderr, msg)
		os.Exit(code)
	}
}

// run runs the command args; missing AWS credentials are said in one sentence.
func run(ctx context.Context, args []string) error {
	return staff.CredentialsSentence(runCommand(ctx, args))
}

func runCommand(ctx context.Context, args []string) error {
	stackName, args, err := staff.GlobalFlags(args)
	if err != nil {
		return err
	}
	// The command, its options and their values are checked before the AWS settings are
	// read, so that a typo is said as one whatever those settings are.
	if err := staff.Check(args); err != nil {
		return err
	}
	if stackName == "" {
		stackName = os.Getenv("SOLIDARITY_STACK")
	}
	if stackName == "" {
		if err := staff.NeedsStack(args); err != nil {
			return err
		}
	}
	// The SDK logs nothing (its IMDSv1 warning when no credentials are found, above
	// all): the tool says what went wrong in its own sentences.
	// The SDK's whole chain (profiles, SSO, shared files), unlike a function's
	// environment-only configuration (config.FromEnv), with the project's retryer.
	aws, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithLogger(logging.Nop{}))
	if err != nil {
		return fmt.Errorf("aws config: %w", err)
	}
	aws.Retryer = config.Retryer(aws.RetryMaxAttempts)
	if err := staff.CheckRegion(aws.Region); err != nil {
		return err
	}
	aws.Credentials = staff.MarkCredentials(aws.Credentials)
	// The stack's outputs (read once) are the defaults of the settings; the environment's
	// own settings win.
	var stack staff.Stack
	if stackName != "" {
		if stack, err = staff.ReadStack(ctx, cloudformation.NewFromConfig(aws), stackName, aws.Region); err != nil {
			return err
		}
	}
	getenv, err := staff.Settings(os.Getenv, stack)
	if err != nil {
		return err
	}
	cfg, err := config.LoadFrom(getenv)
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
		// Reports' language and time zone: -lang and -tz, else the machine's.
		Lang: staff.LocalLang(os.Getenv), Zone: staff.LocalZone(os.Getenv), Warn: os.Stderr,
		// privacy erase's keyed hash: ERASURE_KEY locally, else the SSM SecureString that
		// ERASURE_KEY_PARAM names, read only when an erasure needs it.
		ErasureKey: func(ctx context.Context) ([]byte, error) {
			k, err := secret.Resolve(ctx, staff.SSMParameters{Client: ssm.NewFromConfig(aws)}, "ERASURE_KEY", os.Getenv("ERASURE_KEY"), getenv("ERASURE_KEY_PARAM"))
			return []byte(k), err
		},
		// privacy erase -expire-checkouts: Stripe's secret key, STRIPE_SECRET_KEY locally,
		// else the SSM SecureString that STRIPE_SECRET_KEY_PARAM names, read only when a
		// Checkout is to be expired; STRIPE_API_URL points at stripe-mock locally.
		Checkouts: func(ctx context.Context) (staff.CheckoutExpirer, error) {
			k, err := staff.ReadStripeKey(ctx, ssm.NewFromConfig(aws), cfg.StripeSecretKey, cfg.StripeSecretKeyParam, aws.Region)
			if err != nil {
				return nil, err
			}
			return payment.NewCheckout(payment.Backend(cfg.StripeAPIURL), k, ""), nil
		},
		// stripe connect: Stripe's secret key as above, SSM for the webhook's signing
		// secret; -url and -param default to the stack's outputs.
		Stripe: func(ctx context.Context) (staff.StripeAccount, error) {
			params := ssm.NewFromConfig(aws)
			k, err := staff.ReadStripeKey(ctx, params, cfg.StripeSecretKey, cfg.StripeSecretKeyParam, aws.Region)
			if err != nil {
				return staff.StripeAccount{}, err
			}
			a := staff.NewStripeAccount(payment.Backend(cfg.StripeAPIURL), k, params)
			a.WebhookURL, a.WebhookParam, a.Stack = stack.Output("StripeWebhookUrl"), cfg.StripeWebhookSecretParam, stack.Name
			return a, nil
		},
		// reconcile: Stripe's secret key as above, and the reconcile function's own
		// assembly (the webhook's handler on the table, in STRIPE_MODE, the stack's StripeMode).
		Reconcile: func(ctx context.Context) (reconcile.Reconciler, error) {
			k, err := staff.ReadStripeKey(ctx, ssm.NewFromConfig(aws), cfg.StripeSecretKey, cfg.StripeSecretKeyParam, aws.Region)
			if err != nil {
				return reconcile.Reconciler{}, err
			}
			c := cfg
			c.StripeSecretKey = k
			f, err := reconcilefn.New(ctx, assembly.Env{Config: c, AWS: aws})
			return f.Reconciler, err
		},
	}
	src.ExportBucket, src.DeadLetterQueue = cfg.ExportBucket, getenv("MAILER_DEAD_LETTER_QUEUE_URL")
	// staff broadcast send tells the broadcast sender, through its queue (the stack's
	// BroadcastQueueUrl, or BROADCAST_QUEUE_URL).
	if q := getenv("BROADCAST_QUEUE_URL"); q != "" {
		queue := sqs.NewFromConfig(aws)
		src.BroadcastQueue = func(ctx context.Context, body string) error {
			_, err := queue.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: awssdk.String(q), MessageBody: awssdk.String(body)})
			return err
		}
	}
	if stack.Name != "" {
		src.Deployment = deployment(aws, stack, cfg)
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
	return staff.Run(ctx, dynamo.New(db, cfg.Table), src, args, os.Stdout)
}

// deployment is what staff doctor reads of the stack's services.
func deployment(aws awssdk.Config, stack staff.Stack, cfg config.Config) *staff.Deployment {
	return &staff.Deployment{
		Stack: stack, Table: cfg.Table,
		SSM: ssm.NewFromConfig(aws), SES: sesv2.NewFromConfig(aws), SNS: sns.NewFromConfig(aws),
		DB: dynamodb.NewFromConfig(aws), S3: s3.NewFromConfig(aws, func(o *s3.Options) {
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != ""
		}),
		// With the secret key doctor read from the stack's parameter.
		StripeEndpoint: staff.StripeEndpointFinder(payment.Backend(cfg.StripeAPIURL)),
	}
}
