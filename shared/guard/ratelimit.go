// Rate limits count requests per client in the table, so every Lambda instance shares the
// counts: a fixed window per key, one counted hit per check, and the table's TTL clears
// old windows. The form endpoints are limited per client IP (every request) and per email
// address (valid requests only), which keeps a card-testing bot from reaching Stripe more
// than a few times and a person correcting their form from being locked out.

package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// Counter counts hits in the table (*dynamo.Store is one): one hit against key in the
// window that starts at windowStart, unless the window holds limit hits already; then
// allowed is false and nothing is counted. The window's count may be forgotten after
// expires.
type Counter interface {
	Hit(ctx context.Context, key string, windowStart time.Time, limit int, expires time.Time) (allowed bool, err error)
}

// Rule is how many requests a key may make in a window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// Limiter counts requests.
type Limiter struct {
	Counter Counter
	Now     func() time.Time
}

// Limited is the answer to a request over a limit: 429 rate_limited (its Unwrap is the
// contract's error), and how long until the window ends.
type Limited struct {
	RetryAfter time.Duration
}

// Wait is how long the client should wait (httpapi.WriteError's Retry-After).
func (l *Limited) Wait() time.Duration { return l.RetryAfter }

func (l *Limited) Error() string { return httpapi.CodeRateLimited }

// Unwrap is the contract's 429 rate_limited error.
func (l *Limited) Unwrap() error {
	return httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited)
}

// Allow counts one request for key under rule, or returns *Limited when the key has used
// its window's allowance. Keys are hashed: the table never holds an IP or an address.
func (l Limiter) Allow(ctx context.Context, key string, rule Rule) error {
	if rule.Limit <= 0 || rule.Window <= 0 {
		return nil // no limit configured
	}
	now := l.Now()
	start := now.Truncate(rule.Window)
	// Kept a window past its end, so the TTL never deletes a count still in use.
	allowed, err := l.Counter.Hit(ctx, hashKey(key), start, rule.Limit, start.Add(2*rule.Window))
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if !allowed {
		return &Limited{RetryAfter: start.Add(rule.Window).Sub(now)}
	}
	return nil
}

// hashKey is what the counter is given of a key: 96 bits of its SHA-256, enough to keep
// clients apart, and no IP or address for the table to hold.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:12])
}

// RateLimit limits a form endpoint per client IP and per email address.
type RateLimit struct {
	Limiter  Limiter
	Endpoint string // the endpoint's name in the keys: donations, members…
	PerIP    Rule
	PerEmail Rule
}

// Client counts one request from ip (its /64 for IPv6: see ClientKey).
func (g RateLimit) Client(ctx context.Context, ip string) error {
	return g.Limiter.Allow(ctx, g.Endpoint+"|ip|"+ClientKey(ip), g.PerIP)
}

// Address counts one request for email (canonical); an empty one is not counted.
func (g RateLimit) Address(ctx context.Context, email string) error {
	if email == "" {
		return nil
	}
	return g.Limiter.Allow(ctx, g.Endpoint+"|email|"+email, g.PerEmail)
}

// Check counts one request from ip for email (which may be empty): Client, then Address.
func (g RateLimit) Check(ctx context.Context, ip, email string) error {
	if err := g.Client(ctx, ip); err != nil {
		return err
	}
	return g.Address(ctx, email)
}

// ClientKey is what a client is counted by: an IPv4 address whole (an IPv4-mapped IPv6
// one as its IPv4), an IPv6 address by its /64 (one household or host is routinely given
// a whole /64, and can use any address in it), without a zone. Anything that is not an
// address (empty, garbage) is counted under one shared key, so a forged value cannot
// make a fresh client of each request.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "unparsed"
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // cannot fail for an IPv6 address
	return p.String()
}

// NewRateLimit is the rate limit of one endpoint: at most perIP requests from one client
// IP and perEmail for one email address in each window (0 turns a limit off).
func NewRateLimit(counter Counter, endpoint string, perIP, perEmail int, window time.Duration) RateLimit {
	return RateLimit{Limiter: Limiter{Counter: counter, Now: time.Now}, Endpoint: endpoint,
		PerIP: Rule{Limit: perIP, Window: window}, PerEmail: Rule{Limit: perEmail, Window: window}}
}
