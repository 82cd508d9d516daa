// Package guard decides whether a form post may go on: rate limits per client IP and per
// email address, counted in DynamoDB, then Cloudflare Turnstile's proof of a person when
// a secret is configured. Each form endpoint (donations, members, subscriptions) has one.
package guard

import (
	"time"

	"github.com/solidarity/solidarity/shared/request"
)

// Settings are a form endpoint's limits and Turnstile's secret (empty: no Turnstile).
type Settings struct {
	PerIP, PerEmail int           // requests in Window; 0 turns a limit off
	Window          time.Duration // the counting window
	TurnstileSecret string
	TurnstileURL    string           // siteverify's address; empty is Cloudflare's
	Now             func() time.Time // the clock of the windows; nil is time.Now
}

// New is the guard of endpoint ("donations", "members", "subscriptions"): its rate
// limits, counted by counter, then Turnstile.
func New(counter Counter, endpoint string, s Settings) request.Guard {
	bots := Turnstile{Secret: s.TurnstileSecret, URL: s.TurnstileURL}
	limit := NewRateLimit(counter, endpoint, s.PerIP, s.PerEmail, s.Window)
	if s.Now != nil {
		limit.Limiter.Now = s.Now
	}
	return request.Guards(limit.Request, bots.Request)
}
