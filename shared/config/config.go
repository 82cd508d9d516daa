// Package config reads the functions' settings from the environment, once per cold
// start. It makes no network call: the secrets SSM holds are read by
// shared/assembly/secret, in the functions that need them.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/solidarity/solidarity/shared/redact"
)

// Config is every setting a function may need; each function reads what it uses.
type Config struct {
	Table          string   // TABLE_NAME
	AllowedOrigins []string // ALLOWED_ORIGINS, comma-separated
	PublicURL      string   // PUBLIC_URL: base of the API's own pages (thanks, cancel, portal)
	DonatePageURL  string   // DONATE_PAGE_URL: the organization's donation form; default PUBLIC_URL + "/"
	// The membership and subscription forms the result pages lead to next (optional: a
	// page offers no link to a form that is not configured).
	JoinPageURL      string // JOIN_PAGE_URL
	SubscribePageURL string // SUBSCRIBE_PAGE_URL

	StripeAPIURL             string // STRIPE_API_URL: stripe-mock locally; empty for Stripe
	StripeSecretKey          string // STRIPE_SECRET_KEY (local), else read from…
	StripeSecretKeyParam     string // …STRIPE_SECRET_KEY_PARAM, an SSM SecureString name
	StripeWebhookSecret      string // STRIPE_WEBHOOK_SECRET (local), else read from…
	StripeWebhookSecretParam string // …STRIPE_WEBHOOK_SECRET_PARAM
	// StripeMode (STRIPE_MODE) is whether the deployment is Stripe's "live" (the default)
	// or "test" mode: the webhook refuses events of the other mode.
	StripeMode string

	FeePercentBps int64 // FEE_PERCENT_BPS, default 290 (2.9%)
	FeeFixedCents int64 // FEE_FIXED_CENTS, default 30

	MailFrom             string // MAIL_FROM
	MailConfigurationSet string // MAIL_CONFIGURATION_SET, optional

	// The broadcast sender (docs/broadcasts.md): its own queue, where a run that must stop
	// before its deadline posts the rest of the broadcast, and the share of the account's
	// SES sending rate broadcasts may take (the rest is left to receipts and confirmations).
	BroadcastQueueURL  string  // BROADCAST_QUEUE_URL
	BroadcastRateShare float64 // BROADCAST_RATE_SHARE, default 0.8, above 0 and at most 1

	// Rate limits of the form endpoints, per client IP and per email address in a window.
	RatePerIP     int64 // RATE_LIMIT_PER_IP, default 20
	RatePerEmail  int64 // RATE_LIMIT_PER_EMAIL, default 5
	RateWindowMin int64 // RATE_LIMIT_WINDOW_MINUTES, default 60
	// ClientIPHeader (CLIENT_IP_HEADER) names the header a CDN or proxy in front of the API
	// puts the client's address in (CloudFront-Viewer-Address); empty: API Gateway's
	// source IP. It is believed only on requests that carry the CDN's secret in
	// X-Origin-Verify, so it needs the secret (or its SSM parameter) beside it.
	ClientIPHeader      string
	ClientIPSecret      string // CLIENT_IP_SECRET (local), else read from…
	ClientIPSecretParam string // …CLIENT_IP_SECRET_PARAM, an SSM SecureString name

	// The key of the rate-limit counters' HMAC (at least 32 bytes): the table holds no
	// IP or address, nor a hash a guess could be checked against.
	HashKey      string // HASH_KEY (local), else read from…
	HashKeyParam string // …HASH_KEY_PARAM, an SSM SecureString name

	// Cloudflare Turnstile (optional): the secret, or its SSM parameter, and siteverify's
	// address (a stand-in in tests).
	TurnstileSecret      string // TURNSTILE_SECRET (local)
	TurnstileSecretParam string // TURNSTILE_SECRET_PARAM
	TurnstileVerifyURL   string // TURNSTILE_VERIFY_URL, default Cloudflare's

	TableARN     string // TABLE_ARN: the table the nightly export exports
	ExportBucket string // EXPORT_BUCKET: where exports go
}

// Load reads the environment.
func Load() (Config, error) { return LoadFrom(os.Getenv) }

// LoadFrom reads the settings through getenv: the environment in AWS, the environment
// over the local defaults under `make dev`, a test's own settings in tests.
func LoadFrom(getenv func(string) string) (Config, error) {
	c := Config{
		Table:                    getenv("TABLE_NAME"),
		AllowedOrigins:           List(getenv("ALLOWED_ORIGINS")),
		PublicURL:                strings.TrimRight(getenv("PUBLIC_URL"), "/"),
		DonatePageURL:            getenv("DONATE_PAGE_URL"),
		JoinPageURL:              strings.TrimSpace(getenv("JOIN_PAGE_URL")),
		SubscribePageURL:         strings.TrimSpace(getenv("SUBSCRIBE_PAGE_URL")),
		StripeAPIURL:             getenv("STRIPE_API_URL"),
		StripeSecretKey:          getenv("STRIPE_SECRET_KEY"),
		StripeSecretKeyParam:     getenv("STRIPE_SECRET_KEY_PARAM"),
		StripeWebhookSecret:      getenv("STRIPE_WEBHOOK_SECRET"),
		StripeWebhookSecretParam: getenv("STRIPE_WEBHOOK_SECRET_PARAM"),
		StripeMode:               getenv("STRIPE_MODE"),
		MailFrom:                 getenv("MAIL_FROM"),
		MailConfigurationSet:     getenv("MAIL_CONFIGURATION_SET"),
		BroadcastQueueURL:        getenv("BROADCAST_QUEUE_URL"),
		TurnstileSecret:          getenv("TURNSTILE_SECRET"),
		TurnstileSecretParam:     getenv("TURNSTILE_SECRET_PARAM"),
		TurnstileVerifyURL:       getenv("TURNSTILE_VERIFY_URL"),
		ClientIPHeader:           strings.TrimSpace(getenv("CLIENT_IP_HEADER")),
		ClientIPSecret:           getenv("CLIENT_IP_SECRET"),
		ClientIPSecretParam:      getenv("CLIENT_IP_SECRET_PARAM"),
		HashKey:                  getenv("HASH_KEY"),
		HashKeyParam:             getenv("HASH_KEY_PARAM"),
		TableARN:                 getenv("TABLE_ARN"),
		ExportBucket:             getenv("EXPORT_BUCKET"),
	}
	var err error
	if c.FeePercentBps, err = intEnv(getenv, "FEE_PERCENT_BPS", 290, 0, 5000); err != nil {
		return c, err
	}
	if c.FeeFixedCents, err = intEnv(getenv, "FEE_FIXED_CENTS", 30, 0, 10_000); err != nil {
		return c, err
	}
	if c.RatePerIP, err = intEnv(getenv, "RATE_LIMIT_PER_IP", 20, 0, 1_000_000); err != nil {
		return c, err
	}
	if c.RatePerEmail, err = intEnv(getenv, "RATE_LIMIT_PER_EMAIL", 5, 0, 1_000_000); err != nil {
		return c, err
	}
	if c.RateWindowMin, err = intEnv(getenv, "RATE_LIMIT_WINDOW_MINUTES", 60, 1, 24*60); err != nil {
		return c, err
	}
	c.BroadcastRateShare = 0.8
	if v := getenv("BROADCAST_RATE_SHARE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return c, fmt.Errorf("BROADCAST_RATE_SHARE must be a share above 0 and at most 1, such as 0.8")
		}
		c.BroadcastRateShare = f
	}
	switch c.StripeMode {
	case "":
		// Live unless told otherwise: a deployment that forgot the setting never counts
		// test-mode money, and a test deployment that forgot it refuses every event
		// (400, WebhookRefusedAlarm) rather than failing silently.
		c.StripeMode = StripeLive
	case StripeLive, StripeTest:
	default:
		return c, fmt.Errorf("STRIPE_MODE must be %q or %q", StripeLive, StripeTest)
	}
	if c.DonatePageURL == "" {
		c.DonatePageURL = c.PublicURL + "/"
	}
	if c.Table == "" {
		return c, fmt.Errorf("TABLE_NAME is not set")
	}
	if c.ClientIPHeader != "" && c.ClientIPSecret == "" && c.ClientIPSecretParam == "" {
		return c, fmt.Errorf("CLIENT_IP_HEADER is set without CLIENT_IP_SECRET_PARAM (or CLIENT_IP_SECRET): " +
			"the header would be believed from anyone who reaches API Gateway directly; " +
			"give the secret the CDN sends in X-Origin-Verify, or unset CLIENT_IP_HEADER")
	}
	if c.ClientIPSecret != "" && len(c.ClientIPSecret) < MinClientIPSecret {
		return c, fmt.Errorf("CLIENT_IP_SECRET must be at least %d characters", MinClientIPSecret)
	}
	return c, nil
}

// The values of STRIPE_MODE.
const (
	StripeLive = "live"
	StripeTest = "test"
)

// MinClientIPSecret is the shortest CDN secret (CLIENT_IP_SECRET) accepted.
const MinClientIPSecret = 16

func intEnv(getenv func(string) string, name string, def, lo, hi int64) (int64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// Boot is every function's first step: JSON logs on standard output, then the settings
// and the SDK configuration. A function that cannot start logs why and exits.
func Boot(ctx context.Context) (Config, aws.Config) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	c, a, err := LoadAWS(ctx)
	if err != nil {
		Fatal("config", err)
	}
	return c, a
}

// Fatal logs a startup failure (redacted) and exits. Only for wiring in main, never in a
// handler.
func Fatal(what string, err error) {
	slog.Error(what, "err", redact.Error(err))
	os.Exit(1)
}

// LoadAWS reads the environment: the settings and the SDK configuration (FromEnv).
func LoadAWS(ctx context.Context) (Config, aws.Config, error) {
	c, err := Load()
	if err != nil {
		return c, aws.Config{}, err
	}
	a, err := FromEnv(os.Getenv)
	return c, a, err
}

// FromEnv is a function's SDK configuration, from the variables the Lambda runtime sets:
// the region (AWS_REGION, or AWS_DEFAULT_REGION) and the execution role's credentials
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); AWS_ENDPOINT_URL, when
// set, points every client at the emulators (make dev, the tests). That is all a Lambda
// has: the SDK's LoadDefaultConfig would look for shared config and credential files,
// SSO and web identity, and link their clients, for nothing. The staff tool, which runs
// on a person's machine, loads the SDK's full chain instead (cmd/staff).
func FromEnv(getenv func(string) string) (aws.Config, error) {
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("aws config: AWS_REGION is not set (the Lambda runtime sets it)")
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("aws config: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (the Lambda runtime sets them from the function's role)")
	}
	cfg := aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))),
		Retryer:     Retryer(0),
	}
	if u := strings.TrimSpace(getenv("AWS_ENDPOINT_URL")); u != "" {
		cfg.BaseEndpoint = aws.String(u)
	}
	return cfg, nil
}

// List splits a comma-separated setting, dropping empty entries.
func List(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// RateLimits are the form endpoints' limits: per client IP, per email address, window.
func (c Config) RateLimits() (perIP, perEmail int, window time.Duration) {
	return int(c.RatePerIP), int(c.RatePerEmail), time.Duration(c.RateWindowMin) * time.Minute
}
