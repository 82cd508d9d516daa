package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

func TestWriteJSON(t *testing.T) {
	t.Run("a value is written as JSON with its status and a final newline", func(t *testing.T) {
		captureLogs(t)
		w := httptest.NewRecorder()
		httpapi.WriteJSON(w, http.StatusCreated, map[string]any{"donation_id": "don_1", "amount_cents": 2500})
		if w.Code != http.StatusCreated {
			t.Errorf("status %d", w.Code)
		}
		if got, want := w.Body.String(), `{"amount_cents":2500,"donation_id":"don_1"}`+"\n"; got != want {
			t.Errorf("body %q, want %q", got, want)
		}
		if got := w.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
		if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options %q", got)
		}
	})
	t.Run("a value that cannot be encoded is an internal error", func(t *testing.T) {
		captureLogs(t)
		w := httptest.NewRecorder()
		httpapi.WriteJSON(w, http.StatusOK, map[string]any{"f": func() {}})
		if w.Code != http.StatusInternalServerError || w.Body.String() != `{"error":"internal"}`+"\n" {
			t.Errorf("status %d body %q", w.Code, w.Body)
		}
	})
}

func TestWritePage(t *testing.T) {
	w := httptest.NewRecorder()
	httpapi.WriteMessage(w, httptest.NewRequest(http.MethodGet, "/members/confirm", nil), http.StatusGone, i18n.EN, "link_expired")
	if w.Code != http.StatusGone {
		t.Errorf("status %d", w.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; " + logoSources() + "form-action 'self'",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
}

func TestWriteMessage(t *testing.T) {
	for _, c := range []struct {
		name  string
		lang  i18n.Lang
		page  string
		args  []any
		wants []string
		not   []string
	}{
		{"an English page has its title and body", i18n.EN, "thanks", nil,
			[]string{`<html lang="en">`, "<title>Thank you!</title>", "<h1>Thank you!</h1>",
				"<p>Your donation is being confirmed. A receipt is on its way to your inbox.</p>"}, nil},
		{"a French page is in French", i18n.FR, "cancel", nil,
			[]string{`<html lang="fr">`, "<h1>Votre don n’a pas été complété</h1>", "Rien n’a été facturé."}, nil},
		{"arguments are formatted into the body", i18n.EN, "confirmed", []any{"Montréal-Centre"},
			[]string{"Your branch: Montréal-Centre."}, nil},
		{"arguments are HTML-escaped", i18n.EN, "confirmed", []any{`<script>alert("x")</script>`},
			[]string{"Your branch: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;."}, []string{"<script>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpapi.WriteMessage(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, c.lang, c.page, c.args...)
			body := w.Body.String()
			for _, want := range c.wants {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			for _, not := range c.not {
				if strings.Contains(body, not) {
					t.Errorf("page has %q:\n%s", not, body)
				}
			}
		})
	}
}

func TestMessagePage(t *testing.T) {
	for _, c := range []struct {
		name, query, acceptLanguage string
		want                        string
	}{
		{"without a preference the page is English", "", "", "Check your inbox"},
		{"Accept-Language chooses the language", "", "fr-CA,fr;q=0.9,en;q=0.5", "Vérifiez votre boîte de réception"},
		{"the lang parameter wins over Accept-Language", "?lang=en", "fr-CA", "Check your inbox"},
		{"an unsupported lang parameter falls back to Accept-Language", "?lang=de", "fr", "Vérifiez votre boîte de réception"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/members/check-email"+c.query, nil)
			if c.acceptLanguage != "" {
				r.Header.Set("Accept-Language", c.acceptLanguage)
			}
			w := httptest.NewRecorder()
			httpapi.MessagePage("joined").ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Errorf("status %d", w.Code)
			}
			if !strings.Contains(w.Body.String(), "<h1>"+c.want+"</h1>") {
				t.Errorf("page lacks title %q:\n%s", c.want, w.Body)
			}
		})
	}
}
