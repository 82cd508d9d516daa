// Package guard builds a form endpoint's guard from the settings: rate limits per client
// IP and per email address, then Cloudflare Turnstile when a secret is configured.
package guard

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/ratelimit"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/secrets"
	"github.com/solidarity/solidarity/shared/turnstile"
)

// New is the guard of endpoint ("donations", "members", "subscriptions"). For main only:
// a Turnstile secret that cannot be read ends the cold start.
func New(ctx context.Context, cfg config.Config, awsCfg aws.Config, db ratelimit.DB, endpoint string) request.Guard {
	perIP, perEmail, window := cfg.RateLimits()
	v := turnstile.Verifier{URL: cfg.TurnstileVerifyURL}
	if cfg.TurnstileSecret != "" || cfg.TurnstileSecretParam != "" {
		secret, err := secrets.Resolve(ctx, ssm.NewFromConfig(awsCfg), "TURNSTILE_SECRET", cfg.TurnstileSecret, cfg.TurnstileSecretParam)
		if err != nil {
			config.Fatal("turnstile secret", err)
		}
		v.Secret = secret
	}
	return request.Guards(ratelimit.New(db, cfg.Table, endpoint, perIP, perEmail, window).Request, v.Request)
}
