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
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/token"
)

// store is a consent.Store made of functions.
type store struct {
	token       func(ctx context.Context, hash string) (token.Token, error)
	news        func(ctx context.Context, email string) (consent.State, bool, error)
	withdraw    func(ctx context.Context, rec consent.Record) (bool, error)
	resubscribe func(ctx context.Context, rec consent.Record, undo consent.State) (bool, error)
}

func (s store) Token(ctx context.Context, hash string) (token.Token, error) {
	return s.token(ctx, hash)
}
func (s store) News(ctx context.Context, email string) (consent.State, bool, error) {
	return s.news(ctx, email)
}
func (s store) Withdraw(ctx context.Context, rec consent.Record) (bool, error) {
	return s.withdraw(ctx, rec)
}
func (s store) Resubscribe(ctx context.Context, rec consent.Record, undo consent.State) (bool, error) {
	return s.resubscribe(ctx, rec, undo)
}

// table is the state behind a fake store: stored tokens, people's news states, and the
// withdrawals and grants written, once per change of a person's state as the real store
// does (a grant only while the state is still the withdrawal it undoes).
type table struct {
	tokens      map[string]token.Token
	lookups     int
	withdrawals []consent.Record // every Withdraw call
	grants      []consent.Record // every Resubscribe call
	written     []consent.Record // the records written
	states      map[string]consent.State
	tokenErr    error
	newsErr     error
	withdrawErr error
	// beforeGrant, when set, runs as a Resubscribe starts: another request's change.
	beforeGrant func()
}

// set makes rec the person's news state, as the store does.
func (tb *table) set(rec consent.Record) {
	tb.states[rec.Email] = consent.State{Email: rec.Email, Subscribed: rec.Granted, ChangedAt: rec.At,
		Source: rec.Source, SourceID: rec.SourceID}
	tb.written = append(tb.written, rec)
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
		news: func(_ context.Context, email string) (consent.State, bool, error) {
			st, ok := tb.states[email]
			return st, ok, tb.newsErr
		},
		withdraw: func(_ context.Context, rec consent.Record) (bool, error) {
			tb.withdrawals = append(tb.withdrawals, rec)
			if tb.withdrawErr != nil {
				return false, tb.withdrawErr
			}
			if st, ok := tb.states[rec.Email]; ok && !st.Subscribed {
				return false, nil
			}
			tb.set(rec)
			return true, nil
		},
		resubscribe: func(_ context.Context, rec consent.Record, undo consent.State) (bool, error) {
			tb.grants = append(tb.grants, rec)
			if tb.beforeGrant != nil {
				tb.beforeGrant()
			}
			if st, ok := tb.states[rec.Email]; !ok || st != undo {
				return false, nil
			}
			tb.set(rec)
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
	f := &fixture{tb: &table{tokens: map[string]token.Token{}, states: map[string]consent.State{}}}
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
	return f.serve(r)
}

// serve answers r with the handler's routes.
func (f *fixture) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	f.h.Routes(mux)
	mux.ServeHTTP(w, r)
	return w
}

// rawBody is a request body and its content type.
type rawBody struct{ body, contentType string }

// multipartBody is a multipart form of the fields, as name, value pairs.
func multipartBody(t *testing.T, kv ...string) rawBody {
	t.Helper()
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(kv); i += 2 {
		if err := mw.WriteField(kv[i], kv[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return rawBody{b.String(), mw.FormDataContentType()}
}

// doRaw posts body to target.
func (f *fixture) doRaw(t *testing.T, target string, body rawBody) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body.body))
	r.Header.Set("Content-Type", body.contentType)
	return f.serve(r)
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
	closedFR  = "Ce lien ne peut plus vous réabonner"
	closedEN  = "This link can no longer subscribe you again"
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

	t.Run("a one-click POST in multipart form data is one-click too", func(t *testing.T) {
		f := newFixture(t)
		w := f.doRaw(t, "/unsubscribe?token="+f.fr, multipartBody(t, "List-Unsubscribe", "One-Click"))
		expectPage(t, w, http.StatusOK, "fr", doneFR, "unsubscribe/undo")
		if len(f.tb.written) != 1 || f.tb.written[0].Source != "unsubscribe_one_click" {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	// Some mail scanners POST to List-Unsubscribe addresses: only RFC 8058's exact body, or
	// the page's button, acts. Any other post shows the page with the button.
	for _, c := range []struct {
		name, contentType, body string
	}{
		{"no body", "", ""},
		{"an empty form", "application/x-www-form-urlencoded", ""},
		{"the key alone", "application/x-www-form-urlencoded", "List-Unsubscribe"},
		{"another value", "application/x-www-form-urlencoded", "List-Unsubscribe=one-click"},
		{"the value with a line break", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click%0D%0A"},
		{"the pair twice", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click"},
		{"the pair and more", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click&unsubscribe=1"},
		{"JSON", "application/json", `{"List-Unsubscribe":"One-Click"}`},
		{"plain text", "text/plain", "List-Unsubscribe=One-Click"},
		{"an empty token field", "application/x-www-form-urlencoded", "token="},
	} {
		t.Run("a post with "+c.name+" is a scanner's: it shows the button and changes nothing", func(t *testing.T) {
			f := newFixture(t)
			r := httptest.NewRequest(http.MethodPost, "/unsubscribe?token="+f.en, strings.NewReader(c.body))
			if c.contentType != "" {
				r.Header.Set("Content-Type", c.contentType)
			}
			expectPage(t, f.serve(r), http.StatusOK, "en", askEN, "unsubscribe")
			if len(f.tb.withdrawals) != 0 || len(f.tb.written) != 0 {
				t.Errorf("withdrawals %+v", f.tb.withdrawals)
			}
		})
	}

	t.Run("a multipart post with a file, or with more fields, is a scanner's", func(t *testing.T) {
		f := newFixture(t)
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("List-Unsubscribe", "One-Click")
		fw, _ := mw.CreateFormFile("attachment", "x.txt")
		_, _ = fw.Write([]byte("hello"))
		_ = mw.Close()
		expectPage(t, f.doRaw(t, "/unsubscribe?token="+f.en, rawBody{b.String(), mw.FormDataContentType()}), http.StatusOK, "en", askEN, "unsubscribe")
		expectPage(t, f.doRaw(t, "/unsubscribe?token="+f.en, multipartBody(t, "List-Unsubscribe", "One-Click", "x", "y")), http.StatusOK, "en", askEN, "unsubscribe")
		if len(f.tb.withdrawals) != 0 {
			t.Errorf("withdrawals %+v", f.tb.withdrawals)
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
			Wording:  "Vous vous êtes désabonné·e par erreur\u202f? Vous pouvez vous réabonner aux nouvelles de l’organisation " + organization.Default().Name.FR + ". [Me réabonner]",
			Language: "fr", Source: "resubscribe_link", SourceID: token.Hash(f.fr)[:16], IP: "203.0.113.7",
			UserAgent: "Mail/1.0", At: now}
		if got := f.tb.written[1]; got != want {
			t.Errorf("grant\n%+v\nwant\n%+v", got, want)
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusOK, "fr", againFR, "")
		if len(f.tb.written) != 2 {
			t.Errorf("a second way back: %d written", len(f.tb.written))
		}
		// And out again: the link still works while it is good, and so does its way back.
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		if len(f.tb.written) != 3 || f.tb.written[2].Granted {
			t.Errorf("written %+v", f.tb.written)
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusOK, "fr", againFR, "")
		if len(f.tb.written) != 4 || !f.tb.written[3].Granted {
			t.Errorf("written %+v", f.tb.written)
		}
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
				{http.MethodGet, "/unsubscribe/undo?token=" + url.QueryEscape(raw), nil},
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

	t.Run("only GET and POST are routed", func(t *testing.T) {
		f := newFixture(t)
		for _, target := range []string{"/unsubscribe?token=" + f.fr, "/unsubscribe/undo?token=" + f.fr} {
			if w := f.do(t, http.MethodPut, target, "", nil); w.Code != http.StatusMethodNotAllowed {
				t.Errorf("PUT %s status %d", target, w.Code)
			}
		}
		if len(f.tb.withdrawals) != 0 || len(f.tb.grants) != 0 {
			t.Errorf("withdrawals %+v grants %+v", f.tb.withdrawals, f.tb.grants)
		}
	})
}

func TestUndoable(t *testing.T) {
	_, tok := token.Mint(token.Unsubscribe, "elise@example.org", "fr", minted, token.UnsubscribeTTL)
	_, other := token.Mint(token.Unsubscribe, "elise@example.org", "fr", minted, token.UnsubscribeTTL)
	by := func(source string, link token.Token, at time.Time) consent.State {
		return consent.State{Email: "elise@example.org", Subscribed: false, ChangedAt: at, Source: source, SourceID: link.Hash[:16]}
	}
	subscribed := by("unsubscribe_button", tok, now)
	subscribed.Subscribed = true
	noSource := by("unsubscribe_button", tok, now)
	noSource.SourceID = ""
	for _, c := range []struct {
		name string
		st   consent.State
		want bool
	}{
		{"its own button's withdrawal, just made", by("unsubscribe_button", tok, now), true},
		{"its own one-click withdrawal, just made", by("unsubscribe_one_click", tok, now), true},
		{"its own withdrawal, the instant before the window closes", by("unsubscribe_button", tok, now.Add(-consent.UndoWindow+time.Nanosecond)), true},
		{"its own withdrawal, as the window closes", by("unsubscribe_button", tok, now.Add(-consent.UndoWindow)), false},
		{"its own withdrawal of a year ago", by("unsubscribe_button", tok, now.AddDate(-1, 0, 0)), false},
		{"another link's withdrawal, just made", by("unsubscribe_button", other, now), false},
		{"a withdrawal recorded without a source (before the window existed)", noSource, false},
		{"a withdrawal by another source with the same id", by("staff", tok, now), false},
		{"a subscribed state", subscribed, false},
		{"no state", consent.State{}, false},
	} {
		if got := consent.Undoable(c.st, tok, now); got != c.want {
			t.Errorf("%s: Undoable = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestUndoWindow: the way back undoes only the link's own recent withdrawal, so a
// forwarded news email cannot re-grant a consent withdrawn long ago or otherwise.
func TestUndoWindow(t *testing.T) {
	at := func(f *fixture, tm time.Time) { f.h.Now = func() time.Time { return tm } }

	t.Run("within the window the way back works; once it closes it changes nothing and says how", func(t *testing.T) {
		for _, c := range []struct {
			after  time.Duration
			reopen bool
		}{{consent.UndoWindow - time.Second, true}, {consent.UndoWindow, false}, {30 * 24 * time.Hour, false}} {
			f := newFixture(t)
			f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
			at(f, now.Add(c.after))
			before := f.tb.states["elise@example.org"]
			w := f.do(t, http.MethodPost, "/unsubscribe/undo", "en", button(f.fr))
			if c.reopen {
				expectPage(t, w, http.StatusOK, "fr", againFR, "")
				if len(f.tb.written) != 2 || !f.tb.states["elise@example.org"].Subscribed {
					t.Errorf("%v after: written %+v", c.after, f.tb.written)
				}
				continue
			}
			expectPage(t, w, http.StatusGone, "fr", closedFR, "")
			if !strings.Contains(w.Body.String(), "cochez la case des nouvelles") {
				t.Errorf("the page does not say how to subscribe again:\n%s", w.Body)
			}
			if len(f.tb.written) != 1 || len(f.tb.grants) != 0 || f.tb.states["elise@example.org"] != before {
				t.Errorf("%v after: written %+v, grants asked %d, state %+v", c.after, f.tb.written, len(f.tb.grants), f.tb.states)
			}
		}
	})

	t.Run("the way back does not undo another link's withdrawal, nor an opt-out it did not see", func(t *testing.T) {
		f := newFixture(t)
		_, other := token.Mint(token.Unsubscribe, "ana@example.org", "en", minted, token.UnsubscribeTTL)
		f.tb.states["ana@example.org"] = consent.State{Email: "ana@example.org", ChangedAt: now, Source: "unsubscribe_button", SourceID: other.Hash[:16]}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.en)), http.StatusGone, "en", closedEN, "")
		// A person with no news state at all: nothing to undo.
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusGone, "fr", closedFR, "")
		if len(f.tb.grants) != 0 || len(f.tb.written) != 0 || f.tb.states["ana@example.org"].Subscribed {
			t.Errorf("grants %+v, states %+v", f.tb.grants, f.tb.states)
		}
		if _, ok := f.tb.states["elise@example.org"]; ok {
			t.Error("a state made by the way back")
		}
	})

	t.Run("the grant is written only while the state is the withdrawal that was judged", func(t *testing.T) {
		f := newFixture(t)
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		_, other := token.Mint(token.Unsubscribe, "elise@example.org", "fr", minted, token.UnsubscribeTTL)
		// Between the read and the write, the person unsubscribes again from another email.
		f.tb.beforeGrant = func() {
			f.tb.states["elise@example.org"] = consent.State{Email: "elise@example.org", ChangedAt: now, Source: "unsubscribe_one_click", SourceID: other.Hash[:16]}
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusGone, "fr", closedFR, "")
		if len(f.tb.grants) != 1 || len(f.tb.written) != 1 || f.tb.states["elise@example.org"].Subscribed {
			t.Errorf("grants %d, written %+v", len(f.tb.grants), f.tb.written)
		}
		// A second press that lost to the first: the state is subscribed, and says so.
		f = newFixture(t)
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		f.tb.beforeGrant = func() {
			st := f.tb.states["elise@example.org"]
			st.Subscribed, st.Source = true, "resubscribe_link"
			f.tb.states["elise@example.org"] = st
		}
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)), http.StatusOK, "fr", againFR, "")
		if len(f.tb.written) != 1 {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("following the link again says the person is unsubscribed, with the way back while it is open", func(t *testing.T) {
		f := newFixture(t)
		f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr))
		for _, target := range []string{"/unsubscribe?token=" + f.fr, "/unsubscribe/undo?token=" + f.fr} {
			w := f.do(t, http.MethodGet, target, "", nil)
			action := "unsubscribe/undo"
			if strings.HasPrefix(target, "/unsubscribe/undo") {
				action = "../unsubscribe/undo" // relative to the page: /unsubscribe/undo
			}
			expectPage(t, w, http.StatusOK, "fr", doneFR, action)
			if !strings.Contains(w.Body.String(), "Me réabonner") || strings.Contains(w.Body.String(), askFR) {
				t.Errorf("%s:\n%s", target, w.Body)
			}
		}
		// A scanner's post, or the button again: the same page, nothing written.
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe?token="+f.fr, "", nil), http.StatusOK, "fr", doneFR, "unsubscribe/undo")
		at(f, now.Add(consent.UndoWindow))
		for _, w := range []*httptest.ResponseRecorder{
			f.do(t, http.MethodGet, "/unsubscribe?token="+f.fr, "en", nil),
			f.do(t, http.MethodGet, "/unsubscribe/undo?token="+f.fr, "en", nil),
			f.do(t, http.MethodPost, "/unsubscribe", "", button(f.fr)),
			f.do(t, http.MethodPost, "/unsubscribe?token="+f.fr, "", oneClick),
		} {
			expectPage(t, w, http.StatusOK, "fr", doneFR, "")
			if !strings.Contains(w.Body.String(), "cochez la case des nouvelles") {
				t.Errorf("the page does not say how to subscribe again:\n%s", w.Body)
			}
		}
		if len(f.tb.written) != 1 || len(f.tb.grants) != 0 {
			t.Errorf("written %+v, grants asked %d", f.tb.written, len(f.tb.grants))
		}
	})

	t.Run("someone unsubscribed by another link sees they are unsubscribed, without this link's way back", func(t *testing.T) {
		f := newFixture(t)
		_, other := token.Mint(token.Unsubscribe, "ana@example.org", "en", minted, token.UnsubscribeTTL)
		f.tb.states["ana@example.org"] = consent.State{Email: "ana@example.org", ChangedAt: now, Source: "unsubscribe_button", SourceID: other.Hash[:16]}
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe?token="+f.en, "", nil), http.StatusOK, "en", doneEN, "")
		expectPage(t, f.do(t, http.MethodPost, "/unsubscribe", "", button(f.en)), http.StatusOK, "en", doneEN, "")
		if len(f.tb.written) != 0 {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("a subscribed person's GET of the way back shows the button that unsubscribes", func(t *testing.T) {
		f := newFixture(t)
		f.tb.states["ana@example.org"] = consent.State{Email: "ana@example.org", Subscribed: true, ChangedAt: now, Source: "membership_confirmation"}
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe/undo?token="+f.en, "", nil), http.StatusOK, "en", askEN, "../unsubscribe")
		expectPage(t, f.do(t, http.MethodGet, "/unsubscribe/undo", "fr", nil), http.StatusNotFound, "fr", invalidFR, "")
		if len(f.tb.written) != 0 || len(f.tb.withdrawals) != 0 {
			t.Errorf("written %+v", f.tb.written)
		}
	})

	t.Run("a failed read of the news state is an internal error page that changes nothing", func(t *testing.T) {
		quiet(t)
		f := newFixture(t)
		f.tb.newsErr = errors.New("dynamodb timeout on PERSON#elise@example.org")
		for _, w := range []*httptest.ResponseRecorder{
			f.do(t, http.MethodGet, "/unsubscribe?token="+f.fr, "", nil),
			f.do(t, http.MethodGet, "/unsubscribe/undo?token="+f.fr, "", nil),
			f.do(t, http.MethodPost, "/unsubscribe?token="+f.fr, "", nil),
			f.do(t, http.MethodPost, "/unsubscribe/undo", "", button(f.fr)),
		} {
			expectPage(t, w, http.StatusInternalServerError, "fr", "", "")
			if strings.Contains(w.Body.String(), "PERSON#") {
				t.Errorf("page:\n%s", w.Body)
			}
		}
		if len(f.tb.written) != 0 || len(f.tb.grants) != 0 {
			t.Errorf("written %+v", f.tb.written)
		}
	})
}
