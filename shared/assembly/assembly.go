// Package assembly is where each function is put together: one package beneath it per
// function (donatefn, campaignfn, stripewebhookfn, mailerfn, signupfn, unsubscribefn,
// subscribefn, portalfn, exportfn, maileventsfn), whose New turns an Env — the settings and the
// clients — into that function's handler. Each Lambda's main boots an Env, calls its
// function's New and starts it; the local server (`make dev`) and the tests call the
// same constructors with emulator clients, and the staff tool reuses the mailer's. A
// setting therefore means the same in AWS, under `make dev` and in a test, and a Lambda
// links only its own function's packages. This package holds what they all share, and
// imports nothing heavier than the store; secrets (package secret) and the forms' guard
// and Checkout (package forms) are beside it, for the functions that need them.
package assembly

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Env is what every function is built from.
type Env struct {
	Config config.Config // the settings (config.Load in AWS)
	AWS    aws.Config    // the SDK configuration: AWS, or the emulators locally
	// Now is the functions' clock; nil is time.Now.
	Now func() time.Time
	// Checkout, if set, stands in for Stripe Checkout's hosted page around the real
	// session calls: `make dev` sends the payer to its local checkout page.
	Checkout func(stripe Sessions) Sessions
	// Org is the organization every email and page names; the zero Identity is
	// infra/organization.json, compiled in (Boot checks it).
	Org organization.Identity
}

// Sessions opens Stripe Checkout sessions for the donation and subscription forms.
type Sessions interface {
	DonationSession(ctx context.Context, d donation.Donation, c campaign.Campaign) (donation.Session, error)
	PlanSession(ctx context.Context, s subscription.Subscription, p plan.Plan) (donation.Session, error)
}

// Sites are the web sites whose pages may post to the functions: the API's own pages
// and the forms' origins. The viewer-address header (CLIENT_IP_HEADER) is believed only
// with the CDN's secret, given here only as a local value (CLIENT_IP_SECRET): the form
// functions, which count clients, read it from SSM too (forms.Sites); the others have no
// use for a client's address and keep the edge's.
func (e Env) Sites() httpapi.Sites {
	return httpapi.Sites{Own: e.Config.PublicURL, Allowed: e.Config.AllowedOrigins,
		ClientIPHeader: e.Config.ClientIPHeader, ClientIPSecret: e.Config.ClientIPSecret, Org: e.Organization(),
		Steps: httpapi.Steps{Appeal: e.Config.DonatePageURL, Join: e.Config.JoinPageURL, Subscribe: e.Config.SubscribePageURL}}
}

// Boot is a Lambda's first step: JSON logs, the settings and the SDK configuration, or a
// logged exit.
func Boot(ctx context.Context) Env {
	cfg, awsCfg := config.Boot(ctx)
	org, err := organization.Load()
	if err != nil {
		config.Fatal("infra/organization.json", err)
	}
	return Env{Config: cfg, AWS: awsCfg, Org: org}
}

// Organization is the organization every email and page names: Org, or the compiled-in
// one.
func (e Env) Organization() organization.Identity { return e.Org.Or() }

// Must ends a cold start whose function could not be built, saying why.
func Must[T any](v T, err error) T {
	if err != nil {
		config.Fatal("start", err)
	}
	return v
}

// Clock is the functions' clock.
func (e Env) Clock() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}

// DB is a DynamoDB client.
func (e Env) DB() *dynamodb.Client { return dynamodb.NewFromConfig(e.AWS) }

// Store is the table through db, on the functions' clock (its writes stamp times too).
func (e Env) Store(db *dynamodb.Client) *dynamo.Store {
	s := dynamo.New(db, e.Config.Table)
	s.Now = e.Clock()
	return s
}
