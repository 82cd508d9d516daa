package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/exportfn"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/assembly/stripewebhookfn"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/organization"
)

// TestSettingsUnderTheLocalServer sets each setting the README lists, by its name, as a
// Lambda reads it from its environment, and sees its effect on the local server: the
// functions are built by the same constructors from the same settings. The rate limits
// and Turnstile are set the same way in ratelimit_test.go, CLIENT_IP_HEADER and its
// secret in guards_test.go (TestBehindACDN); PUBLIC_URL, STRIPE_API_URL and
// AWS_ENDPOINT_URL are the local server, stripe-mock and moto by design.
func TestSettingsUnderTheLocalServer(t *testing.T) {
	t.Run("TABLE_NAME", func(t *testing.T) {
		s := newStack(t, false) // testVars name a table of the test's own
		d := s.donate(nil)
		if _, err := dynamo.New(s.env.DB(), s.table).Donation(context.Background(), d.ID); err != nil {
			t.Fatalf("the donation is not in %s: %v", s.table, err)
		}
	})

	t.Run("ALLOWED_ORIGINS", func(t *testing.T) {
		// Origins compare without case: a deployer may write a host in capitals.
		s := newStack(t, false, set("ALLOWED_ORIGINS", "https://one.example, https://Two.Example"))
		for origin, want := range map[string]string{"https://two.example": "https://two.example", allowed: ""} {
			res := s.do(http.MethodOptions, "/donations", "", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
			if got := res.header.Get("Access-Control-Allow-Origin"); got != want {
				t.Errorf("preflight from %s: allowed %q, want %q", origin, got, want)
			}
		}
		res := s.postJSON("/donations", validDonation(), map[string]string{"Origin": "https://two.example"})
		if res.status != http.StatusCreated || res.header.Get("Access-Control-Allow-Origin") != "https://two.example" {
			t.Errorf("a post from https://two.example: %d, allowed %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
		}
	})

	t.Run("DONATE_PAGE_URL, JOIN_PAGE_URL and SUBSCRIBE_PAGE_URL on the result pages", func(t *testing.T) {
		s := newStack(t, false, set("DONATE_PAGE_URL", "https://section.example/donner/",
			"JOIN_PAGE_URL", "https://section.example/join.html", "SUBSCRIBE_PAGE_URL", "https://section.example/subscribe.html"))
		page := string(s.do(http.MethodGet, "/donations/thanks?lang=fr", "", "", nil).body)
		for _, want := range []string{`href="https://section.example/join.fr.html"`, `href="https://section.example/subscribe.fr.html"`,
			`href="https://section.example/donner/"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the French thank-you page lacks %s:\n%s", want, page)
			}
		}
		if page := string(s.do(http.MethodGet, "/members/check-email?lang=en", "", "", nil).body); !strings.Contains(page, `href="https://section.example/subscribe.html"`) {
			t.Errorf("the check-your-inbox page does not offer the paper:\n%s", page)
		}
	})

	t.Run("FEE_PERCENT_BPS and FEE_FIXED_CENTS", func(t *testing.T) {
		s := newStack(t, false, set("FEE_PERCENT_BPS", "500", "FEE_FIXED_CENTS", "0"))
		// 5% and no fixed fee: $95.00 with the fees covered is a $100.00 charge.
		if d := s.donate(map[string]any{"amount_cents": 9500, "cover_fees": true}); d.ChargeCents != 10_000 {
			t.Fatalf("charge %d for $95.00 with 5%% covered, want 10000", d.ChargeCents)
		}
	})

	t.Run("STRIPE_WEBHOOK_SECRET", func(t *testing.T) {
		s := newStack(t, false, set("STRIPE_WEBHOOK_SECRET", "whsec_set_by_the_test"))
		d := s.donate(nil)
		payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
		for secret, want := range map[string]int{testSecret: http.StatusBadRequest, "whsec_set_by_the_test": http.StatusOK} {
			if st := s.deliverSignedWith(payload, secret); st != want {
				t.Errorf("signed with %s: %d, want %d", secret, st, want)
			}
		}
	})

	t.Run("STRIPE_WEBHOOK_SECRET_PARAM and STRIPE_SECRET_KEY_PARAM", func(t *testing.T) {
		env := emulator.Get(t)
		name := "/" + emulator.TableName(t) + "/stripe/"
		put := func(param, value string) {
			t.Helper()
			_, err := ssm.NewFromConfig(env.AWS).PutParameter(context.Background(), &ssm.PutParameterInput{
				Name: aws.String(name + param), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString})
			if err != nil {
				t.Fatal(err)
			}
		}
		put("webhook-secret", "whsec_from_ssm")
		put("secret-key", "sk_test_fromssm")
		// The key Stripe is called with, seen between the functions and stripe-mock.
		var mu sync.Mutex
		keys := map[string]bool{}
		target, _ := url.Parse(env.Stripe.URL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		stripe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			keys[r.Header.Get("Authorization")] = true
			mu.Unlock()
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(stripe.Close)
		// The test system's own webhook secret is unset: a value set beside its parameter wins.
		s := newStack(t, false, func(su *setup) { su.stripeURL = stripe.URL },
			set("STRIPE_WEBHOOK_SECRET", "", "STRIPE_WEBHOOK_SECRET_PARAM", name+"webhook-secret",
				"STRIPE_SECRET_KEY_PARAM", name+"secret-key"))
		d := s.donate(nil)
		mu.Lock()
		if len(keys) != 1 || !keys["Bearer sk_test_fromssm"] {
			t.Errorf("Stripe was called with %v, want only the key in SSM", keys)
		}
		mu.Unlock()
		payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
		if st := s.deliverSignedWith(payload, "whsec_from_ssm"); st != http.StatusOK {
			t.Fatalf("signed with the secret in SSM: %d", st)
		}
		// The local checkout page signs with the same secret the webhook function read.
		paid := s.donate(map[string]any{"amount_cents": 1500})
		if res := s.do(http.MethodPost, "/_local/checkout/"+paid.ID+"/pay", "", "", nil); res.status >= 400 {
			t.Fatalf("the local checkout page's Pay: %d %s", res.status, res.body)
		}
		if got := s.donationByID(paid.ID); got.Status != "paid" {
			t.Fatalf("paid through the local checkout page: status %q", got.Status)
		}
		missing := testVars(emulator.TableName(t))
		missing["STRIPE_WEBHOOK_SECRET"], missing["STRIPE_WEBHOOK_SECRET_PARAM"] = "", name+"no-such-parameter"
		cfg, err := localdev.Settings(missing.Get, "http://127.0.0.1:1", env.Stripe.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stripewebhookfn.New(context.Background(), assembly.Env{Config: cfg, AWS: env.AWS}); err == nil {
			t.Fatal("a webhook secret missing from SSM built a webhook function")
		}
	})

	t.Run("HASH_KEY and HASH_KEY_PARAM", func(t *testing.T) {
		env := emulator.Get(t)
		name := "/" + emulator.TableName(t) + "/hash-key"
		const fromSSM = "hashing-key-from-ssm-0123456789abcdefgh"
		_, err := ssm.NewFromConfig(env.AWS).PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(fromSSM), Type: ssmtypes.ParameterTypeSecureString})
		if err != nil {
			t.Fatal(err)
		}
		limits := []string{"RATE_LIMIT_PER_IP", "10", "RATE_LIMIT_PER_EMAIL", "10"}
		for key, vars := range map[string][]string{
			"hashing-key-set-by-the-test-0123456789ab": append(limits, "HASH_KEY", "hashing-key-set-by-the-test-0123456789ab"),
			fromSSM: append(limits, "HASH_KEY_PARAM", name),
		} {
			s := newStack(t, false, set(vars...))
			if res := s.postJSON("/portal", map[string]any{"email": "hash-key@example.org"}, nil); res.status != http.StatusAccepted {
				t.Fatalf("portal: %d %s", res.status, res.body)
			}
			// The counters are the HMACs under the key: the address's and the client's.
			want := map[string]bool{
				"RATE#" + guard.CounterKey([]byte(key), "portal|email|hash-key@example.org"): true,
				"RATE#" + guard.CounterKey([]byte(key), "portal|ip|127.0.0.1"):               true,
			}
			got := map[string]bool{}
			for _, item := range s.items("rate_limit") {
				got[fmt.Sprint(unmarshal[map[string]any](t, item)["pk"])] = true
			}
			if !maps.Equal(got, want) {
				t.Errorf("key %q: counters %v, want %v", key, got, want)
			}
		}
		missing := testVars(emulator.TableName(t))
		missing["RATE_LIMIT_PER_IP"], missing["HASH_KEY_PARAM"] = "10", name+"-no-such-parameter"
		cfg, err := localdev.Settings(missing.Get, "http://127.0.0.1:1", env.Stripe.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signupfn.New(context.Background(), assembly.Env{Config: cfg, AWS: env.AWS}); err == nil {
			t.Fatal("a hashing key missing from SSM built a signup function")
		}
	})

	t.Run("MAIL_FROM, MAIL_CONFIGURATION_SET and DONATE_PAGE_URL", func(t *testing.T) {
		env := emulator.Get(t)
		var mu sync.Mutex
		var sets []string
		proxy, err := faults.New(env.Moto.URL, faults.Rates{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		proxy.Observe = func(r *http.Request, body []byte) {
			if !strings.Contains(r.URL.Path, "/outbound-emails") {
				return
			}
			var in struct{ ConfigurationSetName string }
			_ = json.Unmarshal(body, &in)
			mu.Lock()
			sets = append(sets, in.ConfigurationSetName)
			mu.Unlock()
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		s := newStack(t, true, func(su *setup) { su.opts.MotoURL = srv.URL },
			set("MAIL_FROM", "dons@section.example", "MAIL_CONFIGURATION_SET", "solidarity-events",
				"DONATE_PAGE_URL", "https://section.example/donner"))
		d := s.donate(map[string]any{"email": "settings.failed@example.org"})
		s.deliverUntilOK(localpay.Event("checkout.session.async_payment_failed", localpay.SessionAsyncFailed(d), time.Now()))
		m := s.waitEmails("settings.failed@example.org", 1)[0]
		// The address is MAIL_FROM's; the display name the organization's sender.
		if name, addr, err := organization.DecodeFrom(m.Source); err != nil || addr != "dons@section.example" ||
			name != organization.Default().Sender.EN && name != organization.Default().Sender.FR {
			t.Errorf("sent from %q", m.Source)
		}
		if !strings.Contains(m.Body, "https://section.example/donner") {
			t.Errorf("the failed payment's email does not lead to DONATE_PAGE_URL:\n%s", m.Body)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(sets) != 1 || sets[0] != "solidarity-events" {
			t.Errorf("configuration sets of the SES calls: %q", sets)
		}
	})

	t.Run("TABLE_ARN and EXPORT_BUCKET", func(t *testing.T) {
		env := emulator.Get(t)
		ctx := context.Background()
		table, bucket := emulator.TableName(t), "settings-exports"
		if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
			t.Fatal(err)
		}
		_, err := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{
			Bucket: aws.String(bucket), CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
				LocationConstraint: s3types.BucketLocationConstraint(env.AWS.Region)}})
		var owned *s3types.BucketAlreadyOwnedByYou
		if err != nil && !errors.As(err, &owned) {
			t.Fatal(err)
		}
		desc, err := env.DB().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		vars := testVars(table)
		vars["TABLE_ARN"], vars["EXPORT_BUCKET"] = aws.ToString(desc.Table.TableArn), bucket
		cfg, err := localdev.Settings(vars.Get, "http://127.0.0.1:1", env.Stripe.URL)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2027, time.February, 3, 7, 0, 0, 0, time.UTC)
		exporter, err := exportfn.New(ctx, assembly.Env{Config: cfg, AWS: env.AWS, Now: func() time.Time { return day }})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := exporter.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Bucket != bucket || rec.Prefix != "exports/2027-02-03" || rec.ARN == "" {
			t.Fatalf("export record %+v", rec)
		}
	})
}

// deliverSignedWith sends payload to the webhook endpoint signed with secret.
func (s *stack) deliverSignedWith(payload []byte, secret string) int {
	s.t.Helper()
	return s.do(http.MethodPost, "/webhooks/stripe", "application/json", string(payload),
		map[string]string{"Stripe-Signature": localpay.Sign(payload, secret, time.Now())}).status
}
