package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
)

// TestRateLimitStopsCardTesting: a bot posting 200 donation attempts from one address in
// a minute gets its configured number through; the rest are 429 rate_limited with
// Retry-After, and never reach Stripe (no donation, which is stored only after its
// Checkout session opens). Posts that fail validation are counted per IP too
// (TestCorrectingAFormIsNotLockedOut), but never per address.
func TestRateLimitStopsCardTesting(t *testing.T) {
	const perIP = 10
	s := newStack(t, false, set("RATE_LIMIT_PER_IP", strconv.Itoa(perIP), "RATE_LIMIT_PER_EMAIL", "3", "RATE_LIMIT_WINDOW_MINUTES", "60"))
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
		s := newStack(t, false, set("RATE_LIMIT_PER_IP", "100", "RATE_LIMIT_PER_EMAIL", "3", "RATE_LIMIT_WINDOW_MINUTES", "60"))
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

// TestTurnstile: with a secret configured, a form without the widget's token is refused
// (localized, on the token's field) and nothing is stored; a good token passes, checked
// with siteverify (here a stand-in that knows Cloudflare's test token).
func TestTurnstile(t *testing.T) {
	var checked []string
	siteverify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checked = append(checked, r.FormValue("response"))
		ok := r.FormValue("secret") == "turnstile-test-secret" && r.FormValue("response") == "XXXX.DUMMY.TOKEN.XXXX"
		fmt.Fprintf(w, `{"success":%v,"hostname":"allowed.example"}`, ok) // solved on an allowed origin's page
	}))
	t.Cleanup(siteverify.Close)
	s := newStack(t, false, set("TURNSTILE_SECRET", "turnstile-test-secret", "TURNSTILE_VERIFY_URL", siteverify.URL))
	for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
		s.expectFieldError(t, "/donations", validDonation(), lang, "cf-turnstile-response", map[i18n.Lang]string{i18n.EN: "a person sent this form", i18n.FR: "une personne a envoyé"}[lang])
	}
	forged := validDonation()
	forged["cf-turnstile-response"] = "forged"
	if res := s.postJSON("/donations", forged, nil); res.status != http.StatusBadRequest {
		t.Fatalf("forged token: %d", res.status)
	}
	if n := len(s.items("donation")); n != 0 {
		t.Fatalf("%d donations stored without a good token", n)
	}
	good := validDonation()
	good["cf-turnstile-response"] = "XXXX.DUMMY.TOKEN.XXXX"
	if res := s.postJSON("/donations", good, nil); res.status != http.StatusCreated {
		t.Fatalf("good token: %d %s", res.status, res.body)
	}
	form := formOf(joiner("turnstile@example.org", nil))
	form.Set("cf-turnstile-response", "XXXX.DUMMY.TOKEN.XXXX")
	if res := s.postForm("/members", form, nil); res.status != http.StatusSeeOther {
		t.Fatalf("form with a good token: %d %s", res.status, res.body)
	}
	if len(checked) != 3 {
		t.Fatalf("siteverify asked %d times (%v), want 3: empty tokens are refused without asking", len(checked), checked)
	}
}

// TestRateLimitCountsAMailboxOnce: a bot cannot dodge the per-address limit with
// plus-addressing or Gmail's dots: the spellings of one mailbox share its allowance,
// while the address stored is the one typed.
func TestRateLimitCountsAMailboxOnce(t *testing.T) {
	s := newStack(t, false, set("RATE_LIMIT_PER_IP", "100", "RATE_LIMIT_PER_EMAIL", "2", "RATE_LIMIT_WINDOW_MINUTES", "60"))
	for _, spellings := range [][]string{
		{"Victim.Name@gmail.com", "victimname+1@gmail.com", "v.i.c.t.i.m.n.a.m.e+x@googlemail.com"},
		{"ana+1@example.org", "ana+2@example.org", "ana@example.org"},
	} {
		for i, addr := range spellings {
			res := s.postJSON("/portal", map[string]any{"email": addr, "language": "fr"}, nil)
			if i < 2 && res.status != http.StatusAccepted {
				t.Fatalf("%s: %d %s", addr, res.status, res.body)
			}
			if i == 2 {
				expectError(t, res, http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
			}
		}
	}
	// Dots matter outside Gmail: another mailbox.
	if res := s.postJSON("/portal", map[string]any{"email": "a.na@example.org"}, nil); res.status != http.StatusAccepted {
		t.Fatalf("a.na@example.org: %d %s", res.status, res.body)
	}
	s.join(joiner("lea+news@example.org", nil))
	members := s.items("member")
	if len(members) != 1 || unmarshal[map[string]any](t, members[0])["email"] != "lea+news@example.org" {
		t.Fatalf("members %v, want the one address as typed", members)
	}
}
