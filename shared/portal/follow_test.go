package portal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// linkStore is a portal Store holding one link, spent as the table spends it.
type linkStore struct {
	tok      token.Token
	spent    int
	tokenErr error
}

func (s *linkStore) RecurringCustomers(context.Context, string) ([]string, error) { return nil, nil }
func (s *linkStore) RequestPortal(context.Context, string, outbox.Email) (bool, error) {
	return false, nil
}
func (s *linkStore) Token(_ context.Context, hash string) (token.Token, error) {
	if s.tokenErr != nil {
		return token.Token{}, s.tokenErr
	}
	if hash != s.tok.Hash {
		return token.Token{}, token.ErrNotFound
	}
	return s.tok, nil
}
func (s *linkStore) SpendToken(_ context.Context, hash string) error {
	if hash != s.tok.Hash || s.tok.UsedAt != nil {
		return token.ErrUsed
	}
	s.spent++
	at := time.Unix(s.tok.ExpiresAt, 0).Add(-time.Hour)
	s.tok.UsedAt = &at
	return nil
}

func TestFollow(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	raw, tok := token.Mint(token.Portal, "cus_1", "fr", now, 24*time.Hour)
	enRaw, enTok := token.Mint(token.Portal, "cus_2", "en", now, 24*time.Hour)
	type fixture struct {
		store    *linkStore
		sessions *fakeSessions
		mux      *http.ServeMux
	}
	setup := func(tk token.Token, at time.Time) fixture {
		f := fixture{store: &linkStore{tok: tk}, sessions: &fakeSessions{}, mux: http.NewServeMux()}
		Handler{Store: f.store, Sessions: f.sessions, PublicURL: "https://api.example.org", Now: func() time.Time { return at }}.Routes(f.mux)
		return f
	}
	do := func(f fixture, method, target string, form url.Values) *httptest.ResponseRecorder {
		var r *http.Request
		if form != nil {
			r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest(method, target, nil)
		}
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		return w
	}

	t.Run("following the link shows the button, in the link's language, and opens nothing", func(t *testing.T) {
		for _, c := range []struct {
			tk        token.Token
			raw, lang string
			title     string
		}{{tok, raw, "fr", "Gérer votre abonnement"}, {enTok, enRaw, "en", "Manage your subscription"}} {
			f := setup(c.tk, now)
			w := do(f, http.MethodGet, "/portal?token="+c.raw, nil)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `<html lang="`+c.lang+`">`) || !strings.Contains(body, "<h1>"+c.title+"</h1>") ||
				!strings.Contains(body, `<form method="post" action="portal/open">`) ||
				!strings.Contains(body, `<input type="hidden" name="token" value="`+c.raw+`">`) {
				t.Fatalf("%d\n%s", w.Code, body)
			}
			if h := w.Header(); h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "form-action 'self' https:;") {
				t.Fatalf("headers %v", h)
			}
			if len(f.sessions.params) != 0 || f.store.spent != 0 {
				t.Fatalf("a GET opened %d sessions, spent %d", len(f.sessions.params), f.store.spent)
			}
		}
	})
	t.Run("the button opens a session for the link's customer, once", func(t *testing.T) {
		f := setup(tok, now)
		w := do(f, http.MethodPost, "/portal/open", url.Values{"token": {raw}})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://billing.stripe.com/p/session/test" || f.store.spent != 1 {
			t.Fatalf("%d %v spent %d", w.Code, w.Header(), f.store.spent)
		}
		p := f.sessions.params[0]
		if *p.Customer != "cus_1" || *p.Locale != "fr-CA" || *p.IdempotencyKey != "portal-"+tok.Hash[:32] ||
			*p.ReturnURL != "https://api.example.org/portal/done?lang=fr" {
			t.Fatalf("params %+v", p)
		}
		again := do(f, http.MethodPost, "/portal/open", url.Values{"token": {raw}})
		if again.Code != http.StatusGone || !strings.Contains(again.Body.String(), "Ce lien ne fonctionne plus") ||
			len(f.sessions.params) != 1 || f.store.spent != 1 {
			t.Fatalf("second post %d sessions %d spent %d\n%s", again.Code, len(f.sessions.params), f.store.spent, again.Body)
		}
		if page := do(f, http.MethodGet, "/portal?token="+raw, nil); page.Code != http.StatusGone || strings.Contains(page.Body.String(), "<form") {
			t.Fatalf("the page of a used link: %d\n%s", page.Code, page.Body)
		}
	})
	t.Run("a post with the token only in the query is no button's: it shows the page", func(t *testing.T) {
		f := setup(enTok, now)
		if w := do(f, http.MethodPost, "/portal/open?token="+enRaw, url.Values{}); w.Code != http.StatusOK || len(f.sessions.params) != 0 ||
			!strings.Contains(w.Body.String(), `name="token"`) {
			t.Fatalf("%d, %d sessions: %s", w.Code, len(f.sessions.params), w.Body)
		}
	})
	for _, c := range []struct {
		name string
		tk   token.Token
		at   time.Time
		raw  string
	}{
		{"an expired link", tok, now.Add(25 * time.Hour), raw},
		{"another purpose's link", func() token.Token { o := tok; o.Purpose = token.Unsubscribe; return o }(), now, raw},
		{"an unknown link", tok, now, strings.Repeat("D", 43)},
		{"a malformed link", tok, now, "%27%3B--"},
		{"no token", tok, now, ""},
	} {
		t.Run(c.name+" gets the page that says so, no button, and opens nothing", func(t *testing.T) {
			f := setup(c.tk, c.at)
			for _, w := range []*httptest.ResponseRecorder{
				do(f, http.MethodGet, "/portal?token="+c.raw, nil),
				do(f, http.MethodPost, "/portal/open", url.Values{"token": {c.raw}}),
			} {
				if w.Code != http.StatusGone || strings.Contains(w.Body.String(), "<form") || w.Header().Get("Referrer-Policy") != "no-referrer" {
					t.Fatalf("%d %v\n%s", w.Code, w.Header(), w.Body)
				}
			}
			if len(f.sessions.params) != 0 || f.store.spent != 0 {
				t.Fatalf("sessions %d spent %d", len(f.sessions.params), f.store.spent)
			}
		})
	}
	t.Run("a failed lookup is an error page that opens nothing", func(t *testing.T) {
		f := setup(tok, now)
		f.store.tokenErr = errors.New("throttled")
		if w := do(f, http.MethodGet, "/portal?token="+raw, nil); w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "<form") {
			t.Fatalf("%d", w.Code)
		}
	})
	t.Run("a Stripe failure keeps the link for another try", func(t *testing.T) {
		f := setup(tok, now)
		f.sessions.err = errors.New("stripe down")
		if w := do(f, http.MethodPost, "/portal/open", url.Values{"token": {raw}}); w.Code != http.StatusInternalServerError || f.store.spent != 0 {
			t.Fatalf("%d spent %d", w.Code, f.store.spent)
		}
		f.sessions.err = nil
		if w := do(f, http.MethodPost, "/portal/open", url.Values{"token": {raw}}); w.Code != http.StatusSeeOther || f.store.spent != 1 {
			t.Fatalf("retry %d spent %d", w.Code, f.store.spent)
		}
	})
	t.Run("only GET opens the page and only POST the portal", func(t *testing.T) {
		f := setup(tok, now)
		if w := do(f, http.MethodGet, "/portal/open?token="+raw, nil); w.Code != http.StatusMethodNotAllowed || len(f.sessions.params) != 0 {
			t.Fatalf("GET /portal/open: %d", w.Code)
		}
	})
}
