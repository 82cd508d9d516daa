// Package guardtest holds what the form endpoints' tests share about their guards: an
// in-memory counter, and the check that a post with the honeypot filled in costs the
// address it names nothing while still counting against its client.
package guardtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/request"
)

// Counter counts hits in memory, as the table does: a window over its limit refuses the
// hit and counts nothing.
type Counter struct{ counts map[string]int }

var _ guard.Counter = (*Counter)(nil)

// Hit implements guard.Counter.
func (c *Counter) Hit(_ context.Context, key string, start time.Time, limit int, _ time.Time) (bool, error) {
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	window := key + "@" + start.String()
	if c.counts[window] >= limit {
		return false, nil
	}
	c.counts[window]++
	return true, nil
}

// Limit is the per-IP and the per-address limit HoneypotSparesAddress sets.
const Limit = 5

// HoneypotSparesAddress posts body (JSON with the honeypot filled in, naming a
// +tagged spelling of victim) Limit times from one client to the handler serve makes
// with endpoint's guard, and checks that each is answered as a success, that the next
// one from that client is refused 429 (honeypot posts count per IP), and that victim's
// address still has its whole allowance (they cost it nothing).
func HoneypotSparesAddress(t *testing.T, endpoint string, serve func(g request.Guard) http.Handler, path, body, victim string) {
	t.Helper()
	now := time.Date(2026, 11, 27, 12, 34, 56, 0, time.UTC)
	g := guard.New(&Counter{}, endpoint, guard.Settings{PerIP: Limit, PerEmail: Limit, Window: time.Hour,
		Now: func() time.Time { return now }, HashKey: []byte("guardtest-hashing-key-0123456789abcdef")})
	h := serve(g)
	post := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "203.0.113.7:5555"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := 0; i < Limit; i++ {
		if w := post(); w.Code >= 300 {
			t.Fatalf("honeypot post %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	if w := post(); w.Code != http.StatusTooManyRequests {
		t.Errorf("honeypot post over the client's limit: %d %s, want 429", w.Code, w.Body)
	}
	for i := 0; i < Limit; i++ {
		if err := g.Admit(context.Background(), request.Sender{IP: "198.51.100.9", Email: victim}); err != nil {
			t.Fatalf("the victim's post %d after the honeypot posts: %v", i+1, err)
		}
	}
}
