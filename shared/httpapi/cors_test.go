package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// reached is a handler that answers 200 "reached" and counts its calls.
type reached struct{ calls int }

func (h *reached) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.calls++
	w.Header().Add("Vary", "Accept-Language")
	_, _ = w.Write([]byte("reached"))
}

func TestCORS(t *testing.T) {
	allowed := []string{"https://solidarity.example", " https://dons.solidarity.example/ ", "", "https://Forms.Solidarity.example"}
	preflight := func(origin string) *http.Request {
		r := httptest.NewRequest(http.MethodOptions, "/donations", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Access-Control-Request-Method", "POST")
		return r
	}
	post := func(origin string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/donations", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	for _, c := range []struct {
		name        string
		req         *http.Request
		status      int
		allowOrigin string
		preflight   bool // the preflight's own headers are set
		reaches     bool
	}{
		{"request from an allowed origin gets it echoed and reaches the handler",
			post("https://solidarity.example"), http.StatusOK, "https://solidarity.example", false, true},
		{"allowed origins are listed without spaces or trailing slash",
			post("https://dons.solidarity.example"), http.StatusOK, "https://dons.solidarity.example", false, true},
		{"an allowed origin written in capitals is matched without case, as Sites matches it",
			post("https://forms.solidarity.example"), http.StatusOK, "https://forms.solidarity.example", false, true},
		{"a preflight too, and the origin is echoed as the browser sent it",
			preflight("HTTPS://Solidarity.Example"), http.StatusNoContent, "HTTPS://Solidarity.Example", true, false},
		{"request from an unlisted origin reaches the handler without CORS headers",
			post("https://evil.example"), http.StatusOK, "", false, true},
		{"an origin is matched whole, not by prefix",
			post("https://solidarity.example.evil.example"), http.StatusOK, "", false, true},
		{"another scheme is another origin",
			post("http://solidarity.example"), http.StatusOK, "", false, true},
		{"another port is another origin",
			post("https://solidarity.example:8443"), http.StatusOK, "", false, true},
		{"request without an origin reaches the handler without CORS headers",
			post(""), http.StatusOK, "", false, true},
		{"preflight from an allowed origin is answered 204 without the handler",
			preflight("https://solidarity.example"), http.StatusNoContent, "https://solidarity.example", true, false},
		{"preflight from an unlisted origin is refused",
			preflight("https://evil.example"), http.StatusForbidden, "", false, false},
		{"preflight without an origin is refused",
			preflight(""), http.StatusForbidden, "", false, false},
		{"OPTIONS without Access-Control-Request-Method is not a preflight",
			httptest.NewRequest(http.MethodOptions, "/donations", nil), http.StatusOK, "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &reached{}
			w := httptest.NewRecorder()
			httpapi.CORS(allowed, h).ServeHTTP(w, c.req)
			if w.Code != c.status {
				t.Errorf("status %d, want %d", w.Code, c.status)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != c.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, c.allowOrigin)
			}
			if got := h.calls > 0; got != c.reaches {
				t.Errorf("handler reached %v, want %v", got, c.reaches)
			}
			if !slices.Contains(w.Header().Values("Vary"), "Origin") {
				t.Errorf("Vary %q lacks Origin", w.Header().Values("Vary"))
			}
			wantPreflight := map[string]string{
				"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
				"Access-Control-Allow-Headers": "Content-Type, Accept-Language",
				"Access-Control-Max-Age":       "600",
			}
			for k, v := range wantPreflight {
				if !c.preflight {
					v = ""
				}
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
			if !c.reaches && w.Body.Len() != 0 {
				t.Errorf("a preflight answer has a body: %q", w.Body)
			}
		})
	}

	t.Run("Vary keeps the handler's own values beside Origin", func(t *testing.T) {
		w := httptest.NewRecorder()
		httpapi.CORS(allowed, &reached{}).ServeHTTP(w, post("https://solidarity.example"))
		if got, want := w.Header().Values("Vary"), []string{"Origin", "Accept-Language"}; !slices.Equal(got, want) {
			t.Errorf("Vary %q, want %q", got, want)
		}
	})

	t.Run("no allowed origins refuses every preflight", func(t *testing.T) {
		h := &reached{}
		w := httptest.NewRecorder()
		httpapi.CORS(nil, h).ServeHTTP(w, preflight("https://solidarity.example"))
		if w.Code != http.StatusForbidden || h.calls != 0 {
			t.Errorf("status %d, handler calls %d", w.Code, h.calls)
		}
	})
}

func TestClientIP(t *testing.T) {
	for _, c := range []struct {
		name, remote, forwarded, want string
	}{
		{"a local server's host:port gives the host", "203.0.113.7:52814", "", "203.0.113.7"},
		{"an IPv6 [host]:port gives the bare address", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"API Gateway's source IP (no port, as Adapt sets it) is kept whole", "198.51.100.23", "", "198.51.100.23"},
		{"API Gateway's IPv6 source IP is kept whole", "2001:db8::7", "", "2001:db8::7"},
		{"X-Forwarded-For, which a client can forge, is not believed", "198.51.100.23", "192.0.2.1, 10.0.0.1", "198.51.100.23"},
		{"no address gives an empty one", "", "192.0.2.1", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/members", nil)
			r.RemoteAddr = c.remote
			if c.forwarded != "" {
				r.Header.Set("X-Forwarded-For", c.forwarded)
			}
			if got := httpapi.ClientIP(r); got != c.want {
				t.Errorf("ClientIP %q, want %q", got, c.want)
			}
		})
	}
}
