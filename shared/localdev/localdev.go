// Package localdev assembles the whole system on one HTTP server against the emulators:
// every function's handler on the same routes as template.yaml, the local checkout page,
// and the mailer fed from the table's real stream. `make dev` and the contract tests run it.
package localdev

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/emulator"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/localpay"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/portal"
	"github.com/solidarity/solidarity/shared/ratelimit"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/signup"
	"github.com/solidarity/solidarity/shared/subscribe"
	"github.com/solidarity/solidarity/shared/turnstile"
	"github.com/solidarity/solidarity/shared/unsubscribe"
	"github.com/solidarity/solidarity/shared/webhook"
)

// Options are the local system's settings (api.md's local defaults).
type Options struct {
	PublicURL      string // the server's own base URL, http://127.0.0.1:8080
	MotoURL        string
	StripeURL      string
	Table          string
	WebhookSecret  string
	MailFrom       string
	AllowedOrigins []string
	WebDir         string // static demo pages, served at /
	BranchesCSV    string // the branch directory to load (infra/branches.csv)
	// Rate limits of the form endpoints (0: none), per client IP and per email address.
	RatePerIP, RatePerEmail int
	RateWindow              time.Duration
	// Cloudflare Turnstile (optional): the secret and siteverify's address.
	TurnstileSecret, TurnstileVerifyURL string
}

// ExportsBucket is the local exports bucket, in moto's S3.
const ExportsBucket = "solidarity-exports"

// DeadLetterQueue is the local mailer's dead-letter queue name.
const DeadLetterQueue = "solidarity-mailer-dlq"

// System is the assembled local system.
type System struct {
	Handler http.Handler
	Poller  *Poller
	Store   *dynamo.Store
	Mailer  mail.Mailer
}

// New prepares the emulators (table, SES identity, dead-letter queue), seeds the appeal,
// and builds the handlers.
func New(ctx context.Context, o Options) (*System, error) {
	cfg := emulator.AWSConfig(o.MotoURL)
	db := dynamodb.NewFromConfig(cfg)
	if err := dynamo.CreateTable(ctx, db, o.Table); err != nil {
		return nil, err
	}
	ses := sesv2.NewFromConfig(cfg)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(o.MailFrom)}); err != nil {
		return nil, fmt.Errorf("ses identity: %w", err)
	}
	sqsClient := sqs.NewFromConfig(cfg)
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(DeadLetterQueue)})
	if err != nil {
		return nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	// The bucket `staff export start` exports to, as the nightly export does in AWS.
	exports := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = exports.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ExportsBucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return nil, fmt.Errorf("exports bucket: %w", err)
	}
	store := dynamo.New(db, o.Table)
	if err := Seed(ctx, store); err != nil {
		return nil, err
	}
	if err := LoadBranches(ctx, store, o.BranchesCSV); err != nil {
		return nil, err
	}

	stripeCheckout := payment.NewCheckout(payment.Backend(o.StripeURL), "sk_test_local", o.PublicURL)
	checkout := localpay.Checkout{Stripe: stripeCheckout, BaseURL: o.PublicURL}
	mux := http.NewServeMux()
	bots := turnstile.Verifier{Secret: o.TurnstileSecret, URL: o.TurnstileVerifyURL}
	guard := func(endpoint string) request.Guard {
		return request.Guards(ratelimit.New(db, o.Table, endpoint, o.RatePerIP, o.RatePerEmail, o.RateWindow).Request, bots.Request)
	}
	donate.Handler{
		Guard:     guard("donations"),
		Service:   donate.Service{Store: store, Checkout: checkout, Fees: donation.StripeCanada, Now: time.Now},
		ThanksURL: o.PublicURL + "/donations/thanks",
	}.Routes(mux)
	campaign.Handler{Campaigns: store}.Routes(mux)
	signup.Handler{Service: signup.Service{Store: store, Now: time.Now}, Guard: guard("members")}.Routes(mux)
	unsubscribe.Handler{Store: store, Now: time.Now}.Routes(mux)
	plans := plan.Default()
	subscribe.Handler{
		Guard:     guard("subscriptions"),
		Service:   subscribe.Service{Store: store, Checkout: checkout, Plans: plans, Now: time.Now},
		ThanksURL: o.PublicURL + "/subscriptions/thanks",
	}.Routes(mux)
	portal.Handler{Store: store, Sessions: portal.NewSessions(payment.Backend(o.StripeURL), "sk_test_local"),
		PublicURL: o.PublicURL, Now: time.Now}.Routes(mux)
	webhook.Handler{Secret: o.WebhookSecret, Ledger: store, Subscriptions: store, Plans: plans}.Routes(mux)
	pay := &localpay.Page{Donations: store, WebhookURL: o.PublicURL + "/webhooks/stripe",
		Secret: o.WebhookSecret, PublicURL: o.PublicURL}
	pay.Routes(mux)
	(&localpay.PlanPage{Subscriptions: store, Plans: plans, Deliverer: pay}).Routes(mux)
	if o.WebDir != "" {
		mux.Handle("GET /", http.FileServer(http.Dir(o.WebDir)))
	}

	mailer := mail.Mailer{DB: db, Table: o.Table, SES: ses, From: o.MailFrom, Now: time.Now,
		Links: mail.Links(o.PublicURL + "/"), PublicURL: o.PublicURL}
	return &System{
		Handler: httpapi.CORS(o.AllowedOrigins, mux),
		Store:   store,
		Mailer:  mailer,
		Poller: &Poller{
			DB: db, Streams: dynamodbstreams.NewFromConfig(cfg), SQS: sqsClient, Table: o.Table,
			DeadLetters: aws.ToString(q.QueueUrl), Handle: mailer.Handle, MaxAttempts: 3,
			Interval: 200 * time.Millisecond,
		},
	}, nil
}

// The organization's current appeal, seeded for local development (api.md).
const (
	AppealSlug         = "appeal-2024"
	AppealGoalCents    = 10_000_000
	AppealOfflineCents = 9_000_000
)

// Seed creates the appeal and records the money already raised offline, through the same
// store calls as the staff tool. Seeding twice changes nothing.
func Seed(ctx context.Context, store *dynamo.Store) error {
	err := store.CreateCampaign(ctx, campaign.Campaign{
		Slug: AppealSlug, TitleEN: "2024 financial appeal", TitleFR: "Campagne financière 2024",
		Currency: "cad", GoalCents: AppealGoalCents, Open: true,
	})
	if err != nil && !errors.Is(err, dynamo.ErrExists) {
		return fmt.Errorf("seed campaign: %w", err)
	}
	err = store.AddOfflineGift(ctx, dynamo.OfflineGift{
		ID: "seed-offline-total", Campaign: AppealSlug, AmountCents: AppealOfflineCents,
		Method: "cheque", ReceivedOn: "2024-01-01", Note: "Raised offline before the online appeal opened",
		RecordedAt: time.Now().UTC(),
	})
	if err != nil && !errors.Is(err, dynamo.ErrExists) {
		return fmt.Errorf("seed offline gift: %w", err)
	}
	return nil
}

// LoadBranches imports the branch directory from a CSV file (infra/branches.csv), through
// the same parser and store call as the staff tool. Loading it again replaces the rows.
func LoadBranches(ctx context.Context, store *dynamo.Store, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("branches: %w", err)
	}
	defer f.Close()
	bs, err := branch.ParseCSV(f)
	if err != nil {
		return fmt.Errorf("branches %s: %w", path, err)
	}
	return store.PutBranches(ctx, bs)
}
