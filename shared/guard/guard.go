// Package guard decides whether a form post may go on: rate limits per client IP and per
// email address, counted in DynamoDB, then Cloudflare Turnstile's proof of a person when
// a secret is configured. Each form endpoint (donations, members, subscriptions, portal)
// has one, in two phases around validation (request.Guard): every request counts against
// its client's IP; only a valid one counts against its address and asks Turnstile.
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
}

// Form is a form endpoint's guard: its rate limits, then Turnstile.
type Form struct {
	Limit RateLimit
	Bots  Turnstile
}

var _ request.Guard = Form{}

// Client counts a request from ip against the per-IP limit, whatever the request holds.
func (g Form) Client(ctx context.Context, ip string) error { return g.Limit.Client(ctx, ip) }

// Admit decides on a valid request: its address's limit, then Turnstile.
func (g Form) Admit(ctx context.Context, s request.Sender) error {
	if err := g.Limit.Address(ctx, s.Email); err != nil {
		return err
	}
	return g.Bots.Verify(ctx, s.BotToken, s.IP)
}

// New is the guard of endpoint ("donations", "members", "subscriptions", "portal"): its
// rate limits, counted by counter, then Turnstile.
func New(counter Counter, endpoint string, s Settings) Form {
	bots := Turnstile{Secret: s.TurnstileSecret, URL: s.TurnstileURL, Hostnames: s.Hostnames,
		FailClosed: s.FailClosed, Endpoint: endpoint}
	limit := NewRateLimit(counter, endpoint, s.PerIP, s.PerEmail, s.Window)
	if s.Now != nil {
		limit.Limiter.Now = s.Now
	}
	return Form{Limit: limit, Bots: bots}
}
