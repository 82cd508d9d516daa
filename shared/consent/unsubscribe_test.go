package consent_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/token"
)

// store is a consent.Store made of functions.
type store struct {
	token       func(ctx context.Context, hash string) (token.Token, error)
	withdraw    func(ctx context.Context, rec consent.Record) (bool, error)
	resubscribe func(ctx context.Context, rec consent.Record) (bool, error)
}

func (s store) Token(ctx context.Context, hash string) (token.Token, error) {
	return s.token(ctx, hash)
}
func (s store) Withdraw(ctx context.Context, rec consent.Record) (bool, error) {
	return s.withdraw(ctx, rec)
}
func (s store) Resubscribe(ctx context.Context, rec consent.Record) (bool, error) {
	return s.resubscribe(ctx, rec)
}

// table is the state behind a fake store: stored tokens, and the withdrawals and grants
// written, once per change of a person's state as the real store does.
type table struct {
	tokens       map[string]token.Token
	lookups      int
	withdrawals  []consent.Record // every Withdraw call
	grants       []consent.Record // every Resubscribe call
	written      []consent.Record // the records written
	unsubscribed map[string]bool
	tokenErr     error
	withdrawErr  error
}

func (tb *table) store() store {
	return store{
		token: func(_ context.Context, hash string) (token.Token, error) {
			tb.lookups++
			if tb.tokenErr != nil {
				return token.Token{}, tb.tokenErr
			}
			tok, ok := tb.tokens[hash]
			if !ok {
				return token.Token{}, token.ErrNotFound
			}
			return tok, nil
		},
		withdraw: func(_ context.Context, rec consent.Record) (bool, error) {
			tb.withdrawals = append(tb.withdrawals, rec)
			if tb.withdrawErr != nil {
				return false, tb.withdrawErr
			}
			if tb.unsubscribed[rec.Email] {
				return false, nil
			}
			tb.unsubscribed[rec.Email] = true
			tb.written = append(tb.written, rec)
			return true, nil
		},
		resubscribe: func(_ context.Context, rec consent.Record) (bool, error) {
			tb.grants = append(tb.grants, rec)
			if !tb.unsubscribed[rec.Email] {
				return false, nil
			}
			tb.unsubscribed[rec.Email] = false
			tb.written = append(tb.written, rec)
			return true, nil
		},
	}
}

var (
	minted = time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	now    = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
)

// fixture mints one unsubscribe link per language, one confirmation link, and one
// expired unsubscribe link, and returns their secrets and the handler.
type fixture struct {
	tb                                  *table
	h                                   consent.Unsubscribe
	fr, en, confirm, expired, notStored string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{tb: &table{tokens: map[string]token.Token{}, unsubscribed: map[string]bool{}}}
	mint := func(purpose, subject, lang string, at time.Time, ttl time.Duration) string {
		raw, tok := token.Mint(purpose, subject, lang, at, ttl)
		f.tb.tokens[tok.Hash] = tok
		return raw
	}
	f.fr = mint(token.Unsubscribe, "elise@example.org", "fr", minted, token.UnsubscribeTTL)
	f.en = mint(token.Unsubscribe, "ana@example.org", "en", minted, token.UnsubscribeTTL)
	f.confirm = mint(token.Confirm, "elise@example.org", "fr", now.Add(-time.Hour), token.ConfirmTTL)
	f.expired = mint(token.Unsubscribe, "old@example.org", "fr", now.Add(-token.UnsubscribeTTL), token.UnsubscribeTTL)
	f.notStored, _ = token.Mint(token.Unsubscribe, "nobody@example.org", "fr", minted, token.UnsubscribeTTL)
	f.h = consent.Unsubscribe{Store: f.tb.store(), Now: func() time.Time { return now }}
	return f
}

// oneClick is the body of a mail client's RFC 8058 post.
var oneClick = url.Values{"List-Unsubscribe": {"One-Click"}}

// button is the body of the link page's button for secret raw.
func button(raw string) url.Values { return url.Values{"token": {raw}} }

// do sends a request (a form post when body is set) to the handler's routes.
func (f *fixture) do(t *testing.T, method, target, acceptLanguage string, body url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body.Encode()))
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.RemoteAddr = "203.0.113.7:40000"
	r.Header.Set("User-Agent", "Mail/1.0")
	r.Header.Set("Referer", "https://api.example.org/unsubscribe?token=secret")
	if acceptLanguage != "" {
		r.Header.Set("Accept-Language", acceptLanguage)
	}
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	f.h.Routes(mux)
	mux.ServeHTTP(w, r)
	return w
}

// expectPage checks a page's status, language and title, and that it is never cached;
// a page with a button (action) keeps the Referer same-origin, any other sends none.
func expectPage(t *testing.T, w *httptest.ResponseRecorder, status int, lang, title, action string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status %d, want %d", w.Code, status)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("page is not in %s:\n%s", lang, body)
	}
	if title != "" && !strings.Contains(body, "<h1>"+title+"</h1>") {
		t.Errorf("page is not %q:\n%s", title, body)
	}
	policy := "no-referrer"
	if action != "" {
		policy = "same-origin"
		if !strings.Contains(body, `<form method="post" action="`+action+`">`) {
			t.Errorf("no button posting to %q:\n%s", action, body)
		}
	} else if strings.Contains(body, "<form") {
		t.Errorf("a button on a page that should have none:\n%s", body)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != policy {
		t.Errorf("Cache-Control %q Referrer-Policy %q", w.Header().Get("Cache-Control"), w.Header().Get("Referrer-Policy"))
	}
}

// quiet discards the error log lines a failure writes, for the test.
func quiet(t *testing.T) {
	t.Helper()
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
}

const (
	askFR     = "Vous désabonner de nos nouvelles\u202f?"
	askEN     = "Unsubscribe from our news?"
	doneFR    = "Vous êtes désabonné·e"
	doneEN    = "You are unsubscribed"
	againFR   = "Vous êtes de nouveau abonné·e"
	againEN   = "You are subscribed again"
	invalidEN = "This unsubscribe link is not valid"
	invalidFR = "Ce lien de désabonnement n’est pas valide"
)

func TestUnsubscribe(t *testing.T) {
	t.Run("following the link shows the button, in the email's language, and withdraws nothing", func(t *testing.T) {
		f := newFixture(t)
		w := f.do(t, http.MethodGet, "/unsubscribe?token="+f.fr, "en", nil)
		expectPage(t, w, http.StatusOK, "fr", askFR, "unsubscribe")
		if !strings.Contains(w.Body.String(), `<input type="hidden" name="token" value="`+f.fr+`">`) {
			t.Errorf("the button does not carry the link:\n%s", w.Body)
		}
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe?token="+f.en, "fr", nil), http.StatusOK, "en", askEN, "unsubscribe")
		if len(f.tb.withdrawals) != 0 || len(f.tb.grants) != 0 {
			t.Errorf("a GET wrote %+v %+v", f.tb.withdrawals, f.tb.grants)
		}
	})

	t.Run("the button withdraws consent with a record of the link, and offers the way back", func(t *testing.T) {
		f := newFixture(t)
		w := f.do(t, http.MethodPost, "/unsubscribe", "en", button(f.fr))
		expectPage(t, w, http.StatusOK, "fr", doneFR, "unsubscribe/undo")
		if !strings.Contains(w.Body.String(), `value="`+f.fr+`"`) || !strings.Contains(w.Body.String(), "Me réabonner") {
			t.Errorf("no way back:\n%s", w.Body)
		}
		if len(f.tb.written) != 1 {
			t.Fatalf("%d withdrawals written", len(f.tb.written))
		}
		want := consent.Record{Email: "elise@example.org", Purpose: "news", Granted: false, Version: consent.Version,
			Language: "fr", Source: "unsubscribe_button", SourceID: token.Hash(f.fr)[:16], IP: "203.0.113.7",
			UserAgent: "Mail/1.0", At: now}
		if got := f.tb.written[0]; got != want {
			t.Errorf("withdrawal\n%+v\nwant\n%+v", got, want)
		}
	})

	t.Run("a mail client's one-click POST withdraws consent as such", func(t *testing.T) {
		f := newFixture(t)
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe?token="+f.en, "fr", oneClick), http.StatusOK, "en", doneEN, "unsubscribe/undo")
		if len(f.tb.written) != 1 || f.tb.written[0].Source != "unsubscribe_one_click" || f.tb.written[0].Email != "ana@example.org" {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("a one-click POST in multipart form data, or with no body, is one-click too", func(t *testing.T) {
		f := newFixture(t)
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("List-Unsubscribe", "One-Click")
		_ = mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/unsubscribe?token="+f.fr, strings.NewReader(b.String()))
		r.Header.Set("Content-Type", mw.FormDataContentType())
		w := httptest.NewRecorder()
		mux := http.NewServeMux()
		f.h.Routes(mux)
		mux.ServeHTTP(w, r)
		expectPage(t, w, http.StatusOK, "fr", doneFR, "unsubscribe/undo")
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe?token="+f.en, "", nil), http.StatusOK, "en", doneEN, "unsubscribe/undo")
		if len(f.tb.written) != 2 || f.tb.written[0].Source != "unsubscribe_one_click" || f.tb.written[1].Source != "unsubscribe_one_click" {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("a second use answers the same page and writes nothing more", func(t *testing.T) {
		f := newFixture(t)
		first := f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		second := f.do(t, http.MethodPost, "/unsubscribe?token="+f.fr, "", oneClick)
		expectPage(t, second, http.StatusOK, "fr", doneFR, "unsubscribe/undo")
		if first.Body.String() != second.Body.String() {
			t.Errorf("second answer differs:\n%s\n%s", first.Body, second.Body)
		}
		if len(f.tb.withdrawals) != 2 || len(f.tb.written) != 1 {
			t.Errorf("%d withdrawals asked, %d written; want 2 asked (the store decides), 1 written", len(f.tb.withdrawals), len(f.tb.written))
		}
	})

	t.Run("the way back subscribes again with a grant of the button's words, once", func(t *testing.T) {
		f := newFixture(t)
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		w := f.do(t, http.MethodPost, "/unsubscribe/undo", "en", button(f.fr))
		expectPage(t, w, http.StatusOK, "fr", againFR, "")
		if len(f.tb.written) != 2 {
			t.Fatalf("written %+v", f.tb.written)
		}
		want := consent.Record{Email: "elise@example.org", Purpose: "news", Granted: true, Version: consent.ResubscribeVersion,
			Wording:  "Vous vous êtes désabonné·e par erreur\u202f? Vous pouvez vous réabonner. [Me réabonner]",
			Language: "fr", Source: "resubscribe_link", SourceID: token.Hash(f.fr)[:16], IP: "203.0.113.7",
			UserAgent: "Mail/1.0", At: now}
		if got := f.tb.written[1]; got != want {
			t.Errorf("grant\n%+v\nwant\n%+v", got, want)
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusOK, "fr", againFR, "")
		if len(f.tb.grants) != 2 || len(f.tb.written) != 2 {
			t.Errorf("a second way back: %d asked, %d written", len(f.tb.grants), len(f.tb.written))
		}
		// And out again: the link still works while it is good.
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		if len(f.tb.written) != 3 || f.tb.written[2].Granted {
			t.Errorf("written %+v", f.tb.written)
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "fr", button(f.en)), http.StatusOK, "en", againEN, "")
	})

	t.Run("the record's time is the handler's clock in UTC", func(t *testing.T) {
		f := newFixture(t)
		local := time.Date(2026, 11, 27, 7, 0, 0, 0, time.FixedZone("EST", -5*3600))
		f.h.Now = func() time.Time { return local }
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr))
		if len(f.tb.written) != 2 || f.tb.written[0].At != now || f.tb.written[0].At.Location() != time.UTC ||
			f.tb.written[1].At != now || f.tb.written[1].At.Location() != time.UTC {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("a link is good until the instant before it expires", func(t *testing.T) {
		f := newFixture(t)
		f.h.Now = func() time.Time { return minted.Add(token.UnsubscribeTTL - time.Second) }
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe?token="+f.fr, "", nil), http.StatusOK, "fr", askFR, "unsubscribe")
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr)), http.StatusOK, "fr", doneFR, "unsubscribe/undo")
	})

	for _, c := range []struct {
		name    string
		raw     func(f *fixture) string
		looksUp bool
	}{
		{"an expired link", func(f *fixture) string { return f.expired }, true},
		{"a link at its expiry instant", func(f *fixture) string {
			f.h.Now = func() time.Time { return minted.Add(token.UnsubscribeTTL) }
			return f.fr
		}, true},
		{"an unknown link", func(f *fixture) string { return f.notStored }, true},
		{"a confirmation link used to unsubscribe", func(f *fixture) string { return f.confirm }, true},
		{"a link cut short", func(f *fixture) string { return f.fr[:40] }, false},
		{"a link with characters a secret never has", func(f *fixture) string { return f.fr[:42] + "=" }, false},
		{"no token", func(*fixture) string { return "" }, false},
	} {
		t.Run(c.name+" gets the invalid-link page, no button, and changes nothing", func(t *testing.T) {
			f := newFixture(t)
			raw := c.raw(f)
			for _, req := range []struct {
				method, target string
				body           url.Values
			}{
				{http.MethodGet, "/unsubscribe?token=" + url.QueryEscape(raw), nil},
				{http.MethodPost, "/unsubscribe?token=" + url.QueryEscape(raw), oneClick},
				{http.MethodPost, "/unsubscribe", button(raw)},
				{http.MethodPost, "/unsubscribe/undo", button(raw)},
			} {
				f.tb.lookups = 0
				expectPage(t, f.do(t, req.method, req.target, "", req.body), http.StatusNotFound, "en", invalidEN, "")
				if got := f.tb.lookups > 0; got != c.looksUp {
					t.Errorf("%s %s: store looked up %v, want %v", req.method, req.target, got, c.looksUp)
				}
			}
			if len(f.tb.withdrawals) != 0 || len(f.tb.grants) != 0 {
				t.Errorf("withdrawals %+v grants %+v", f.tb.withdrawals, f.tb.grants)
			}
		})
	}

	t.Run("the invalid-link page follows the lang parameter, then Accept-Language", func(t *testing.T) {
		f := newFixture(t)
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe?lang=fr&token="+f.notStored, "en", nil), http.StatusNotFound, "fr", invalidFR, "")
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe?token="+f.notStored, "fr-CA,fr;q=0.8", nil), http.StatusNotFound, "fr", invalidFR, "")
	})

	t.Run("a body too large to be a button's carries no link", func(t *testing.T) {
		f := newFixture(t)
		big := button(f.fr)
		big.Set("padding", strings.Repeat("x", 10<<10))
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe", "", big), http.StatusNotFound, "en", invalidEN, "")
		if len(f.tb.withdrawals) != 0 {
			t.Errorf("withdrawals %+v", f.tb.withdrawals)
		}
	})

	t.Run("a failed lookup is an internal error page that withdraws nothing", func(t *testing.T) {
		quiet(t)
		f := newFixture(t)
		f.tb.tokenErr = errors.New("dynamodb timeout on TOKEN#abc")
		for _, w := range []*httptest.ResponseRecorder{
			f.do(t, http.MethodGet, "/unsubscribe?token="+f.fr, "", nil),
			f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr)),
		} {
			expectPage(t, w, http.StatusInternalServerError, "en", "", "")
			if strings.Contains(w.Body.String(), "TOKEN#") || !strings.Contains(w.Body.String(), "Something went wrong on our side.") {
				t.Errorf("page:\n%s", w.Body)
			}
		}
		if len(f.tb.withdrawals) != 0 {
			t.Errorf("withdrawals %+v", f.tb.withdrawals)
		}
	})

	t.Run("a failed withdrawal is an internal error page in the email's language", func(t *testing.T) {
		quiet(t)
		f := newFixture(t)
		f.tb.withdrawErr = errors.New("transaction cancelled")
		w := f.do(t, http.MethodPost, "/unsubscribe", "en", button(f.fr))
		expectPage(t, w, http.StatusInternalServerError, "fr", "", "")
		if !strings.Contains(w.Body.String(), "Un problème est survenu de notre côté.") || strings.Contains(w.Body.String(), "transaction") {
			t.Errorf("page:\n%s", w.Body)
		}
	})

	t.Run("only GET and POST are routed, and the way back only by POST", func(t *testing.T) {
		f := newFixture(t)
		if w := f.do(t, http.MethodPut, "/unsubscribe?token="+f.fr, "", nil); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("PUT status %d", w.Code)
		}
		if w := f.do(t, http.MethodGet, "/unsubscribe/undo?token="+f.fr, "", nil); w.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET /unsubscribe/undo status %d", w.Code)
		}
		if len(f.tb.withdrawals) != 0 || len(f.tb.grants) != 0 {
			t.Errorf("withdrawals %+v grants %+v", f.tb.withdrawals, f.tb.grants)
		}
	})
}
