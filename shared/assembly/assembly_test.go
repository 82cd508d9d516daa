package assembly_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/campaignfn"
	"github.com/solidarity/solidarity/shared/assembly/donatefn"
	"github.com/solidarity/solidarity/shared/assembly/exportfn"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
	"github.com/solidarity/solidarity/shared/assembly/portalfn"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/assembly/stripewebhookfn"
	"github.com/solidarity/solidarity/shared/assembly/subscribefn"
	"github.com/solidarity/solidarity/shared/assembly/unsubscribefn"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/payment"
)

// transport is an aws.HTTPClient made of a function.
type transport struct {
	do func(r *http.Request) (*http.Response, error)
}

func (c transport) Do(r *http.Request) (*http.Response, error) { return c.do(r) }

// calls records every request the SDK tries to send, and fails each one: nothing in
// these tests may reach AWS.
type calls struct {
	mu      sync.Mutex
	targets []string // X-Amz-Target, such as AmazonSSM.GetParameters
}

func (c *calls) client() transport {
	return transport{do: func(r *http.Request) (*http.Response, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.targets = append(c.targets, r.Header.Get("X-Amz-Target"))
		return nil, errors.New("no network in unit tests")
	}}
}

func (c *calls) made() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.targets...)
}

var clock = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// base are settings every function can be built from, secrets given locally.
func base() map[string]string {
	return map[string]string{
		"TABLE_NAME":            "solidarity-test",
		"PUBLIC_URL":            "https://api.solidarity.example/",
		"STRIPE_SECRET_KEY":     "sk_test_local",
		"STRIPE_WEBHOOK_SECRET": "whsec_local",
		"MAIL_FROM":             "Solidarity <news@solidarity.example>",
		"HASH_KEY":              "assembly-tests-hashing-key-0123456789",
	}
}

// env builds an Env from settings (base with changes; "" removes one) on an SDK
// configuration that can call nothing.
func env(t *testing.T, changes map[string]string) (assembly.Env, *calls) {
	t.Helper()
	settings := base()
	for k, v := range changes {
		if v == "" {
			delete(settings, k)
		} else {
			settings[k] = v
		}
	}
	cfg, err := config.LoadFrom(func(k string) string { return settings[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := &calls{}
	awsCfg := aws.Config{
		Region:      "ca-central-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDUNITTEST", "unit-test-secret", ""),
		HTTPClient:  c.client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return assembly.Env{Config: cfg, AWS: awsCfg, Now: func() time.Time { return clock }}, c
}

func noCalls(t *testing.T, c *calls) {
	t.Helper()
	if made := c.made(); len(made) != 0 {
		t.Errorf("AWS was called: %q", made)
	}
}

func wantErr(t *testing.T, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", words)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

func TestDonate(t *testing.T) {
	ctx := context.Background()

	t.Run("the fee settings become the service's fees", func(t *testing.T) {
		e, c := env(t, map[string]string{"FEE_PERCENT_BPS": "350", "FEE_FIXED_CENTS": "25"})
		h, err := donatefn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.Service.Fees != (donation.Fees{PercentBps: 350, FixedCents: 25}) {
			t.Errorf("fees %+v", h.Service.Fees)
		}
		noCalls(t, c)
	})

	t.Run("without fee settings the fees are Stripe Canada's", func(t *testing.T) {
		e, _ := env(t, nil)
		h, err := donatefn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.Service.Fees != (donation.Fees{PercentBps: 290, FixedCents: 30}) {
			t.Errorf("fees %+v", h.Service.Fees)
		}
	})

	t.Run("the thanks page, the checkout, the store and the clock come from the settings", func(t *testing.T) {
		e, c := env(t, nil)
		h, err := donatefn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.ThanksURL != "https://api.solidarity.example/donations/thanks" {
			t.Errorf("ThanksURL %q", h.ThanksURL)
		}
		co, ok := h.Service.Checkout.(payment.Checkout)
		if !ok {
			t.Fatalf("checkout is %T", h.Service.Checkout)
		}
		if co.Sessions.Key != "sk_test_local" || co.PublicURL != "https://api.solidarity.example" {
			t.Errorf("checkout key %q public URL %q", co.Sessions.Key, co.PublicURL)
		}
		if st, ok := h.Service.Store.(*dynamo.Store); !ok || st.Table != "solidarity-test" {
			t.Errorf("store %#v", h.Service.Store)
		}
		if h.Service.Now == nil || !h.Service.Now().Equal(clock) {
			t.Error("the service's clock is not the Env's")
		}
		if h.Guard == nil {
			t.Error("no guard")
		}
		noCalls(t, c)
	})

	t.Run("an Env's Checkout wraps the real one", func(t *testing.T) {
		e, _ := env(t, nil)
		var wrapped payment.Checkout
		e.Checkout = func(real assembly.Sessions) assembly.Sessions {
			wrapped, _ = real.(payment.Checkout)
			return real
		}
		if _, err := donatefn.New(ctx, e); err != nil {
			t.Fatal(err)
		}
		if wrapped.Sessions.Key != "sk_test_local" || wrapped.PublicURL != "https://api.solidarity.example" {
			t.Errorf("wrapped checkout key %q public URL %q", wrapped.Sessions.Key, wrapped.PublicURL)
		}
	})

	t.Run("a Turnstile secret given in the settings is used without SSM", func(t *testing.T) {
		e, c := env(t, map[string]string{"TURNSTILE_SECRET": "0x4AAA-local"})
		if _, err := donatefn.New(ctx, e); err != nil {
			t.Fatal(err)
		}
		noCalls(t, c)
	})

	t.Run("a Turnstile secret named by its SSM parameter is read from SSM", func(t *testing.T) {
		e, c := env(t, map[string]string{"TURNSTILE_SECRET_PARAM": "/solidarity/turnstile"})
		_, err := donatefn.New(ctx, e)
		wantErr(t, err, "TURNSTILE_SECRET", "SSM")
		if made := c.made(); len(made) != 1 || made[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", made)
		}
	})

	t.Run("the Stripe key named by its SSM parameter is read from SSM", func(t *testing.T) {
		e, c := env(t, map[string]string{"STRIPE_SECRET_KEY": "", "STRIPE_SECRET_KEY_PARAM": "/solidarity/stripe"})
		_, err := donatefn.New(ctx, e)
		wantErr(t, err, "STRIPE_SECRET_KEY", "SSM")
		if made := c.made(); len(made) != 1 || made[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", made)
		}
	})

	t.Run("without a Stripe key or its parameter it refuses to build", func(t *testing.T) {
		e, c := env(t, map[string]string{"STRIPE_SECRET_KEY": ""})
		_, err := donatefn.New(ctx, e)
		wantErr(t, err, "STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY_PARAM")
		noCalls(t, c)
	})
}

func TestMailer(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		changes map[string]string
	}{
		{"without MAIL_FROM it refuses to build", map[string]string{"MAIL_FROM": ""}},
		{"without PUBLIC_URL it refuses to build", map[string]string{"PUBLIC_URL": ""}},
		{"a PUBLIC_URL of only a slash is no URL", map[string]string{"PUBLIC_URL": "/"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, calls := env(t, c.changes)
			_, err := mailerfn.New(ctx, e)
			wantErr(t, err, "MAIL_FROM", "PUBLIC_URL")
			noCalls(t, calls)
		})
	}

	t.Run("sender, configuration set, links and public URL come from the settings", func(t *testing.T) {
		e, calls := env(t, map[string]string{"MAIL_CONFIGURATION_SET": "solidarity-events", "DONATE_PAGE_URL": "https://solidarity.example/donner"})
		m, err := mailerfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if m.From != "Solidarity <news@solidarity.example>" || m.ConfigurationSet != "solidarity-events" ||
			m.PublicURL != "https://api.solidarity.example" {
			t.Errorf("mailer from %q set %q public %q", m.From, m.ConfigurationSet, m.PublicURL)
		}
		if len(m.Links) != 1 || m.Links["retry_url"] != "https://solidarity.example/donner" {
			t.Errorf("links %v", m.Links)
		}
		if m.SES == nil {
			t.Error("no SES client")
		}
		if m.Suppressions == nil {
			t.Error("no suppression check: mail to addresses that bounced or complained would go out")
		}
		if m.Now == nil || !m.Now().Equal(clock) {
			t.Error("the mailer's clock is not the Env's")
		}
		noCalls(t, calls)
	})

	t.Run("without DONATE_PAGE_URL the retry link is the public site's root", func(t *testing.T) {
		e, _ := env(t, nil)
		m, err := mailerfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if m.Links["retry_url"] != "https://api.solidarity.example/" || m.ConfigurationSet != "" {
			t.Errorf("links %v configuration set %q", m.Links, m.ConfigurationSet)
		}
	})
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		changes map[string]string
	}{
		{"without TABLE_ARN it refuses to build", map[string]string{"EXPORT_BUCKET": "exports"}},
		{"without EXPORT_BUCKET it refuses to build", map[string]string{"TABLE_ARN": "arn:aws:dynamodb:ca-central-1:123456789012:table/solidarity-test"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, calls := env(t, c.changes)
			_, err := exportfn.New(ctx, e)
			wantErr(t, err, "TABLE_ARN", "EXPORT_BUCKET")
			noCalls(t, calls)
		})
	}

	t.Run("the table's ARN, the bucket and the clock come from the settings", func(t *testing.T) {
		arn := "arn:aws:dynamodb:ca-central-1:123456789012:table/solidarity-test"
		e, calls := env(t, map[string]string{"TABLE_ARN": arn, "EXPORT_BUCKET": "solidarity-exports"})
		x, err := exportfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if x.TableARN != arn || x.Bucket != "solidarity-exports" || x.DB == nil {
			t.Errorf("exporter arn %q bucket %q", x.TableARN, x.Bucket)
		}
		if x.Now == nil || !x.Now().Equal(clock) {
			t.Error("the exporter's clock is not the Env's")
		}
		noCalls(t, calls)
	})
}

func TestStripeWebhook(t *testing.T) {
	ctx := context.Background()
	t.Run("a signing secret given in the settings is used without SSM", func(t *testing.T) {
		e, calls := env(t, nil)
		h, err := stripewebhookfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.Secret != "whsec_local" || h.Ledger == nil || h.Subscriptions == nil || h.Plans == nil {
			t.Errorf("webhook %+v", h)
		}
		noCalls(t, calls)
	})
	t.Run("a signing secret named by its SSM parameter is read from SSM", func(t *testing.T) {
		e, calls := env(t, map[string]string{"STRIPE_WEBHOOK_SECRET": "", "STRIPE_WEBHOOK_SECRET_PARAM": "/solidarity/webhook"})
		_, err := stripewebhookfn.New(ctx, e)
		wantErr(t, err, "STRIPE_WEBHOOK_SECRET", "SSM")
		if made := calls.made(); len(made) != 1 || made[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", made)
		}
	})
	t.Run("STRIPE_MODE: live unless it says test", func(t *testing.T) {
		for mode, live := range map[string]bool{"": true, "live": true, "test": false} {
			e, _ := env(t, map[string]string{"STRIPE_MODE": mode})
			h, err := stripewebhookfn.New(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			if h.Live != live {
				t.Errorf("STRIPE_MODE=%q: live %v, want %v", mode, h.Live, live)
			}
		}
	})
	t.Run("without a signing secret or its parameter it refuses to build", func(t *testing.T) {
		e, calls := env(t, map[string]string{"STRIPE_WEBHOOK_SECRET": ""})
		_, err := stripewebhookfn.New(ctx, e)
		wantErr(t, err, "STRIPE_WEBHOOK_SECRET")
		noCalls(t, calls)
	})
}

func TestOtherFunctions(t *testing.T) {
	ctx := context.Background()
	t.Run("the subscription form thanks under PUBLIC_URL and keeps the Env's clock", func(t *testing.T) {
		e, calls := env(t, nil)
		h, err := subscribefn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.ThanksURL != "https://api.solidarity.example/subscriptions/thanks" || h.Guard == nil || h.Service.Plans == nil {
			t.Errorf("subscribe %+v", h)
		}
		if co, ok := h.Service.Checkout.(payment.Checkout); !ok || co.Sessions.Key != "sk_test_local" {
			t.Errorf("checkout %#v", h.Service.Checkout)
		}
		if !h.Service.Now().Equal(clock) {
			t.Error("the service's clock is not the Env's")
		}
		noCalls(t, calls)
	})
	t.Run("the portal returns to PUBLIC_URL", func(t *testing.T) {
		e, calls := env(t, nil)
		h, err := portalfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if h.PublicURL != "https://api.solidarity.example" || h.Sessions == nil || !h.Now().Equal(clock) {
			t.Errorf("portal %+v", h)
		}
		noCalls(t, calls)
	})
	t.Run("the portal needs the Stripe key", func(t *testing.T) {
		e, _ := env(t, map[string]string{"STRIPE_SECRET_KEY": ""})
		_, err := portalfn.New(ctx, e)
		wantErr(t, err, "STRIPE_SECRET_KEY")
	})
	t.Run("signup, unsubscribe and campaign read the settings' table", func(t *testing.T) {
		e, calls := env(t, nil)
		s, err := signupfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := s.Service.Store.(*dynamo.Store); !ok || st.Table != "solidarity-test" || !st.Now().Equal(clock) || s.Guard == nil || !s.Service.Now().Equal(clock) {
			t.Errorf("signup %+v", s)
		}
		u, err := unsubscribefn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := u.Store.(*dynamo.Store); !ok || st.Table != "solidarity-test" || !st.Now().Equal(clock) || !u.Now().Equal(clock) {
			t.Errorf("unsubscribe %+v", u)
		}
		c, err := campaignfn.New(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if st, ok := c.Campaigns.(*dynamo.Store); !ok || st.Table != "solidarity-test" {
			t.Errorf("campaign %+v", c)
		}
		noCalls(t, calls)
	})
}
