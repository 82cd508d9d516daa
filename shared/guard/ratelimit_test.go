package guard

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
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
			err := g.Check(context.Background(), "203.0.113.7", tt.email)

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

// TestClientKey: IPv4 clients count per address, IPv6 clients per /64; the spellings of
// one address count as one, and anything that is not an address counts under one key.
func TestClientKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{" 203.0.113.7 ", "203.0.113.7"},
		{"203.0.113.8", "203.0.113.8"},
		{"::ffff:203.0.113.7", "203.0.113.7"}, // IPv4-mapped IPv6 is the IPv4 client
		{"::ffff:cb00:7107", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"}, // the same /64
		{"2001:DB8:1:2:0:0:0:9", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"}, // the next /64 is another client
		{"fe80::1%eth0", "fe80::/64"},            // a zone is dropped
		{"fe80::1%25eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"::", "::/64"},
		{"127.0.0.1", "127.0.0.1"},
		{"", "unparsed"},
		{"garbage", "unparsed"},
		{"203.0.113.7:443", "unparsed"}, // ClientIP strips ports; a port here is not an address
		{"[2001:db8::1]", "unparsed"},
		{"203.0.113.256", "unparsed"},
		{"1.2.3", "unparsed"},
		{"203.0.113.7, 198.51.100.1", "unparsed"},
		{"2001:db8::1/64", "unparsed"},
		{"\x00\xff", "unparsed"},
	}
	for _, tt := range tests {
		if got := ClientKey(tt.ip); got != tt.want {
			t.Errorf("ClientKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

// FuzzClientKey: whatever the edge hands over, the key is an IPv4 address, an IPv6 /64
// or the shared key, and two addresses of one /64 share it.
func FuzzClientKey(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "::ffff:203.0.113.7", "2001:db8::1", "fe80::1%eth0", "", "garbage", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ip string) {
		k := ClientKey(ip)
		if k == "unparsed" {
			return
		}
		if a, err := netip.ParseAddr(k); err == nil {
			if !a.Is4() {
				t.Fatalf("ClientKey(%q) = %q: an IPv6 client must be a /64", ip, k)
			}
			return
		}
		p, err := netip.ParsePrefix(k)
		if err != nil || p.Bits() != 64 || !p.Addr().Is6() || p.Masked() != p {
			t.Fatalf("ClientKey(%q) = %q", ip, k)
		}
		if ClientKey(k) != "unparsed" {
			t.Fatalf("ClientKey(%q) = %q, itself read as an address", ip, k)
		}
	})
}
