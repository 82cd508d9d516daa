package e2e

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webforms"
)

// TestCrossSitePostsRefused: a state-changing post whose Origin (or, without one, Referer)
// names a site that is neither the API's own nor an allowed origin is refused with 403
// forbidden_origin, in the contract's shape and the asker's language, and stores and
// sends nothing; the API's own pages, the allowed origins and callers that are not
// browsers (no Origin, no Referer) go on; Stripe's webhook and the one-click unsubscribe
// are not browsers' form posts and are not judged by it.
func TestCrossSitePostsRefused(t *testing.T) {
	s := newStack(t, false)
	member := url.Values{"first_name": {"Ana"}, "last_name": {"Cross"}, "email": {"cross.site@example.org"},
		"address.city": {"Montréal"}, "address.province": {"QC"}, "address.postal_code": {"H2X 1Y4"}, "language": {"fr"}}
	count := func() int { return len(s.items("member")) }

	for _, tt := range []struct {
		name   string
		header map[string]string
	}{
		{"foreign Origin", map[string]string{"Origin": "https://evil.example"}},
		{"foreign Referer, no Origin", map[string]string{"Referer": "https://evil.example/page.html"}},
		{"Origin null", map[string]string{"Origin": "null"}},
		{"Origin of the allowed site on another port", map[string]string{"Origin": allowed + ":8443"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := count()
			tt.header["Accept-Language"] = "fr"
			res := s.postForm("/members", member, tt.header)
			if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "Ce site ne peut pas utiliser ce formulaire") {
				t.Fatalf("form post: %d %s", res.status, res.body)
			}
			res = s.postJSON("/donations", validDonation(), tt.header)
			if got := res.json(t); res.status != http.StatusForbidden || got["error"] != "forbidden_origin" {
				t.Fatalf("JSON post: %d %s", res.status, res.body)
			}
			if count() != before || len(s.items("donation")) != 0 {
				t.Fatal("a refused post stored something")
			}
		})
	}

	t.Run("own pages, allowed origins and non-browsers go on", func(t *testing.T) {
		for i, h := range []map[string]string{
			{"Origin": s.url},
			{"Origin": allowed},
			{"Referer": allowed + "/join.html"},
			{}, // curl, a server: neither header
		} {
			m := url.Values{}
			for k, v := range member {
				m[k] = v
			}
			m.Set("email", fmt.Sprintf("same.site.%d@example.org", i))
			if res := s.postForm("/members", m, h); res.status != http.StatusSeeOther {
				t.Fatalf("%v: %d %s", h, res.status, res.body)
			}
		}
	})

	t.Run("the webhook and one-click unsubscribe are not judged", func(t *testing.T) {
		evil := map[string]string{"Origin": "https://evil.example"}
		if res := s.do(http.MethodPost, "/webhooks/stripe", "application/json", "{}", evil); res.status == http.StatusForbidden {
			t.Fatalf("webhook: %d %s", res.status, res.body)
		}
		res := s.do(http.MethodPost, "/unsubscribe?token="+strings.Repeat("A", 43), "application/x-www-form-urlencoded",
			"List-Unsubscribe=One-Click", evil)
		if res.status == http.StatusForbidden {
			t.Fatalf("one-click unsubscribe: %d %s", res.status, res.body)
		}
	})
}

// TestBrowserCrossSiteFormRefused: a page on another site that auto-submits a plain form to
// POST /members (no preflight for such a form) gets the localized refusal in the visitor's
// browser, and no member is stored; the same form on the API's own site works.
func TestBrowserCrossSiteFormRefused(t *testing.T) {
	s := newStack(t, false, withWeb)
	form := func(email string) string {
		return fmt.Sprintf(`<!doctype html><html lang="fr"><body>
<form method="post" action="%s/members">
<input name="first_name" value="Ana"><input name="last_name" value="Cross">
<input name="email" value="%s"><input name="address.city" value="Montréal">
<input name="address.province" value="QC"><input name="address.postal_code" value="H2X 1Y4"><input name="language" value="fr">
<button type="submit">Envoyer</button></form>
<script>document.forms[0].submit()</script></body></html>`, html.EscapeString(s.url), html.EscapeString(email))
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, form("browser.cross@example.org"))
	}))
	t.Cleanup(evil.Close)
	b := newBrowser(t, s, true)
	b.open(evil.URL + "/")
	b.waitFor(s.url + "/members")
	var got string
	b.run(chromedp.OuterHTML("html", &got, chromedp.ByQuery))
	if !strings.Contains(got, "Ce site ne peut pas utiliser ce formulaire") {
		t.Fatalf("the cross-site post was answered:\n%s", got)
	}
	if n := len(s.items("member")); n != 0 {
		t.Fatalf("%d members stored from another site's page", n)
	}
	// The same page served by the API's own site goes through.
	b.run(chromedp.Navigate(s.url + "/join.html"))
	b.run(chromedp.WaitReady("body", chromedp.ByQuery))
	b.run(chromedp.Evaluate(fmt.Sprintf(`document.open(); document.write(%q); document.close()`, form("browser.same@example.org")), nil))
	b.waitFor("/members/check-email")
	if n := len(s.items("member")); n != 1 {
		t.Fatalf("%d members stored from the API's own page, want 1", n)
	}
}

// TestBrowserFormsHostedElsewhere: the forms served from another site (the organization's
// own), with <html data-api> naming the API and that site in ALLOWED_ORIGINS: every form,
// manage.html's plain one included, posts to the API, and a signup from there goes
// through (CORS for the JSON post, and the cross-site check lets the allowed site in).
func TestBrowserFormsHostedElsewhere(t *testing.T) {
	var apiURL string
	forms, err := webforms.Render(os.DirFS(filepath.Join(emulator.Root(), "web")), organization.Default())
	if err != nil {
		t.Fatal(err) // the forms as `go run ./cmd/forms` writes them for upload
	}
	web := forms.Handler()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".html") {
			web.ServeHTTP(w, r)
			return
		}
		page, ok := forms[filepath.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// As the deployer writes them (README, deploy step 9): the API's address in
		// data-api and in every form's action, for visitors without JavaScript.
		html := strings.Replace(string(page), "<html ", `<html data-api="`+apiURL+`" `, 1)
		html = strings.ReplaceAll(html, `action="/`, `action="`+apiURL+`/`)
		_, _ = w.Write([]byte(html))
	}))
	t.Cleanup(site.Close)
	s := newStack(t, false, set("ALLOWED_ORIGINS", site.URL))
	apiURL = s.url
	b := newBrowser(t, s, true)
	for page, path := range map[string]string{"/join.html": "/members", "/manage.html": "/portal", "/subscribe.html": "/subscriptions"} {
		b.open(site.URL + page)
		var action string
		b.run(chromedp.Evaluate(`document.querySelector("form").action`, &action))
		if action != s.url+path {
			t.Errorf("%s posts to %q, want %q", page, action, s.url+path)
		}
	}
	// forms.js still enhances a form whose action is absolute: a bad address is answered
	// beside its field, on the organization's page.
	b.open(site.URL + "/join.html")
	b.fill(map[string]string{"#first_name": "Ana", "#last_name": "Ailleurs", "#email": "nope",
		"#city": "Montréal", "#postal_code": "H2X 1Y4"})
	b.run(chromedp.SetValue("#province", "QC", chromedp.ByQuery), chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	var inline string
	b.run(chromedp.WaitVisible(".field-error", chromedp.ByQuery), chromedp.Location(&inline))
	if !strings.HasPrefix(inline, site.URL+"/join.html") {
		t.Fatalf("the error was not answered on the page: at %s", inline)
	}
	b.open(site.URL + "/join.html")
	b.fill(map[string]string{"#first_name": "Ana", "#last_name": "Ailleurs", "#email": "elsewhere@example.org",
		"#city": "Montréal", "#postal_code": "H2X 1Y4"})
	b.run(chromedp.SetValue("#province", "QC", chromedp.ByQuery), chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/members/check-email")
	if _, err := s.sys.Store.Member(context.Background(), "elsewhere@example.org"); err != nil {
		t.Fatalf("the signup from the organization's site: %v", err)
	}
}
