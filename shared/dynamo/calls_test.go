package dynamo_test

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/signup"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
	"github.com/solidarity/solidarity/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// calls counts DynamoDB operations as the SDK sends them.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// counted is a fresh table whose store counts the DynamoDB calls it makes.
type counted struct {
	env     *emulator.Env
	table   string
	store   *dynamo.Store
	counter *calls
}

func newCounted(t *testing.T) counted {
	t.Helper()
	env := emulator.Get(t)
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
		t.Fatal(err)
	}
	counter := &calls{n: map[string]int{}}
	db := dynamodb.NewFromConfig(env.AWS, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, counter.middleware) })
	return counted{env: env, table: table, store: dynamo.New(db, table), counter: counter}
}

// reset forgets the calls made so far (setup).
func (c counted) reset() { c.counter.take() }

// expect checks the calls since the last check, and logs them for make bench.
func (c counted) expect(t *testing.T, what string, want map[string]int) {
	t.Helper()
	got := c.counter.take()
	if !maps.Equal(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
	t.Logf("dynamodb calls | %s | %v", what, got) // make bench reads these lines
}

// signedDelivery posts payload to hook as Stripe signs it and returns the status.
func signedDelivery(hook webhook.Handler, payload []byte) int {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
	r.Header.Set("Stripe-Signature", localpay.Sign(payload, hook.Secret, time.Now()))
	w := httptest.NewRecorder()
	hook.ServeHTTP(w, r)
	return w.Code
}

// TestDynamoDBCallsPerOperation pins the round trips of the hot paths, so a change that
// adds one fails here.
func TestDynamoDBCallsPerOperation(t *testing.T) {
	c := newCounted(t)
	env, ctx, store := c.env, context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	svc := donate.Service{Store: store, Fees: donation.StripeCanada, Now: time.Now,
		Checkout: payment.NewCheckout(payment.Backend(env.Stripe.URL), "sk_test_calls", "https://don.example.org")}
	hook := webhook.Handler{Secret: "whsec_calls", Ledger: store}
	deliver := func(payload []byte) int { return signedDelivery(hook, payload) }
	give := func(email string, news bool) donation.Donation {
		d, _, err := svc.Create(ctx, donate.Request{Campaign: localdev.AppealSlug, AmountCents: 2500, Frequency: "once",
			FirstName: "Ana", LastName: "Roy", Email: email, ConsentUpdates: news}, i18n.EN, consent.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	c.reset()

	first := give("calls@example.org", false)
	// The campaign is one Query: its item and its counter items (ledger.go counterSK).
	c.expect(t, "donation: POST /donations", map[string]int{"GetItem": 1, "PutItem": 1})
	give("consent@example.org", true)
	// With news: one more read, of the person's news state (an opt-out is asked by email).
	c.expect(t, "donation: with news consent", map[string]int{"GetItem": 2, "TransactWriteItems": 1})
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(first), time.Now())
	if st := deliver(payload); st != 200 {
		t.Fatalf("webhook %d", st)
	}
	// And one Query: for its refunds and disputes that came first (HoldEarly).
	c.expect(t, "donation: payment event", map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1})
	if st := deliver(payload); st != 200 {
		t.Fatalf("webhook %d", st)
	}
	c.expect(t, "donation: duplicate event", map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1})
	refund := localpay.Event("charge.refunded", localpay.ChargeRefunded(localpay.PaymentIntentID(first), 2500, 500, "cad"), time.Now())
	if st := deliver(refund); st != 200 {
		t.Fatalf("refund %d", st)
	}
	c.expect(t, "donation: refund event", map[string]int{"GetItem": 1, "TransactWriteItems": 1})

	// A second donation from the same address: the distinct-donor marker exists, so the
	// first transaction is cancelled and sent again without it, with no second read.
	again := give("calls@example.org", false)
	c.reset()
	if st := deliver(localpay.Event("checkout.session.completed", localpay.SessionCompleted(again), time.Now())); st != 200 {
		t.Fatalf("webhook %d", st)
	}
	c.expect(t, "donation: payment of a repeat donor", map[string]int{"GetItem": 1, "TransactWriteItems": 2, "Query": 1})
	if c, _ := store.Campaign(ctx, localdev.AppealSlug); c.DonorCount != 1 || c.DonationCount != 2 {
		t.Fatalf("donors %d donations %d", c.DonorCount, c.DonationCount)
	}
}

// TestDynamoDBCallsOfMembership pins the round trips of a signup and a confirmation.
func TestDynamoDBCallsOfMembership(t *testing.T) {
	c := newCounted(t)
	env, ctx, table := c.env, context.Background(), c.table
	if err := localdev.LoadBranches(ctx, c.store, filepath.Join(emulator.Root(), "infra", "branches.csv")); err != nil {
		t.Fatal(err)
	}
	c.reset()
	svc := signup.Service{Store: c.store, Now: time.Now}
	req := signup.Request{FirstName: "Ana", LastName: "Roy", Email: "calls@example.org",
		Address: &address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4"}}
	if err := svc.Signup(ctx, req, i18n.EN, consent.Origin{}); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "membership: signup", map[string]int{"Query": 1, "GetItem": 1, "TransactWriteItems": 1})
	if err := svc.Signup(ctx, req, i18n.EN, consent.Origin{}); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "membership: signup again, too soon for an email", map[string]int{"GetItem": 1, "Query": 2})

	// The link the mailer would mint, for the signup's application.
	m, err := c.store.Member(ctx, "calls@example.org")
	if err != nil {
		t.Fatal(err)
	}
	c.reset()
	raw, tok := token.Mint(token.Confirm, "calls@example.org", "en", time.Now(), token.ConfirmTTL)
	tok.Ref = m.Application
	if err := dynamo.New(env.DB(), table).PutToken(ctx, tok); err != nil { // past the counter
		t.Fatal(err)
	}
	if out, err := svc.Confirm(ctx, raw, consent.Origin{}); err != nil || out.Result != signup.Confirmed {
		t.Fatal(out, err)
	}
	// Then the address's other applications are looked for, to drop them.
	c.expect(t, "membership: confirmation", map[string]int{"GetItem": 3, "Query": 2, "TransactWriteItems": 1})
	if out, _ := svc.Confirm(ctx, raw, consent.Origin{}); out.Result != signup.LinkUsed {
		t.Fatal(out)
	}
	c.expect(t, "membership: used link", map[string]int{"GetItem": 2})
}

// TestDynamoDBCallsOfSubscriptions pins the round trips of a subscription's events.
func TestDynamoDBCallsOfSubscriptions(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	plans := plan.Default()
	sub := subscription.Subscription{ID: "subs_calls", Plan: "solidarity-annual", Kind: "subscription", Email: "calls-sub@example.org",
		Status: subscription.StatusPending, CreatedAt: time.Now().UTC()}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "subscription: create", map[string]int{"PutItem": 1})
	hook := webhook.Handler{Secret: "whsec_calls", Ledger: store, Subscriptions: store, Plans: plans}
	deliver := func(payload []byte) {
		t.Helper()
		if st := signedDelivery(hook, payload); st != 200 {
			t.Fatalf("webhook %d", st)
		}
	}
	completed := localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{City: "Ottawa"}), time.Now())
	deliver(completed)
	// And one Query: for the customer's changes that came before it (HoldCustomerChange).
	c.expect(t, "subscription: Checkout completed", map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1})
	deliver(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, plans["solidarity-annual"], 1, true), time.Now()))
	// And one Query: for the invoice's refunds and disputes that came first (HoldEarly).
	c.expect(t, "subscription: renewal", map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1})
	deliver(completed)
	c.expect(t, "subscription: duplicate event", map[string]int{"GetItem": 1, "TransactWriteItems": 1, "Query": 1})
	deliver(localpay.Event("customer.updated", localpay.CustomerWithShipping(sub, subscription.Shipping{City: "Laval"}), time.Now()))
	c.expect(t, "subscription: address change", map[string]int{"Query": 1, "GetItem": 1, "TransactWriteItems": 1})
}
