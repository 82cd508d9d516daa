// Package forms builds what the public form functions share: a form endpoint's guard,
// its rate limits then Turnstile when configured.
package forms

import (
	"context"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/request"
)

// emailsUnproven are the endpoints that email an address nobody has proven yet (the
// confirmation link, the portal link): Turnstile fails closed there.
var emailsUnproven = map[string]bool{"members": true, "portal": true}

// Guard is the guard of endpoint ("donations", "members", "subscriptions", "portal"): its
// rate limits counted through db, then Turnstile when a secret is configured.
func Guard(ctx context.Context, e assembly.Env, db *dynamodb.Client, endpoint string) (request.Guard, error) {
	c := e.Config
	perIP, perEmail, window := c.RateLimits()
	s := guard.Settings{PerIP: perIP, PerEmail: perEmail, Window: window, TurnstileURL: c.TurnstileVerifyURL,
		Hostnames: Hostnames(c), FailClosed: emailsUnproven[endpoint], Now: e.Clock()}
	if c.TurnstileSecret != "" || c.TurnstileSecretParam != "" {
		ts, err := secret.Value(ctx, e, "TURNSTILE_SECRET", c.TurnstileSecret, c.TurnstileSecretParam)
		if err != nil {
			return nil, err
		}
		s.TurnstileSecret = ts
	}
	return guard.New(e.Store(db), endpoint, s), nil
}

// Hostnames are our own sites, where a Turnstile widget may be solved: the hosts of
// PUBLIC_URL and of each ALLOWED_ORIGINS entry.
func Hostnames(c config.Config) []string {
	var out []string
	for _, u := range append([]string{c.PublicURL}, c.AllowedOrigins...) {
		if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
			out = append(out, p.Hostname())
		}
	}
	return out
}
