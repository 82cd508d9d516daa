package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A stack without a custom domain has no PUBLIC_URL: its own pages are those of the
// address API Gateway served the request at, and so are the return pages it names.
func TestPublicURLFromTheServedAddress(t *testing.T) {
	var got string
	sites := Sites{Allowed: []string{"https://forms.example.org"}}
	h := sites.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = Absolute(r.Context(), "/donations/thanks?lang=fr")
		w.WriteHeader(http.StatusNoContent)
	}))
	const api = "abc123.execute-api.ca-central-1.amazonaws.com"
	tests := []struct {
		name, origin string
		refused      bool
	}{
		{"the API's own page, at the address it was served", "https://" + api, false},
		{"the forms' site", "https://forms.example.org", false},
		{"another API's page", "https://zzz999.execute-api.ca-central-1.amazonaws.com", true},
		{"our address over http", "http://" + api, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = ""
			r := httptest.NewRequest("POST", "/members/confirm", strings.NewReader("token=x"))
			r.Host = strings.ToUpper(api)
			r.Header.Set("Origin", tt.origin)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if tt.refused != (w.Code == http.StatusForbidden) {
				t.Fatalf("answered %d", w.Code)
			}
			if !tt.refused && got != "https://"+api+"/donations/thanks?lang=fr" {
				t.Fatalf("return page %q", got)
			}
		})
	}

	// With PUBLIC_URL set, the configured address is the base whatever the host, and an
	// absolute address stays as it is.
	h = Sites{Own: "https://dons.example.org/"}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = Absolute(r.Context(), "/portal") + " " + Absolute(r.Context(), "https://checkout.stripe.com/c/pay")
	}))
	r := httptest.NewRequest("GET", "/portal", nil)
	r.Host = api
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != "https://dons.example.org/portal https://checkout.stripe.com/c/pay" {
		t.Fatalf("got %q", got)
	}
}
