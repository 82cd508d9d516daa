package guard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/request"
)

// hit is one call to the counter.
type hit struct {
	key            string
	start, expires time.Time
	limit          int
}

// fakeCounter counts hits in memory, as the table does: a window over its limit
// refuses the hit and counts nothing.
type fakeCounter struct {
	counts map[string]int // by key and window start
	hits   []hit
	err    error
}

func (f *fakeCounter) Hit(_ context.Context, key string, start time.Time, limit int, expires time.Time) (bool, error) {
	f.hits = append(f.hits, hit{key: key, start: start, expires: expires, limit: limit})
	if f.err != nil {
		return false, f.err
	}
	window := key + "@" + start.String()
	if f.counts[window] >= limit {
		return false, nil
	}
	f.counts[window]++
	return true, nil
}

func TestRateLimitRules(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 34, 56, 0, time.UTC)
	hour := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ipKey, emailKey := hashKey("donations|ip|203.0.113.7"), hashKey("donations|email|ana@example.org")
	tests := []struct {
		name            string
		perIP, perEmail int
		window          time.Duration
		email           string
		before          map[string]int // hits already counted this window, by key
		err             error          // the counter's failure
		wantKeys        []string       // counted, in order
		wantLimited     bool
		wantRetry       time.Duration
		wantErr         bool
	}{
		{name: "under both limits: per IP, then per email", perIP: 3, perEmail: 2, window: time.Hour,
			email: "ana@example.org", wantKeys: []string{ipKey, emailKey}},
		{name: "no email: per IP only", perIP: 3, perEmail: 2, window: time.Hour,
			wantKeys: []string{ipKey}},
		{name: "IP over its limit: the email is not counted", perIP: 3, perEmail: 2, window: time.Hour,
			email: "ana@example.org", before: map[string]int{ipKey: 3}, wantKeys: []string{ipKey},
			wantLimited: true, wantRetry: 25*time.Minute + 4*time.Second},
		{name: "email over its limit", perIP: 3, perEmail: 2, window: time.Hour,
			email: "ana@example.org", before: map[string]int{emailKey: 2}, wantKeys: []string{ipKey, emailKey},
			wantLimited: true, wantRetry: 25*time.Minute + 4*time.Second},
		{name: "0 turns the per-IP limit off", perIP: 0, perEmail: 2, window: time.Hour,
			email: "ana@example.org", wantKeys: []string{emailKey}},
		{name: "0 turns the per-email limit off", perIP: 3, perEmail: 0, window: time.Hour,
			email: "ana@example.org", before: map[string]int{emailKey: 100}, wantKeys: []string{ipKey}},
		{name: "no window: no limits", perIP: 3, perEmail: 2, window: 0,
			email: "ana@example.org", before: map[string]int{ipKey: 100, emailKey: 100}},
		{name: "a short window ends sooner", perIP: 1, perEmail: 1, window: time.Minute,
			before: map[string]int{ipKey: 1}, wantKeys: []string{ipKey}, wantLimited: true, wantRetry: 4 * time.Second},
		{name: "a failing counter is an error, not a limit", perIP: 3, perEmail: 2, window: time.Hour,
			email: "ana@example.org", err: errors.New("throttled"), wantKeys: []string{ipKey}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := now.Truncate(tt.window)
			if tt.window == time.Hour && !start.Equal(hour) {
				t.Fatalf("window start %v", start)
			}
			counter := &fakeCounter{counts: map[string]int{}, err: tt.err}
			for k, n := range tt.before {
				counter.counts[k+"@"+start.String()] = n
			}
			g := NewRateLimit(counter, "donations", tt.perIP, tt.perEmail, tt.window)
			g.Limiter.Now = func() time.Time { return now }
			err := g.Request(context.Background(), request.Sender{IP: "203.0.113.7", Email: tt.email})

			var keys []string
			for _, h := range counter.hits {
				keys = append(keys, h.key)
				if !h.start.Equal(start) || !h.expires.Equal(start.Add(2*tt.window)) {
					t.Errorf("hit %+v: want the window from %v, kept until %v", h, start, start.Add(2*tt.window))
				}
				if want := map[string]int{ipKey: tt.perIP, emailKey: tt.perEmail}[h.key]; h.limit != want {
					t.Errorf("hit %+v: limit %d, want %d", h, h.limit, want)
				}
			}
			if strings.Join(keys, ",") != strings.Join(tt.wantKeys, ",") {
				t.Errorf("counted %v, want %v", keys, tt.wantKeys)
			}
			var limited *Limited
			switch {
			case tt.wantLimited:
				if !errors.As(err, &limited) || limited.Wait() != tt.wantRetry {
					t.Fatalf("err %v, want *Limited with Retry-After %v", err, tt.wantRetry)
				}
				var he *httpapi.Error
				if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests || he.Code != httpapi.CodeRateLimited {
					t.Errorf("limited answer %v, want 429 %s", err, httpapi.CodeRateLimited)
				}
			case tt.wantErr:
				if err == nil || errors.As(err, &limited) || !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want the counter's error wrapped", err)
				}
			case err != nil:
				t.Fatalf("err %v", err)
			}
		})
	}
}

// TestRateLimitKeysAreAnonymous: the counter, and so the table, never sees a client's IP
// or address, and each endpoint and kind of key counts apart.
func TestRateLimitKeysAreAnonymous(t *testing.T) {
	counter := &fakeCounter{counts: map[string]int{}}
	for _, endpoint := range []string{"donations", "members"} {
		g := NewRateLimit(counter, endpoint, 10, 10, time.Hour)
		if err := g.Check(context.Background(), "203.0.113.7", "ana@example.org"); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, h := range counter.hits {
		if strings.Contains(h.key, "203.0.113") || strings.Contains(h.key, "ana") || strings.Contains(h.key, "example") || len(h.key) != 24 {
			t.Errorf("counter key %q is not a hash", h.key)
		}
		seen[h.key] = true
	}
	if len(counter.hits) != 4 || len(seen) != 4 {
		t.Fatalf("hits %+v: want four distinct keys", counter.hits)
	}
}
