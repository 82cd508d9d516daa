package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

const (
	testSecret = "whsec_test_secret"
	allowed    = "https://allowed.example"
)

// stack is the whole local system on a fresh table, served by httptest.
type stack struct {
	t     *testing.T
	env   *emulator.Env
	sys   *localdev.System
	url   string
	table string
}

// setup is what a test may change before its local system is built: the functions'
// settings, by the names the README lists and a Lambda reads from its environment, and
// the local system's options.
type setup struct {
	vars      localdev.Vars
	opts      localdev.Options
	stripeURL string // stripe-mock, or a stand-in in front of it
}

// set sets functions' settings, as name, value pairs.
func set(kv ...string) func(*setup) {
	return func(s *setup) {
		for i := 0; i+1 < len(kv); i += 2 {
			s.vars[kv[i]] = kv[i+1]
		}
	}
}

// testVars are every test system's settings: its own table, the test webhook secret, one
// allowed origin, and no rate limits (a test posts many forms from one address).
func testVars(table string) localdev.Vars {
	return localdev.Vars{"TABLE_NAME": table, "STRIPE_WEBHOOK_SECRET": testSecret, "ALLOWED_ORIGINS": allowed,
		"RATE_LIMIT_PER_IP": "0", "RATE_LIMIT_PER_EMAIL": "0"}
}

func newStack(t *testing.T, withMailer bool, tune ...func(*setup)) *stack {
	t.Helper()
	env := emulator.Get(t)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	table := emulator.TableName(t)
	ctx, cancel := context.WithCancel(context.Background())
	su := setup{vars: testVars(table), opts: localdev.Options{
		MotoURL: env.Moto.URL, BranchesCSV: filepath.Join(emulator.Root(), "infra", "branches.csv"),
	}, stripeURL: env.Stripe.URL}
	for _, f := range tune {
		f(&su)
	}
	var err error
	if su.opts.Config, err = localdev.Settings(su.vars.Get, srv.URL, su.stripeURL); err != nil {
		cancel()
		t.Fatalf("settings: %v", err)
	}
	sys, err := localdev.New(ctx, su.opts)
	if err != nil {
		cancel()
		t.Fatalf("local system: %v", err)
	}
	h = sys.Handler
	done := make(chan struct{})
	if withMailer {
		go func() { _ = sys.Poller.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	t.Cleanup(func() { cancel(); <-done })
	return &stack{t: t, env: env, sys: sys, url: srv.URL, table: table}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func (s *stack) do(method, path, contentType, body string, header map[string]string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (s *stack) postJSON(path string, v any, header map[string]string) response {
	s.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(http.MethodPost, path, "application/json", string(b), header)
}

func (s *stack) postForm(path string, v url.Values, header map[string]string) response {
	s.t.Helper()
	return s.do(http.MethodPost, path, "application/x-www-form-urlencoded", v.Encode(), header)
}

// donate posts a valid donation with overrides and returns the stored donation.
func (s *stack) donate(overrides map[string]any) donation.Donation {
	s.t.Helper()
	body := map[string]any{
		"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once",
		"first_name": "Élise", "last_name": "Tremblay", "email": "elise@example.org", "language": "fr",
	}
	for k, v := range overrides {
		body[k] = v
	}
	res := s.postJSON("/donations", body, nil)
	if res.status != http.StatusCreated {
		s.t.Fatalf("POST /donations: %d %s", res.status, res.body)
	}
	id, _ := res.json(s.t)["donation_id"].(string)
	d, err := s.sys.Store.Donation(context.Background(), id)
	if err != nil {
		s.t.Fatalf("stored donation %s: %v", id, err)
	}
	return d
}

// deliver sends a signed event to the webhook endpoint and returns the status.
func (s *stack) deliver(payload []byte) int {
	s.t.Helper()
	res := s.do(http.MethodPost, "/webhooks/stripe", "application/json", string(payload),
		map[string]string{"Stripe-Signature": localpay.Sign(payload, testSecret, time.Now())})
	return res.status
}

// deliverUntilOK redelivers like Stripe does after a 5xx: a few times, then fails.
func (s *stack) deliverUntilOK(payload []byte) {
	s.t.Helper()
	for i := 0; i < 20; i++ {
		switch st := s.deliver(payload); {
		case st == http.StatusOK:
			return
		case st >= 500:
			time.Sleep(10 * time.Millisecond)
		default:
			s.t.Fatalf("webhook answered %d", st)
		}
	}
	s.t.Fatal("webhook never accepted the event")
}

func (s *stack) campaign() campaign.Campaign {
	s.t.Helper()
	c, err := s.sys.Store.Campaign(context.Background(), localdev.AppealSlug)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// items returns every item of the given type in the table.
func (s *stack) items(typ string) []map[string]types.AttributeValue {
	s.t.Helper()
	return itemsOfType(s.t, s.env.DB(), s.table, typ)
}

// itemsOfType reads every item of the given type in table, page by page.
func itemsOfType(tb testing.TB, db *dynamodb.Client, table, typ string) []map[string]types.AttributeValue {
	tb.Helper()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: typ}},
	})
	var out []map[string]types.AttributeValue
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

func (s *stack) donationByID(id string) donation.Donation {
	s.t.Helper()
	d, err := s.sys.Store.Donation(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// waitEmails waits until n emails were sent to addr, and that no more arrive shortly.
func (s *stack) waitEmails(addr string, n int) []emulator.SentEmail {
	s.t.Helper()
	return s.waitEmailsAbout(addr, "", n)
}

// waitEmailsAbout is waitEmails counting only the emails whose body has about: for
// addresses, such as a branch organizer's, that other tests write to as well.
func (s *stack) waitEmailsAbout(addr, about string, n int) []emulator.SentEmail {
	s.t.Helper()
	sent := func() []emulator.SentEmail {
		var out []emulator.SentEmail
		for _, e := range s.env.SentEmails(s.t, addr) {
			if strings.Contains(e.Body, about) {
				out = append(out, e)
			}
		}
		return out
	}
	// Generous: under CI's load (packages run in parallel on two cores) the single-threaded
	// moto behind the stream poller can fall well behind; 10 s was seen to be too short.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := sent()
		if len(got) > n {
			s.t.Fatalf("%d emails to %s, want %d", len(got), addr, n)
		}
		if len(got) == n {
			time.Sleep(600 * time.Millisecond) // a few poll intervals: nothing more may come
			if again := sent(); len(again) != n {
				s.t.Fatalf("%d emails to %s, want %d", len(again), addr, n)
			}
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d emails to %s after 30 s, want %d", len(got), addr, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func unmarshal[T any](t *testing.T, item map[string]types.AttributeValue) T {
	t.Helper()
	var v T
	if err := attributevalue.UnmarshalMap(item, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
