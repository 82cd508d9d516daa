package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// testKey is the tests' hashing key.
var testKey = []byte("guard-tests-hashing-key-0123456789abcdef")

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
	ipKey, emailKey := CounterKey(testKey, "donations|ip|203.0.113.7"), CounterKey(testKey, "donations|email|ana@example.org")
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
			g := NewRateLimit(counter, testKey, "donations", tt.perIP, tt.perEmail, tt.window)
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
		g := NewRateLimit(counter, testKey, endpoint, 10, 10, time.Hour)
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

// TestCounterKeysAreKeyed: a counter's key is an HMAC under the hashing key, so the table
// (or an export) cannot confirm a guessed address or IP without the key: it is neither
// the bare SHA-256 of the key string nor the same under another hashing key, and a
// Limiter without a hashing key counts nothing and says why.
func TestCounterKeysAreKeyed(t *testing.T) {
	const plain = "members|email|ana@example.org"
	bare := sha256.Sum256([]byte(plain))
	k := CounterKey(testKey, plain)
	if len(k) != 24 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Fatalf("CounterKey = %q, want 24 hex digits", k)
	}
	if k == hex.EncodeToString(bare[:12]) {
		t.Fatal("the counter key is the bare SHA-256 of the address's key")
	}
	// HMAC under the hashing key itself (not the derived one) is not it either: the staff
	// tool's erasure records may share the key.
	direct := hmac.New(sha256.New, testKey)
	direct.Write([]byte(plain))
	if k == hex.EncodeToString(direct.Sum(nil)[:12]) {
		t.Fatal("the counter key is keyed with the hashing key itself, not a key of its own")
	}
	other := []byte("another-stack-hashing-key-0123456789abcd")
	if CounterKey(other, plain) == k || CounterKey(testKey, plain) != k || CounterKey(testKey, plain+"x") == k {
		t.Fatal("the counter key does not follow the hashing key and the key string alone")
	}

	for _, key := range [][]byte{nil, []byte("short")} {
		counter := &fakeCounter{counts: map[string]int{}}
		g := NewRateLimit(counter, key, "members", 5, 5, time.Hour)
		err := g.Check(context.Background(), "203.0.113.7", "ana@example.org")
		if !errors.Is(err, ErrNoHashKey) || len(counter.hits) != 0 {
			t.Errorf("key %q: err %v, %d hits; want ErrNoHashKey and nothing counted", key, err, len(counter.hits))
		}
		off := NewRateLimit(counter, key, "members", 0, 0, time.Hour)
		if err := off.Check(context.Background(), "203.0.113.7", "ana@example.org"); err != nil {
			t.Errorf("key %q, limits off: %v", key, err)
		}
	}
}

// TestAddressKey: plus-addressing and Gmail's dots do not make a fresh address of each
// post; other addresses count as they are.
func TestAddressKey(t *testing.T) {
	tests := []struct{ email, want string }{
		{"ana@example.org", "ana@example.org"},
		{"ana+1@example.org", "ana@example.org"},
		{"ana+news+2@example.org", "ana@example.org"},
		{"ana+@example.org", "ana@example.org"},
		{"a.na@example.org", "a.na@example.org"}, // dots matter outside Gmail
		{"a.n.a@gmail.com", "ana@gmail.com"},
		{"a.n.a+spam@gmail.com", "ana@gmail.com"},
		{"an.a@googlemail.com", "ana@gmail.com"},
		{"ana@googlemail.com", "ana@gmail.com"},
		{"ana@gmail.com.evil.example", "ana@gmail.com.evil.example"},
		{"ana@notgmail.com", "ana@notgmail.com"},
		{"a.na@sub.gmail.com", "a.na@sub.gmail.com"},
		{"+tag@example.org", "@example.org"},
		{"x@y+z@example.org", "x@y@example.org"}, // the last @ splits, as CanonicalEmail does
		{"no-at-sign", "no-at-sign"},
		{"", ""},
		{"jean-luc@example.org", "jean-luc@example.org"},
	}
	for _, tt := range tests {
		if got := AddressKey(tt.email); got != tt.want {
			t.Errorf("AddressKey(%q) = %q, want %q", tt.email, got, tt.want)
		}
	}
	// Counted as one: a bot's spellings of one Gmail mailbox share its allowance.
	counter := &fakeCounter{counts: map[string]int{}}
	g := NewRateLimit(counter, testKey, "members", 0, 2, time.Hour)
	g.Limiter.Now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	var errs []error
	for _, e := range []string{"victim@gmail.com", "v.ictim+1@gmail.com", "vi.c.tim@googlemail.com"} {
		errs = append(errs, g.Address(context.Background(), e))
	}
	var limited *Limited
	if errs[0] != nil || errs[1] != nil || !errors.As(errs[2], &limited) {
		t.Fatalf("three spellings of one mailbox, limit 2: %v", errs)
	}
}

// FuzzAddressKey: the key is stable (a key is its own key), keeps no "+tag", no dot in a
// Gmail local part, the domain of any other address, and is never longer than the address.
func FuzzAddressKey(f *testing.F) {
	for _, s := range []string{"ana@example.org", "a.n.a+x@gmail.com", "b@googlemail.com", "+@x", "a@b@c", "", "@", "..@gmail.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, email string) {
		k := AddressKey(email)
		if AddressKey(k) != k {
			t.Fatalf("AddressKey(%q) = %q, whose key is %q", email, k, AddressKey(k))
		}
		if len(k) > len(email) {
			t.Fatalf("AddressKey(%q) = %q, longer", email, k)
		}
		at := strings.LastIndexByte(email, '@')
		if at < 0 {
			if k != email {
				t.Fatalf("AddressKey(%q) = %q: no @, yet changed", email, k)
			}
			return
		}
		kat := strings.LastIndexByte(k, '@')
		local, domain := k[:kat], k[kat+1:]
		if strings.Contains(local, "+") {
			t.Fatalf("AddressKey(%q) = %q keeps a tag", email, k)
		}
		switch d := email[at+1:]; d {
		case "gmail.com", "googlemail.com":
			if domain != "gmail.com" || strings.Contains(local, ".") {
				t.Fatalf("AddressKey(%q) = %q", email, k)
			}
		default:
			if domain != d {
				t.Fatalf("AddressKey(%q) = %q changed the domain", email, k)
			}
		}
	})
}
