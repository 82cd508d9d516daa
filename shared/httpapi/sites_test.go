package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSitesRefuseOtherSitesPosts(t *testing.T) {
	sites := Sites{Own: "https://api.example.org/", Allowed: []string{"https://Forms.Example.org", " https://dons.example.org/ "}}
	reached := 0
	h := sites.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++; w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		name, method, path, origin, referer, contentType string
		refused                                          bool
	}{
		{"no Origin, no Referer: not a browser's cross-site post", "POST", "/members", "", "", "application/json", false},
		{"the API's own page", "POST", "/members/confirm", "https://api.example.org", "", "application/x-www-form-urlencoded", false},
		{"an allowed origin, case aside", "POST", "/donations", "https://forms.example.org", "", "application/json", false},
		{"an allowed origin given with spaces and a slash", "POST", "/donations", "https://dons.example.org", "", "application/json", false},
		{"allowed Referer, no Origin", "POST", "/members", "", "https://forms.example.org/join.html?x=1", "application/x-www-form-urlencoded", false},
		{"another site", "POST", "/members", "https://evil.example", "", "application/x-www-form-urlencoded", true},
		{"another site's Referer", "POST", "/members", "", "https://evil.example/page", "application/x-www-form-urlencoded", true},
		{"Origin null", "POST", "/portal", "null", "", "application/x-www-form-urlencoded", true},
		{"garbage Origin", "POST", "/portal", "::not a url", "", "application/json", true},
		{"an allowed host over http", "POST", "/donations", "http://forms.example.org", "", "application/json", true},
		{"an allowed host on another port", "POST", "/donations", "https://forms.example.org:8443", "", "application/json", true},
		{"a subdomain of ours", "POST", "/donations", "https://evil.api.example.org", "", "application/json", true},
		{"Origin wins over an allowed Referer", "POST", "/members", "https://evil.example", "https://forms.example.org/", "application/json", true},
		{"other methods too", "DELETE", "/members", "https://evil.example", "", "", true},
		{"GET is never refused", "GET", "/campaigns/x", "https://evil.example", "", "", false},
		{"HEAD is never refused", "HEAD", "/campaigns/x", "https://evil.example", "", "", false},
		{"Stripe's webhook is not a browser form", "POST", "/webhooks/stripe", "https://evil.example", "", "application/json", false},
		{"RFC 8058 one-click unsubscribe", "POST", "/unsubscribe", "https://mail.example", "", "application/x-www-form-urlencoded", false},
		{"a path under an exempt one is not exempt", "POST", "/unsubscribe/undo", "https://evil.example", "", "application/x-www-form-urlencoded", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached = 0
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(""))
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				r.Header.Set("Referer", tt.referer)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			r.Header.Set("Accept-Language", "fr-CA")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if !tt.refused {
				if w.Code != http.StatusNoContent || reached != 1 {
					t.Fatalf("refused: %d %s", w.Code, w.Body)
				}
				return
			}
			if w.Code != http.StatusForbidden || reached != 0 {
				t.Fatalf("let through: %d, handler reached %d times", w.Code, reached)
			}
			if w.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a refusal allows the origin: %v", w.Header())
			}
			if strings.HasPrefix(tt.contentType, "application/x-www-form-urlencoded") {
				if !strings.Contains(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "Ce site ne peut pas utiliser ce formulaire") ||
					!strings.Contains(w.Body.String(), "<h1>Impossible de poursuivre</h1>") || strings.Contains(w.Body.String(), "corriger") {
					t.Fatalf("form post refused with %s:\n%s", w.Header().Get("Content-Type"), w.Body)
				}
				return
			}
			var body struct{ Error, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != CodeForbiddenOrigin || body.Message != "Ce site ne peut pas utiliser ce formulaire." {
				t.Fatalf("%v %s", err, w.Body)
			}
		})
	}
}

// TestSitesKeepCORS: behind the refusal, the allowed origins still get CORS.
// TestSitesRefuseInTheAskedLanguage: the body's language field, else ?lang=, else
// Accept-Language.
func TestSitesRefuseInTheAskedLanguage(t *testing.T) {
	h := Sites{Own: "https://api.example.org"}.Handler(http.NotFoundHandler())
	for _, tt := range []struct{ contentType, body, query, accept, want string }{
		{"application/x-www-form-urlencoded", "first_name=A&language=fr", "", "en-US", "Ce site ne peut pas"},
		{"application/json", `{"language":"fr","email":"a@b.ca"}`, "", "en", "Ce site ne peut pas"},
		{"application/json", `not json`, "?lang=fr", "en", "Ce site ne peut pas"},
		{"application/x-www-form-urlencoded", "language=en", "?lang=fr", "fr", "This site may not"},
		{"application/json", `{}`, "", "fr-CA,fr;q=0.9", "Ce site ne peut pas"},
		{"application/json", `{"language":"de"}`, "", "en", "This site may not"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/members"+tt.query, strings.NewReader(tt.body))
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Content-Type", tt.contentType)
		r.Header.Set("Accept-Language", tt.accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s %q%s: %d %s", tt.contentType, tt.body, tt.query, w.Code, w.Body)
		}
	}
}

func TestSitesKeepCORS(t *testing.T) {
	h := Sites{Own: "https://api.example.org", Allowed: []string{"https://forms.example.org"}}.Handler(http.NotFoundHandler())
	r := httptest.NewRequest(http.MethodOptions, "/donations", nil)
	r.Header.Set("Origin", "https://forms.example.org")
	r.Header.Set("Access-Control-Request-Method", "POST")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://forms.example.org" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
}

func FuzzOriginOf(f *testing.F) {
	for _, s := range []string{"https://a.example", "https://A.example:443/x?y", "null", "", "//x", "http://[::1]:8080", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o := originOf(raw)
		if o == "" {
			return
		}
		// An origin is a scheme and a host, and nothing more: no path, query or fragment.
		scheme, host, ok := strings.Cut(o, "://")
		if !ok || scheme == "" || host == "" || strings.ContainsAny(host, "/?#") || o != strings.ToLower(o) {
			t.Fatalf("originOf(%q) = %q", raw, o)
		}
	})
}
