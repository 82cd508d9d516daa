// Package config reads the functions' settings from the environment, once per cold start,
// and in AWS resolves the Stripe secrets from SSM Parameter Store.
package config

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/donation"
)

// Config is every setting a function may need; each function reads what it uses.
type Config struct {
	Table          string   // TABLE_NAME
	AllowedOrigins []string // ALLOWED_ORIGINS, comma-separated
	PublicURL      string   // PUBLIC_URL: base of the API's own pages (thanks, cancel, portal)

	StripeAPIURL        string // STRIPE_API_URL: stripe-mock locally; empty for Stripe
	StripeSecretKey     string // STRIPE_SECRET_KEY, or the SSM parameter STRIPE_SECRET_KEY_PARAM
	StripeWebhookSecret string // STRIPE_WEBHOOK_SECRET, or the SSM parameter STRIPE_WEBHOOK_SECRET_PARAM
	stripeSecretKeyParam, stripeWebhookSecretParam string

	Fees donation.Fees // FEE_PERCENT_BPS (default 290), FEE_FIXED_CENTS (default 30)

	MailFrom             string // MAIL_FROM
	MailConfigurationSet string // MAIL_CONFIGURATION_SET, optional
}

// Load reads the environment. It makes no network call.
func Load() (Config, error) {
	c := Config{
		Table:                    os.Getenv("TABLE_NAME"),
		PublicURL:                strings.TrimRight(os.Getenv("PUBLIC_URL"), "/"),
		StripeAPIURL:             os.Getenv("STRIPE_API_URL"),
		StripeSecretKey:          os.Getenv("STRIPE_SECRET_KEY"),
		StripeWebhookSecret:      os.Getenv("STRIPE_WEBHOOK_SECRET"),
		stripeSecretKeyParam:     os.Getenv("STRIPE_SECRET_KEY_PARAM"),
		stripeWebhookSecretParam: os.Getenv("STRIPE_WEBHOOK_SECRET_PARAM"),
		MailFrom:                 os.Getenv("MAIL_FROM"),
		MailConfigurationSet:     os.Getenv("MAIL_CONFIGURATION_SET"),
		Fees:                     donation.StripeCanada,
	}
	c.AllowedOrigins = List(os.Getenv("ALLOWED_ORIGINS"))
	var err error
	if c.Fees.PercentBps, err = intEnv("FEE_PERCENT_BPS", c.Fees.PercentBps, 0, 5000); err != nil {
		return c, err
	}
	if c.Fees.FixedCents, err = intEnv("FEE_FIXED_CENTS", c.Fees.FixedCents, 0, 10_000); err != nil {
		return c, err
	}
	if c.Table == "" {
		return c, fmt.Errorf("TABLE_NAME is not set")
	}
	return c, nil
}

func intEnv(name string, def, lo, hi int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}

// AWS loads the SDK configuration (region, credentials, and AWS_ENDPOINT_URL locally).
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// SSM is the part of the SSM client used to read secrets.
type SSM interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ResolveStripeSecrets fills the Stripe secrets named by *_PARAM settings from SSM
// Parameter Store (SecureString). Values set directly in the environment (local
// development) win. wantKey and wantWebhook say which secrets the caller needs.
func (c *Config) ResolveStripeSecrets(ctx context.Context, client SSM, wantKey, wantWebhook bool) error {
	resolve := func(dst *string, param, env string) error {
		if *dst != "" {
			return nil
		}
		if param == "" {
			return fmt.Errorf("%s or %s_PARAM must be set", env, env)
		}
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
		if err != nil {
			return fmt.Errorf("read %s_PARAM: %w", env, err)
		}
		*dst = aws.ToString(out.Parameter.Value)
		return nil
	}
	if wantKey {
		if err := resolve(&c.StripeSecretKey, c.stripeSecretKeyParam, "STRIPE_SECRET_KEY"); err != nil {
			return err
		}
	}
	if wantWebhook {
		if err := resolve(&c.StripeWebhookSecret, c.stripeWebhookSecretParam, "STRIPE_WEBHOOK_SECRET"); err != nil {
			return err
		}
	}
	return nil
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
