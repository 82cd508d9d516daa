// Rate limits count requests per client in the table, so every Lambda instance shares the
// counts: a fixed window per key, one counted hit per check, and the table's TTL clears
// old windows. The form endpoints are limited per client IP (every request) and per email
// address (valid requests that Turnstile, when configured, let through), which keeps a
// card-testing bot from reaching Stripe more than a few times, a person correcting their
// form from being locked out, and a bot from locking a named person out with junk tokens.
//
// The table holds no IP or address, nor a bare hash of one (a guessed address could be
// confirmed against it, and an IPv4 address recovered by trying them all): each key is
// an HMAC-SHA256 under the stack's hashing key (HASH_KEY_PARAM).

package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// MinHashKey is the shortest hashing key accepted, in bytes.
const MinHashKey = 32

// Limiter counts requests.
type Limiter struct {
	Counter Counter
	Now     func() time.Time
	// Key is the secret the keys are hashed with (at least MinHashKey bytes); a Limiter
	// without one counts nothing and answers an error, rather than store guessable hashes.
	Key []byte
}

// ErrNoHashKey means a limit is configured but no hashing key was given.
var ErrNoHashKey = errors.New("no hashing key")

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
// its window's allowance. Keys are hashed with l.Key: the table never holds an IP or an
// address, nor anything a guess could be checked against without the key.
func (l Limiter) Allow(ctx context.Context, key string, rule Rule) error {
	if rule.Limit <= 0 || rule.Window <= 0 {
		return nil // no limit configured
	}
	if len(l.Key) < MinHashKey {
		return fmt.Errorf("rate limit: %w", ErrNoHashKey)
	}
	now := l.Now()
	start := now.Truncate(rule.Window)
	// Kept a window past its end, so the TTL never deletes a count still in use.
	allowed, err := l.Counter.Hit(ctx, CounterKey(l.Key, key), start, rule.Limit, start.Add(2*rule.Window))
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	if !allowed {
		return &Limited{RetryAfter: start.Add(rule.Window).Sub(now)}
	}
	return nil
}

// hashDomain separates the rate limits' use of the hashing key from any other (the staff
// tool's erasure records may use the same key): the counters' HMAC is keyed with
// HMAC(key, hashDomain), never with the key itself. Its NUL byte keeps it from being
// anything another use could be given to hash (an address, a command-line argument).
const hashDomain = "\x00solidarity/rate-limit/v1"

// CounterKey is what the counter is given of a key: 96 bits of its HMAC-SHA256 under a key
// derived from secret, enough to keep clients apart, and nothing that names an IP or an
// address to whoever reads the table or an export without the secret.
func CounterKey(secret []byte, key string) string {
	derive := hmac.New(sha256.New, secret)
	derive.Write([]byte(hashDomain))
	m := hmac.New(sha256.New, derive.Sum(nil))
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil)[:12])
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

// Address counts one request for email (canonical) by its AddressKey; an empty one is
// not counted.
func (g RateLimit) Address(ctx context.Context, email string) error {
	if email == "" {
		return nil
	}
	return g.Limiter.Allow(ctx, g.Endpoint+"|email|"+AddressKey(email), g.PerEmail)
}

// AddressKey is what a canonical address is counted by: one mailbox, however a bot spells
// it. A "+tag" after the local part is dropped (ana+1@ and ana+2@ reach ana@ at most
// providers), and at Gmail, which ignores dots, so are the local part's dots, with
// googlemail.com as gmail.com. Only the count uses it: the address stored and written to
// is the one typed.
func AddressKey(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return email
	}
	local, domain := email[:at], email[at+1:]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
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
// IP and perEmail for one email address in each window (0 turns a limit off), counted
// under keys hashed with key (see Limiter.Key).
func NewRateLimit(counter Counter, key []byte, endpoint string, perIP, perEmail int, window time.Duration) RateLimit {
	return RateLimit{Limiter: Limiter{Counter: counter, Now: time.Now, Key: key}, Endpoint: endpoint,
		PerIP: Rule{Limit: perIP, Window: window}, PerEmail: Rule{Limit: perEmail, Window: window}}
}
