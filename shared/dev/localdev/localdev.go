// Package localdev runs the whole system on one HTTP server against the emulators: every
// function built by package assembly as its Lambda is, on the same routes as
// template.yaml, the local checkout page, and the mailer fed from the table's real
// stream. `make dev` and the end-to-end tests (package e2e) run it. Development only:
// no Lambda links it.
package localdev

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/broadcastsenderfn"
	"github.com/solidarity/solidarity/shared/assembly/campaignfn"
	"github.com/solidarity/solidarity/shared/assembly/donatefn"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
	"github.com/solidarity/solidarity/shared/assembly/portalfn"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/assembly/stripewebhookfn"
	"github.com/solidarity/solidarity/shared/assembly/subscribefn"
	"github.com/solidarity/solidarity/shared/assembly/unsubscribefn"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/webforms"
)

// Options are the local system's settings.
type Options struct {
	// Config is the functions' settings, read as in AWS: Settings gives make dev's.
	Config      config.Config
	MotoURL     string // moto_server, for every AWS client
	WebDir      string // the forms (web/), rendered for Org and served at /
	BranchesCSV string // the branch directory to load (infra/branches.csv)
	// Org is the organization the emails and pages name; the zero Identity is
	// infra/organization.json's (the sample's, "Solidarity", as shipped).
	Org organization.Identity
}

// Settings are the functions' settings under `make dev`: each one read from getenv as in
// AWS, over local defaults (docs/api.md's): the table "solidarity", a test-mode Stripe
// key and webhook secret, Stripe's test mode (STRIPE_MODE), a hashing key for the rate limits, MAIL_FROM
// appeal@solidarity.example, and the local server's own origins. PUBLIC_URL is always the local server (base) and STRIPE_API_URL always
// stripe-mock, whatever the environment says: links must lead back here.
func Settings(getenv func(string) string, base, stripeURL string) (config.Config, error) {
	defaults := map[string]string{
		"TABLE_NAME":            "solidarity",
		"STRIPE_SECRET_KEY":     "sk_test_local",
		"STRIPE_WEBHOOK_SECRET": "whsec_local_dev_secret",
		"STRIPE_MODE":           "test", // stripe-mock's objects and localpay's events are test mode's
		"MAIL_FROM":             "appeal@solidarity.example",
		"ALLOWED_ORIGINS":       base + "," + strings.Replace(base, "127.0.0.1", "localhost", 1),
		"HASH_KEY":              "local-development-hashing-key-not-a-secret",
		// The forms the result pages lead to next: the ones served here (WebDir), by their
		// files, so that a French page links to the French one (index.fr.html…).
		"DONATE_PAGE_URL":    base + "/index.html",
		"JOIN_PAGE_URL":      base + "/join.html",
		"SUBSCRIBE_PAGE_URL": base + "/subscribe.html",
	}
	return config.LoadFrom(func(name string) string {
		switch name {
		case "PUBLIC_URL":
			return base
		case "STRIPE_API_URL":
			return stripeURL
		}
		if v := getenv(name); v != "" {
			return v
		}
		if getenv(name+"_PARAM") != "" {
			return "" // a secret named in SSM (moto's, locally) is read from there
		}
		return defaults[name]
	})
}

// Vars are settings by name, as a test gives them; Get reads them as Settings' getenv.
type Vars map[string]string

// Get is the named setting, or "".
func (v Vars) Get(name string) string { return v[name] }

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
	// Broadcasts is the broadcast sender, on the local queue BroadcastPoller reads (its
	// URL is the functions' BROADCAST_QUEUE_URL); its Sender can be run in process.
	Broadcasts      *broadcastsenderfn.Function
	BroadcastPoller *QueuePoller
}

// New prepares the emulators (table, SES identity, dead-letter queue, exports bucket),
// seeds the appeal and the branches, and builds every function through package assembly,
// as its Lambda does, on one server with the local checkout pages.
func New(ctx context.Context, o Options) (*System, error) {
	c := o.Config
	awsCfg := emulator.AWSConfig(o.MotoURL)
	db := dynamodb.NewFromConfig(awsCfg)
	if err := dynamo.CreateTable(ctx, db, c.Table); err != nil {
		return nil, err
	}
	ses := sesv2.NewFromConfig(awsCfg)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(c.MailFrom)}); err != nil {
		return nil, fmt.Errorf("ses identity: %w", err)
	}
	sqsClient := sqs.NewFromConfig(awsCfg)
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(DeadLetterQueue)})
	if err != nil {
		return nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	bq, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(BroadcastQueue)})
	if err != nil {
		return nil, fmt.Errorf("broadcast queue: %w", err)
	}
	c.BroadcastQueueURL = aws.ToString(bq.QueueUrl)
	// The bucket `staff export start` exports to, as the nightly export does in AWS.
	exports := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = exports.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ExportsBucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(awsCfg.Region)}})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return nil, fmt.Errorf("exports bucket: %w", err)
	}
	store := dynamo.New(db, c.Table)
	if err := Seed(ctx, store); err != nil {
		return nil, err
	}
	if err := LoadBranches(ctx, store, o.BranchesCSV); err != nil {
		return nil, err
	}

	env := assembly.Env{Config: c, AWS: awsCfg, Org: o.Org, Checkout: func(stripe assembly.Sessions) assembly.Sessions {
		return localpay.Checkout{Stripe: stripe, BaseURL: c.PublicURL}
	}}
	// The form functions' secrets named in SSM (moto's), in one call, as their mains read them.
	env, err = forms.Preload(ctx, env, secret.StripeSecretKey, secret.HashKey.Always())
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	hook, err := stripewebhookfn.New(ctx, env)
	if err != nil {
		return nil, err
	}
	routers, err := routers(ctx, env)
	if err != nil {
		return nil, err
	}
	for _, r := range append(routers, hook) {
		r.Routes(mux)
	}
	// The local checkout page signs its events with the secret the webhook function was
	// given (from the environment, or SSM).
	plans := plan.Default()
	signing, err := hook.NewestSecret(ctx)
	if err != nil {
		return nil, err
	}
	pay := &localpay.Page{Donations: store, WebhookURL: c.PublicURL + "/webhooks/stripe",
		Secret: signing, PublicURL: c.PublicURL}
	pay.Routes(mux)
	(&localpay.PlanPage{Subscriptions: store, Plans: plans, Deliverer: pay}).Routes(mux)
	if o.WebDir != "" {
		// The forms rendered for the organization, as `go run ./cmd/forms` writes them, in
		// English and French: a browser that prefers French is sent from / or join.html to
		// index.fr.html or join.fr.html (webforms.Files.Handler).
		// With the donate function's card fees, so the Donate button names its charge.
		pages, err := webforms.RenderFees(os.DirFS(o.WebDir), o.Org.Or(),
			donation.Fees{PercentBps: c.FeePercentBps, FixedCents: c.FeeFixedCents})
		if err != nil {
			return nil, err
		}
		mux.Handle("GET /", pages.Handler())
	}

	mailer, err := mailerfn.New(ctx, env)
	if err != nil {
		return nil, err
	}
	broadcasts, err := broadcastsenderfn.New(ctx, env)
	if err != nil {
		return nil, err
	}
	// moto does not answer SES's GetAccount: the local rate is LocalSendRate's share.
	share := c.BroadcastRateShare
	if share == 0 {
		share = broadcast.DefaultRateShare
	}
	broadcasts.Sender.Rate = func(context.Context) (float64, error) { return LocalSendRate * share, nil }
	sites, err := forms.Sites(ctx, env) // the form functions' sites, with the CDN's secret if any
	if err != nil {
		return nil, err
	}
	return &System{
		Handler:    sites.Handler(mux),
		Store:      store,
		Mailer:     mailer,
		Broadcasts: broadcasts,
		BroadcastPoller: &QueuePoller{SQS: sqsClient, QueueURL: c.BroadcastQueueURL, Handle: broadcasts.Handle,
			Timeout: 15 * time.Minute},
		Poller: &Poller{
			DB: db, Streams: dynamodbstreams.NewFromConfig(awsCfg), SQS: sqsClient, Table: c.Table,
			DeadLetters: aws.ToString(q.QueueUrl), Handle: mailer.Handle, MaxAttempts: 3,
			Interval: 200 * time.Millisecond,
		},
	}, nil
}

// routers builds the HTTP functions but the webhook, as template.yaml routes them.
func routers(ctx context.Context, env assembly.Env) ([]httpapi.Router, error) {
	var out []httpapi.Router
	var errs []error
	add := func(r httpapi.Router, err error) {
		out = append(out, r)
		errs = append(errs, err)
	}
	add(donatefn.New(ctx, env))
	add(campaignfn.New(ctx, env))
	add(signupfn.New(ctx, env))
	add(unsubscribefn.New(ctx, env))
	add(subscribefn.New(ctx, env))
	add(portalfn.New(ctx, env))
	return out, errors.Join(errs...)
}

// The organization's current appeal, seeded for local development (docs/api.md).
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
