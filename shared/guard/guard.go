// Package guard decides whether a form post may go on: rate limits per client IP and per
// email address, counted in DynamoDB, and Cloudflare Turnstile's proof of a person when
// a secret is configured. Each form endpoint (donations, members, subscriptions, portal)
// has one, in two phases around validation (request.Guard): every request counts against
// its client's IP; only a valid one asks Turnstile, and only one Turnstile let through
// counts against its address, so neither a person's typos nor a bot's junk tokens sent
// in a person's name lock that person out.
package guard

import (
	"context"
	"time"

	"github.com/solidarity/solidarity/shared/request"
)

// Settings are a form endpoint's limits and Turnstile's secret (empty: no Turnstile).
type Settings struct {
	PerIP, PerEmail int           // requests in Window; 0 turns a limit off
	Window          time.Duration // the counting window
	TurnstileSecret string
	TurnstileURL    string // siteverify's address; empty is Cloudflare's
	// Hostnames are the sites whose pages may carry the widget: siteverify's hostname
	// must be one of them (empty: not checked).
	Hostnames []string
	// FailClosed refuses a request when siteverify cannot be reached, for endpoints that
	// email an address nobody has proven; otherwise such a request passes.
	FailClosed bool
	Now        func() time.Time // the clock of the windows; nil is time.Now
	// HashKey is the secret the counters' keys are hashed with (HASH_KEY_PARAM), at least
	// MinHashKey bytes when a limit is on.
	HashKey []byte
}

// Form is a form endpoint's guard: its rate limits and Turnstile.
type Form struct {
	Limit RateLimit
	Bots  Turnstile
}

var _ request.Guard = Form{}

// Client counts a request from ip against the per-IP limit, whatever the request holds.
func (g Form) Client(ctx context.Context, ip string) error { return g.Limit.Client(ctx, ip) }

// Admit decides on a valid request: Turnstile, then its address's limit. A post that
// Turnstile refuses costs the address nothing: otherwise a bot posting a person's address
// with junk tokens would lock that person out for the window.
func (g Form) Admit(ctx context.Context, s request.Sender) error {
	if err := g.Bots.Verify(ctx, s.BotToken, s.IP); err != nil {
		return err
	}
	return g.Limit.Address(ctx, s.Email)
}

// New is the guard of endpoint ("donations", "members", "subscriptions", "portal"): its
// rate limits, counted by counter, and Turnstile.
func New(counter Counter, endpoint string, s Settings) Form {
	bots := Turnstile{Secret: s.TurnstileSecret, URL: s.TurnstileURL, Hostnames: s.Hostnames,
		FailClosed: s.FailClosed, Endpoint: endpoint}
	limit := NewRateLimit(counter, s.HashKey, endpoint, s.PerIP, s.PerEmail, s.Window)
	if s.Now != nil {
		limit.Limiter.Now = s.Now
	}
	return Form{Limit: limit, Bots: bots}
}
