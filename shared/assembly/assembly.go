// Package assembly builds each function from its settings and clients: the one place a
// function is put together. Each Lambda's main boots an Env, calls its function's
// constructor here and starts it; the local server (`make dev`) and the tests call the
// same constructors with emulator clients, and the staff tool reuses the mailer's. A
// setting therefore means the same in AWS, under `make dev` and in a test.
package assembly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/portal"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/signup"
	"github.com/solidarity/solidarity/shared/subscribe"
	"github.com/solidarity/solidarity/shared/webhook"
)

// Env is what every function is built from.
type Env struct {
	Config config.Config // the settings (config.Load in AWS)
	AWS    aws.Config    // the SDK configuration: AWS, or the emulators locally
	// Now is the functions' clock; nil is time.Now.
	Now func() time.Time
	// Checkout, if set, stands in for Stripe Checkout's hosted page around the real
	// session calls: `make dev` sends the payer to its local checkout page.
	Checkout func(payment.Checkout) Checkout
}

// Checkout is Stripe Checkout as the donation and subscription forms use it.
type Checkout interface {
	donation.Checkout
	subscribe.Checkout
}

// Boot is a Lambda's first step: JSON logs, the settings and the SDK configuration, or a
// logged exit.
func Boot(ctx context.Context) Env {
	cfg, awsCfg := config.Boot(ctx)
	return Env{Config: cfg, AWS: awsCfg}
}

// Must ends a cold start whose function could not be built, saying why.
func Must[T any](v T, err error) T {
	if err != nil {
		config.Fatal("start", err)
	}
	return v
}

func (e Env) now() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}

func (e Env) db() *dynamodb.Client { return dynamodb.NewFromConfig(e.AWS) }

// store is the table, on the functions' clock (its writes stamp times too).
func (e Env) store(db *dynamodb.Client) *dynamo.Store {
	s := dynamo.New(db, e.Config.Table)
	s.Now = e.now()
	return s
}

// secret is a setting's value from the environment, else from its SSM parameter.
func (e Env) secret(ctx context.Context, setting, value, param string) (string, error) {
	return config.Resolve(ctx, ssm.NewFromConfig(e.AWS), setting, value, param)
}

func (e Env) stripe(ctx context.Context) (stripe.Backend, string, error) {
	key, err := e.secret(ctx, "STRIPE_SECRET_KEY", e.Config.StripeSecretKey, e.Config.StripeSecretKeyParam)
	return payment.Backend(e.Config.StripeAPIURL), key, err
}

func (e Env) checkout(ctx context.Context) (Checkout, error) {
	backend, key, err := e.stripe(ctx)
	if err != nil {
		return nil, err
	}
	c := payment.NewCheckout(backend, key, e.Config.PublicURL)
	if e.Checkout != nil {
		return e.Checkout(c), nil
	}
	return c, nil
}

// guard is a form endpoint's guard: its rate limits, then Turnstile when configured.
func (e Env) guard(ctx context.Context, db *dynamodb.Client, endpoint string) (request.Guard, error) {
	c := e.Config
	perIP, perEmail, window := c.RateLimits()
	s := guard.Settings{PerIP: perIP, PerEmail: perEmail, Window: window, TurnstileURL: c.TurnstileVerifyURL}
	if c.TurnstileSecret != "" || c.TurnstileSecretParam != "" {
		secret, err := e.secret(ctx, "TURNSTILE_SECRET", c.TurnstileSecret, c.TurnstileSecretParam)
		if err != nil {
			return nil, err
		}
		s.TurnstileSecret = secret
	}
	return guard.New(e.store(db), endpoint, s), nil
}

// Donate is the donation form: POST /donations and the pages Checkout returns to.
func Donate(ctx context.Context, e Env) (donate.Handler, error) {
	f, err := e.checkoutForm(ctx, "donations")
	if err != nil {
		return donate.Handler{}, err
	}
	fees := donation.Fees{PercentBps: e.Config.FeePercentBps, FixedCents: e.Config.FeeFixedCents}
	return donate.Handler{
		Guard:     f.guard,
		Service:   donate.Service{Store: f.store, Checkout: f.checkout, Fees: fees, Now: e.now()},
		ThanksURL: e.Config.PublicURL + "/donations/thanks",
	}, nil
}

// checkoutForm is what a form that opens Stripe Checkout is built on.
type checkoutForm struct {
	store    *dynamo.Store
	guard    request.Guard
	checkout Checkout
}

func (e Env) checkoutForm(ctx context.Context, endpoint string) (checkoutForm, error) {
	db := e.db()
	g, err := e.guard(ctx, db, endpoint)
	if err != nil {
		return checkoutForm{}, err
	}
	c, err := e.checkout(ctx)
	return checkoutForm{store: e.store(db), guard: g, checkout: c}, err
}

// Campaign is the appeal's public progress: GET /campaigns/{slug}.
func Campaign(_ context.Context, e Env) (campaign.Handler, error) {
	return campaign.Handler{Campaigns: e.store(e.db())}, nil
}

// StripeWebhook is POST /webhooks/stripe.
func StripeWebhook(ctx context.Context, e Env) (webhook.Handler, error) {
	secret, err := e.secret(ctx, "STRIPE_WEBHOOK_SECRET", e.Config.StripeWebhookSecret, e.Config.StripeWebhookSecretParam)
	if err != nil {
		return webhook.Handler{}, err
	}
	store := e.store(e.db())
	return webhook.Handler{Secret: secret, Ledger: store, Subscriptions: store, Plans: plan.Default()}, nil
}

// Signup is the membership form: POST /members, the confirmation link and the "check
// your inbox" page.
func Signup(ctx context.Context, e Env) (signup.Handler, error) {
	db := e.db()
	g, err := e.guard(ctx, db, "members")
	if err != nil {
		return signup.Handler{}, err
	}
	return signup.Handler{Service: signup.Service{Store: e.store(db), Now: e.now()}, Guard: g}, nil
}

// Unsubscribe is GET and POST /unsubscribe: the link and the one-click button of every
// news email.
func Unsubscribe(_ context.Context, e Env) (consent.Handler, error) {
	return consent.Handler{Store: e.store(e.db()), Now: e.now()}, nil
}

// Subscribe is the subscription form: POST /subscriptions and the pages Checkout
// returns to.
func Subscribe(ctx context.Context, e Env) (subscribe.Handler, error) {
	f, err := e.checkoutForm(ctx, "subscriptions")
	if err != nil {
		return subscribe.Handler{}, err
	}
	return subscribe.Handler{
		Guard:     f.guard,
		Service:   subscribe.Service{Store: f.store, Checkout: f.checkout, Plans: plan.Default(), Now: e.now()},
		ThanksURL: e.Config.PublicURL + "/subscriptions/thanks",
	}, nil
}

// Portal is POST /portal (email a link) and GET /portal (follow it to Stripe's customer
// portal).
func Portal(ctx context.Context, e Env) (portal.Handler, error) {
	backend, key, err := e.stripe(ctx)
	if err != nil {
		return portal.Handler{}, err
	}
	return portal.Handler{
		Store:     e.store(e.db()),
		Sessions:  portal.NewSessions(backend, key),
		PublicURL: e.Config.PublicURL, Now: e.now(),
	}, nil
}

// Mailer is the table stream's consumer that sends outbox emails through SES v2; the
// staff tool's redrive sends through the same.
func Mailer(_ context.Context, e Env) (mail.Mailer, error) {
	c := e.Config
	if c.MailFrom == "" || c.PublicURL == "" {
		return mail.Mailer{}, errors.New("MAIL_FROM and PUBLIC_URL (the base of emailed links) must be set")
	}
	return mail.Mailer{
		Outbox: e.store(e.db()), SES: sesv2.NewFromConfig(e.AWS),
		From: c.MailFrom, ConfigurationSet: c.MailConfigurationSet,
		Links: mail.Links(c.DonatePageURL), PublicURL: c.PublicURL, Now: e.now(),
	}, nil
}

// Export is the nightly export: a point-in-time export of the table to the exports
// bucket, recorded in the table.
func Export(_ context.Context, e Env) (export.Exporter, error) {
	c := e.Config
	if c.TableARN == "" || c.ExportBucket == "" {
		return export.Exporter{}, fmt.Errorf("TABLE_ARN and EXPORT_BUCKET must be set")
	}
	db := e.db()
	return export.Exporter{DB: db, Records: e.store(db), TableARN: c.TableARN, Bucket: c.ExportBucket, Now: e.now()}, nil
}
