package localdev

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRateLimitStopsCardTesting: a bot posting 200 donation attempts from one address in
// a minute gets its configured number through; the rest are 429 rate_limited with
// Retry-After, and never reach Stripe (no donation, which is stored only after its
// Checkout session opens).
func TestRateLimitStopsCardTesting(t *testing.T) {
	const perIP = 10
	s := newStack(t, false, func(o *Options) { o.RatePerIP, o.RatePerEmail, o.RateWindow = perIP, 3, time.Hour })
	created, limited := 0, 0
	for i := 0; i < 200; i++ {
		body := validDonation()
		body["email"] = fmt.Sprintf("card-test-%d@example.org", i)
		res := s.postJSON("/donations", body, nil)
		switch res.status {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
			limited++
			got := res.json(t)
			wait, err := strconv.Atoi(res.header.Get("Retry-After"))
			if got["error"] != "rate_limited" || got["message"] == "" || err != nil || wait < 1 || wait > 3600 {
				t.Fatalf("429 answer %v, Retry-After %q", got, res.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("attempt %d: %d %s", i+1, res.status, res.body)
		}
	}
	if created != perIP || limited != 200-perIP {
		t.Fatalf("%d created, %d limited", created, limited)
	}
	if n := len(s.items("donation")); n != perIP {
		t.Fatalf("%d donations reached Stripe and the table, want %d", n, perIP)
	}
	if n := len(s.items("rate_limit")); n < 1 {
		t.Fatal("no rate-limit counter in the table")
	}
	t.Run("per email address, across the endpoints' forms too", func(t *testing.T) {
		s := newStack(t, false, func(o *Options) { o.RatePerIP, o.RatePerEmail, o.RateWindow = 100, 3, time.Hour })
		for i := 0; i < 5; i++ {
			res := s.postForm("/members", formOf(joiner("same-person@example.org", nil)), map[string]string{"Accept-Language": "fr"})
			want := http.StatusSeeOther
			if i >= 3 {
				want = http.StatusTooManyRequests
			}
			if res.status != want {
				t.Fatalf("attempt %d: %d, want %d", i+1, res.status, want)
			}
			if want == http.StatusTooManyRequests && !containsAll(string(res.body), "Trop de tentatives", `lang="fr"`) {
				t.Fatalf("429 page:\n%s", res.body)
			}
		}
	})
}

// formOf flattens a JSON-shaped body into form fields, nested ones dotted.
func formOf(body map[string]any) url.Values {
	v := url.Values{}
	for k, x := range body {
		switch x := x.(type) {
		case map[string]any:
			for kk, xx := range x {
				v.Set(k+"."+kk, fmt.Sprint(xx))
			}
		case bool:
			if x {
				v.Set(k, "on")
			}
		default:
			v.Set(k, fmt.Sprint(x))
		}
	}
	return v
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
