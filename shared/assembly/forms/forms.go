// Package forms builds what the public form functions share: a form endpoint's guard,
// its rate limits then Turnstile when configured.
package forms

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/request"
)

// Guard is the guard of endpoint ("donations", "members", "subscriptions"): its rate
// limits counted through db, then Turnstile when a secret is configured.
func Guard(ctx context.Context, e assembly.Env, db *dynamodb.Client, endpoint string) (request.Guard, error) {
	c := e.Config
	perIP, perEmail, window := c.RateLimits()
	s := guard.Settings{PerIP: perIP, PerEmail: perEmail, Window: window, TurnstileURL: c.TurnstileVerifyURL, Now: e.Clock()}
	if c.TurnstileSecret != "" || c.TurnstileSecretParam != "" {
		ts, err := secret.Value(ctx, e, "TURNSTILE_SECRET", c.TurnstileSecret, c.TurnstileSecretParam)
		if err != nil {
			return nil, err
		}
		s.TurnstileSecret = ts
	}
	return guard.New(e.Store(db), endpoint, s), nil
}
