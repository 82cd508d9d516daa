package functions_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWithoutADomain runs the donate and signup bootstraps as a stack without DomainName
// or PublicUrl deploys them: PUBLIC_URL is empty, and the API's own address is the one API
// Gateway served the request at (the event's requestContext.domainName). Checkout's
// return pages are at that address, and a page of it may post to its own buttons, while
// another API's page may not.
func TestWithoutADomain(t *testing.T) {
	s := newStack(t)
	bins := bootstraps(t)
	const api = "https://abc123.execute-api.ca-central-1.amazonaws.com" // the recorded events' domainName

	// Stripe's API behind a proxy that keeps what Checkout was asked.
	target, _ := url.Parse(s.env.Stripe.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var sessions []url.Values
	stripe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/checkout/sessions" {
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			mu.Lock()
			sessions = append(sessions, form)
			mu.Unlock()
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		proxy.ServeHTTP(w, r)
	}))
	defer stripe.Close()
	var vars []string
	for _, v := range s.vars {
		switch {
		case strings.HasPrefix(v, "PUBLIC_URL="):
			v = "PUBLIC_URL="
		case strings.HasPrefix(v, "STRIPE_API_URL="):
			v = "STRIPE_API_URL=" + stripe.URL
		}
		vars = append(vars, v)
	}

	donate := startRIE(t, filepath.Join(bins, "donate", "bootstrap"), vars)
	if res := decodeHTTP(t, donate.invoke(t, recorded(t, "donations-post.json"))); res.StatusCode != http.StatusCreated {
		t.Fatalf("donate: %+v", res)
	}
	mu.Lock()
	if len(sessions) != 1 || !strings.HasPrefix(sessions[0].Get("success_url"), api+"/donations/thanks?gift=don_") ||
		!strings.HasSuffix(sessions[0].Get("success_url"), "&lang=fr&session_id={CHECKOUT_SESSION_ID}") ||
		sessions[0].Get("cancel_url") != api+"/donations/cancelled?lang=fr" {
		t.Fatalf("Checkout was asked %v", sessions)
	}
	mu.Unlock()

	// The confirm page's button, posted from the page at the API's own address: it is
	// ours (the token is unknown, so the answer is the link's page, not a refusal).
	signup := startRIE(t, filepath.Join(bins, "signup", "bootstrap"), vars)
	for _, tt := range []struct {
		origin  string
		refused bool
	}{
		{api, false},
		{"https://zzz999.execute-api.ca-central-1.amazonaws.com", true},
	} {
		var ev map[string]any
		if err := json.Unmarshal(recorded(t, "members-confirm-post.json"), &ev); err != nil {
			t.Fatal(err)
		}
		h := ev["headers"].(map[string]any)
		h["origin"], h["referer"] = tt.origin, tt.origin+"/members/confirm"
		raw, _ := json.Marshal(ev)
		res := decodeHTTP(t, signup.invoke(t, raw))
		if (res.StatusCode == http.StatusForbidden) != tt.refused {
			t.Errorf("a post from %s: %d %s", tt.origin, res.StatusCode, res.Body)
		}
	}
}
