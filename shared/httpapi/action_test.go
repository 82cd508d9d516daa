package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

func TestWriteActionPage(t *testing.T) {
	t.Run("one button in a plain form, the token hidden and escaped, never cached, same-origin referrer", func(t *testing.T) {
		w := httptest.NewRecorder()
		httpapi.WriteActionPage(w, httptest.NewRequest(http.MethodGet, "/unsubscribe", nil), http.StatusOK, i18n.FR, "unsubscribed", httpapi.Action{Path: "unsubscribe/undo", Token: `a"><script>x</script>`})
		body := w.Body.String()
		for _, want := range []string{`<html lang="fr">`, `<meta name="viewport"`, "<h1>Vous êtes désabonné·e</h1>",
			"Vous pouvez vous réabonner aux nouvelles de l’organisation ", `<form method="post" action="unsubscribe/undo">`,
			`<input type="hidden" name="token" value="a&#34;&gt;&lt;script&gt;x&lt;/script&gt;">`, `<button type="submit">Me réabonner</button>`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q:\n%s", want, body)
			}
		}
		if strings.Count(body, "<form") != 1 || strings.Count(body, "<button") != 1 || strings.Contains(body, "<script>") {
			t.Errorf("page:\n%s", body)
		}
		h := w.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'; "+logoSources()+"form-action 'self'; frame-ancestors 'none'; base-uri 'none'" {
			t.Errorf("headers %v", h)
		}
	})
	t.Run("a page without a note has none, and the post may redirect where it says", func(t *testing.T) {
		w := httptest.NewRecorder()
		httpapi.WriteActionPage(w, httptest.NewRequest(http.MethodGet, "/portal", nil), http.StatusOK, i18n.EN, "portal_ask", httpapi.Action{Path: "portal/open", Token: "t", RedirectTo: []string{"https://billing.stripe.com"}})
		main, _, _ := strings.Cut(w.Body.String(), "</main>")
		if strings.Contains(w.Body.String(), "page.portal_ask.note") || strings.Count(main, "<p>") != 1 {
			t.Errorf("page:\n%s", w.Body)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://billing.stripe.com;") {
			t.Errorf("CSP %q", csp)
		}
	})
}

func TestButtonToken(t *testing.T) {
	for _, c := range []struct {
		name, target, contentType, body, want string
	}{
		{"the form's field", "/x", "application/x-www-form-urlencoded", "token=abc", "abc"},
		{"the form's field, not the query's", "/x?token=query", "application/x-www-form-urlencoded", "token=form", "form"},
		{"never the query's: a post of the link's own address is no button's", "/x?token=query", "", "", ""},
		{"nor for a one-click post", "/x?token=query", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", ""},
		{"multipart", "/x", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nmp\r\n--b--\r\n", "mp"},
		{"a body that is not a form", "/x", "application/json", `{"token":"abc"}`, ""},
		{"a body too large", "/x?token=query", "application/x-www-form-urlencoded", "token=abc&pad=" + strings.Repeat("x", 9<<10), ""},
		{"a broken form", "/x", "application/x-www-form-urlencoded", "token=%zz", ""},
		{"nothing", "/x", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, c.target, strings.NewReader(c.body))
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			if got := httpapi.ButtonToken(httptest.NewRecorder(), r); got != c.want {
				t.Errorf("token %q, want %q", got, c.want)
			}
		})
	}
	t.Run("a GET has none", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/x?"+url.Values{"token": {"q"}}.Encode(), nil)
		if got := httpapi.ButtonToken(httptest.NewRecorder(), r); got != "" {
			t.Errorf("token %q", got)
		}
	})
}

// FuzzButtonToken: any post reads without panicking, and the token is the form field's,
// never the query's.
func FuzzButtonToken(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "token=abc", "q")
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nmp\r\n--b--\r\n", "")
	f.Add("", "List-Unsubscribe=One-Click", "q")
	f.Fuzz(func(t *testing.T, contentType, body, query string) {
		r := httptest.NewRequest(http.MethodPost, "/x?"+url.Values{"token": {query}}.Encode(), strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		got := httpapi.ButtonToken(httptest.NewRecorder(), r)
		if got != r.PostForm.Get("token") {
			t.Fatalf("token %q, the form's %q", got, r.PostForm.Get("token"))
		}
	})
}
