package httpapi_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// seen is what a handler under Adapt was given.
type seen struct {
	method, path, query, host, remote, cookie, contentType, userAgent, body string
	contentLength                                                           int64
	ctxValue                                                                any
	calls                                                                   int
}

type ctxKey struct{}

// recording is a handler that records its request and then runs answer, if any.
func recording(s *seen, answer func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls++
		body, _ := io.ReadAll(r.Body)
		*s = seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, host: r.Host, remote: r.RemoteAddr,
			cookie: r.Header.Get("Cookie"), contentType: r.Header.Get("Content-Type"), userAgent: r.UserAgent(),
			body: string(body), contentLength: r.ContentLength, ctxValue: r.Context().Value(ctxKey{}), calls: s.calls}
		if answer != nil {
			answer(w)
		}
	})
}

func event(method, rawPath, query, body string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RawPath: rawPath, RawQueryString: query, Body: body,
		Headers: map[string]string{"content-type": "application/x-www-form-urlencoded", "user-agent": "Mozilla/5.0 test"}}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.Path = rawPath
	ev.RequestContext.HTTP.SourceIP = "198.51.100.23"
	ev.RequestContext.DomainName = "api.solidarity.example"
	return ev
}

func adapt(t *testing.T, h http.Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	res, err := httpapi.Adapt(h)(context.Background(), ev)
	if err != nil {
		t.Fatalf("Adapt returned an error: %v", err)
	}
	return res
}

func TestAdaptRequest(t *testing.T) {
	t.Run("method, path, query, host, source IP and headers reach the handler", func(t *testing.T) {
		var s seen
		adapt(t, recording(&s, nil), event(http.MethodPost, "/donations", "lang=fr&campaign=appeal-2024", "amount_cents=2500"))
		want := seen{method: "POST", path: "/donations", query: "lang=fr&campaign=appeal-2024", host: "api.solidarity.example",
			remote: "198.51.100.23", contentType: "application/x-www-form-urlencoded", userAgent: "Mozilla/5.0 test",
			body: "amount_cents=2500", contentLength: int64(len("amount_cents=2500")), calls: 1}
		if s != want {
			t.Errorf("handler saw\n%+v\nwant\n%+v", s, want)
		}
	})

	t.Run("the raw query keeps its encoding for the handler to decode", func(t *testing.T) {
		var got string
		h := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.URL.Query().Get("name") })
		adapt(t, h, event(http.MethodGet, "/x", "name=%C3%89lise%20%26%20co", ""))
		if got != "Élise & co" {
			t.Errorf("query value %q", got)
		}
	})

	t.Run("a path HTTP API has already decoded is not decoded again", func(t *testing.T) {
		var s seen
		adapt(t, recording(&s, nil), event(http.MethodGet, "/campaigns/100%", "", ""))
		if s.path != "/campaigns/100%" {
			t.Errorf("path %q", s.path)
		}
	})

	t.Run("without a raw path the request context's path is used", func(t *testing.T) {
		var s seen
		ev := event(http.MethodGet, "", "", "")
		ev.RequestContext.HTTP.Path = "/campaigns/appeal-2024"
		adapt(t, recording(&s, nil), ev)
		if s.path != "/campaigns/appeal-2024" {
			t.Errorf("path %q", s.path)
		}
	})

	t.Run("a base64 body is decoded", func(t *testing.T) {
		var s seen
		raw := "{\"first_name\":\"Élise\"}\x00\xff"
		ev := event(http.MethodPost, "/members", "", base64.StdEncoding.EncodeToString([]byte(raw)))
		ev.IsBase64Encoded = true
		adapt(t, recording(&s, nil), ev)
		if s.body != raw || s.contentLength != int64(len(raw)) {
			t.Errorf("body %q (length %d)", s.body, s.contentLength)
		}
	})

	t.Run("a body that is not valid base64 is a 400 without calling the handler", func(t *testing.T) {
		var s seen
		ev := event(http.MethodPost, "/members", "", "not base64!")
		ev.IsBase64Encoded = true
		res := adapt(t, recording(&s, nil), ev)
		if s.calls != 0 {
			t.Error("the handler was called")
		}
		if res.StatusCode != http.StatusBadRequest || res.Headers["Content-Type"] != "application/json" ||
			!strings.Contains(res.Body, `"error":"bad_request"`) {
			t.Errorf("answer %d %v %q", res.StatusCode, res.Headers, res.Body)
		}
	})

	t.Run("cookies are joined into one Cookie header", func(t *testing.T) {
		var s seen
		ev := event(http.MethodGet, "/portal", "", "")
		ev.Cookies = []string{"a=1", "b=two"}
		adapt(t, recording(&s, nil), ev)
		if s.cookie != "a=1; b=two" {
			t.Errorf("Cookie %q", s.cookie)
		}
	})

	t.Run("no cookies is no Cookie header", func(t *testing.T) {
		var s seen
		adapt(t, recording(&s, nil), event(http.MethodGet, "/portal", "", ""))
		if s.cookie != "" {
			t.Errorf("Cookie %q", s.cookie)
		}
	})

	t.Run("the invocation's context reaches the handler", func(t *testing.T) {
		var s seen
		ctx := context.WithValue(context.Background(), ctxKey{}, "invocation")
		if _, err := httpapi.Adapt(recording(&s, nil))(ctx, event(http.MethodGet, "/", "", "")); err != nil {
			t.Fatal(err)
		}
		if s.ctxValue != "invocation" {
			t.Errorf("context value %v", s.ctxValue)
		}
	})
}

func TestAdaptResponse(t *testing.T) {
	for _, c := range []struct {
		name       string
		answer     func(w http.ResponseWriter)
		status     int
		headers    map[string]string
		body       string
		base64Body bool
	}{
		{"a handler that writes nothing answers 200 with no body",
			func(http.ResponseWriter) {}, 200, map[string]string{}, "", false},
		{"a body without a status is 200",
			func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, "ok")
			}, 200, map[string]string{"Content-Type": "text/plain"}, "ok", false},
		{"a status without a body is kept",
			func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }, 204, map[string]string{}, "", false},
		{"the first status written wins",
			func(w http.ResponseWriter) {
				w.WriteHeader(http.StatusSeeOther)
				w.WriteHeader(http.StatusInternalServerError)
			}, 303, map[string]string{}, "", false},
		{"a status after the body has started is ignored",
			func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, "{}")
				w.WriteHeader(http.StatusTeapot)
			}, 200, map[string]string{"Content-Type": "application/json"}, "{}", false},
		{"a header's several values are joined with commas",
			func(w http.ResponseWriter) {
				w.Header().Add("Vary", "Origin")
				w.Header().Add("Vary", "Accept-Language")
				w.Header().Set("Location", "https://checkout.stripe.com/c/pay/cs_1")
				w.WriteHeader(http.StatusSeeOther)
			}, 303, map[string]string{"Vary": "Origin, Accept-Language", "Location": "https://checkout.stripe.com/c/pay/cs_1"}, "", false},
		{"a JSON body is sent as text",
			func(w http.ResponseWriter) {
				httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "sent_if_known"})
			},
			202, nil, `{"status":"sent_if_known"}` + "\n", false},
		{"a binary body is sent base64-encoded",
			func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "image/png")
				_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0x00})
			}, 200, map[string]string{"Content-Type": "image/png"}, base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G', 0x00}), true},
		{"a body without a content type is sent base64-encoded",
			func(w http.ResponseWriter) { _, _ = w.Write([]byte("raw")) },
			200, map[string]string{}, base64.StdEncoding.EncodeToString([]byte("raw")), true},
		{"an empty body of a binary type is not encoded",
			func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/pdf") },
			200, map[string]string{"Content-Type": "application/pdf"}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s seen
			res := adapt(t, recording(&s, c.answer), event(http.MethodGet, "/", "", ""))
			if res.StatusCode != c.status {
				t.Errorf("status %d, want %d", res.StatusCode, c.status)
			}
			if c.headers != nil && len(res.Headers) != len(c.headers) {
				t.Errorf("headers %v, want %v", res.Headers, c.headers)
			}
			for k, v := range c.headers {
				if res.Headers[k] != v {
					t.Errorf("header %s %q, want %q", k, res.Headers[k], v)
				}
			}
			if c.body != "" && res.Body != c.body {
				t.Errorf("body %q, want %q", res.Body, c.body)
			}
			if c.body == "" && c.headers != nil && res.Body != "" {
				t.Errorf("body %q, want none", res.Body)
			}
			if res.IsBase64Encoded != c.base64Body {
				t.Errorf("base64 %v, want %v", res.IsBase64Encoded, c.base64Body)
			}
		})
	}

	t.Run("an HTML page arrives whole, as text", func(t *testing.T) {
		res := adapt(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpapi.WriteMessage(w, r, http.StatusNotFound, "fr", "unsub_invalid")
		}), event(http.MethodGet, "/unsubscribe", "", ""))
		if res.StatusCode != http.StatusNotFound || res.IsBase64Encoded || !strings.HasPrefix(res.Body, "<!doctype html>") ||
			!strings.Contains(res.Body, "Ce lien de désabonnement n’est pas valide") {
			t.Errorf("answer %d base64=%v %q", res.StatusCode, res.IsBase64Encoded, res.Body)
		}
	})
}

// router is an httpapi.Router whose routes are a function.
type router struct{ routes func(mux *http.ServeMux) }

func (r router) Routes(mux *http.ServeMux) { r.routes(mux) }

func answering(pattern, text string) router {
	return router{routes: func(mux *http.ServeMux) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, text)
		})
	}}
}

func TestMux(t *testing.T) {
	mux := httpapi.Mux(answering("GET /campaigns/{slug}", "campaign"), answering("POST /donations", "donate"))
	for _, c := range []struct {
		name, method, path string
		status             int
		body               string
	}{
		{"the first router's route is mounted", http.MethodGet, "/campaigns/appeal-2024", 200, "campaign"},
		{"the second router's route is mounted", http.MethodPost, "/donations", 200, "donate"},
		{"a path no router mounts is not found", http.MethodGet, "/members", 404, ""},
		{"a mounted path with another method is not allowed", http.MethodGet, "/donations", 405, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := adapt(t, mux, event(c.method, c.path, "", ""))
			if res.StatusCode != c.status {
				t.Errorf("status %d, want %d", res.StatusCode, c.status)
			}
			if c.body != "" && res.Body != c.body {
				t.Errorf("body %q, want %q", res.Body, c.body)
			}
		})
	}
}
