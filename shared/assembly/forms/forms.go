// Package forms builds what the public form functions share: a form endpoint's guard
// (its rate limits, keyed by the stack's hashing key, and Turnstile when configured) and
// the sites in front of it (with the CDN's secret, when a viewer-address header is named).
package forms

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/request"
)

// emailsUnproven are the endpoints that email an address nobody has proven yet (the
// confirmation link, the portal link): Turnstile fails closed there.
var emailsUnproven = map[string]bool{"members": true, "portal": true}

// Guard is the guard of endpoint ("donations", "members", "subscriptions", "portal"): its
// rate limits counted through db under the hashing key (HASH_KEY, or HASH_KEY_PARAM's
// SecureString; needed whenever a limit is on), and Turnstile when a secret is configured.
func Guard(ctx context.Context, e assembly.Env, db *dynamodb.Client, endpoint string) (request.Guard, error) {
	c := e.Config
	perIP, perEmail, window := c.RateLimits()
	s := guard.Settings{PerIP: perIP, PerEmail: perEmail, Window: window, TurnstileURL: c.TurnstileVerifyURL,
		Hostnames: Hostnames(c), FailClosed: emailsUnproven[endpoint], Now: e.Clock()}
	if perIP > 0 || perEmail > 0 {
		key, err := HashKey(ctx, e)
		if err != nil {
			return nil, err
		}
		if key == nil {
			return nil, errors.New("HASH_KEY or HASH_KEY_PARAM must be set while a rate limit is on")
		}
		s.HashKey = key
	}
	if c.TurnstileSecret != "" || c.TurnstileSecretParam != "" {
		ts, err := secret.Value(ctx, e, "TURNSTILE_SECRET", c.TurnstileSecret, c.TurnstileSecretParam)
		if err != nil {
			return nil, err
		}
		s.TurnstileSecret = ts
	}
	return guard.New(e.Store(db), endpoint, s), nil
}

// HashKey is the stack's hashing key (HASH_KEY, or HASH_KEY_PARAM's SecureString), of
// the rate limits and of uses of their own (each derives its own key from it, such as
// signup.NewNotices): nil when neither is set, an error when it is shorter than
// guard.MinHashKey. A function that needs it twice reads it once and gives it as
// HASH_KEY (WithHashKey).
func HashKey(ctx context.Context, e assembly.Env) ([]byte, error) {
	c := e.Config
	if c.HashKey == "" && c.HashKeyParam == "" {
		return nil, nil
	}
	key, err := secret.Value(ctx, e, "HASH_KEY", c.HashKey, c.HashKeyParam)
	if err != nil {
		return nil, err
	}
	if len(key) < guard.MinHashKey {
		return nil, fmt.Errorf("the hashing key (HASH_KEY or HASH_KEY_PARAM) must be at least %d bytes", guard.MinHashKey)
	}
	return []byte(key), nil
}

// WithHashKey is e with key as its HASH_KEY, read already: the guard then reads no
// parameter again.
func WithHashKey(e assembly.Env, key []byte) assembly.Env {
	if key != nil {
		e.Config.HashKey = string(key)
	}
	return e
}

// Preload reads the forms' secrets (the rate limits' hashing key, Turnstile's, the
// CDN's) and extra, those the settings name by SSM parameter, in one call: a form
// function's main starts from the Env it returns.
func Preload(ctx context.Context, e assembly.Env, extra ...secret.Want) (assembly.Env, error) {
	return secret.Preload(ctx, e, append([]secret.Want{secret.HashKey, secret.TurnstileSecret, secret.ClientIPSecret}, extra...)...)
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

// Sites are the sites in front of a form function (assembly.Env.Sites), with the CDN's
// secret when CLIENT_IP_HEADER is set: CLIENT_IP_SECRET, else the SecureString that
// CLIENT_IP_SECRET_PARAM names, read once here. The viewer-address header is believed
// only on requests that carry that secret in X-Origin-Verify.
func Sites(ctx context.Context, e assembly.Env) (httpapi.Sites, error) {
	s := e.Sites()
	c := e.Config
	if c.ClientIPHeader == "" {
		return s, nil
	}
	v, err := secret.Value(ctx, e, "CLIENT_IP_SECRET", c.ClientIPSecret, c.ClientIPSecretParam)
	if err != nil {
		return s, err
	}
	if len(v) < config.MinClientIPSecret {
		return s, fmt.Errorf("the CDN's secret (CLIENT_IP_SECRET or CLIENT_IP_SECRET_PARAM) must be at least %d characters", config.MinClientIPSecret)
	}
	s.ClientIPSecret = v
	return s, nil
}
