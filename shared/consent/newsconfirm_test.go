package consent_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

func TestAsks(t *testing.T) {
	grant := consent.Grant("ana@example.org", "en", "donation_form", "don_1", consent.Origin{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	withdrawal := grant
	withdrawal.Granted = false
	out := consent.State{Email: "ana@example.org", Subscribed: false}
	in := consent.State{Email: "ana@example.org", Subscribed: true}
	cases := []struct {
		name  string
		rec   *consent.Record
		st    consent.State
		found bool
		want  bool
	}{
		{"no record (the box not ticked)", nil, out, true, false},
		{"a grant for an address that opted out", &grant, out, true, true},
		{"a grant for an address never asked", &grant, consent.State{}, false, false},
		{"a grant for a subscribed address", &grant, in, true, false},
		{"a withdrawal", &withdrawal, out, true, false},
	}
	for _, c := range cases {
		if got := consent.Asks(c.rec, c.st, c.found); got != c.want {
			t.Errorf("%s: Asks = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAgainEmail(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct{ lang, want string }{{"fr", "fr"}, {"en", "en"}, {"", "en"}} {
		rec := consent.Grant("ana@example.org", c.lang, "donation_form", "don_1",
			consent.Origin{FormURL: "https://example.org/give", IP: "192.0.2.1", UserAgent: "Visit evil.example"}, at)
		e := consent.AgainEmail(rec, "CONSENT#ref")
		if e.Template != outbox.NewsConfirm || e.To != "ana@example.org" || e.Language != c.want || e.News {
			t.Errorf("%q: email %+v", c.lang, e)
		}
		if len(e.Data) != 0 {
			t.Errorf("%q: data %v: an email to an unproven address carries nothing typed", c.lang, e.Data)
		}
		want := outbox.Link{Name: "confirm_url", Purpose: token.NewsConfirm, Path: "/news/confirm", Subject: "ana@example.org",
			Ref: "CONSENT#ref", TTLSecs: 7 * 24 * 3600}
		if len(e.Links) != 1 || e.Links[0] != want {
			t.Errorf("%q: links %+v, want %+v", c.lang, e.Links, want)
		}
		if again := consent.AgainEmail(rec, "CONSENT#ref"); again.ID != e.ID || !strings.HasPrefix(e.ID, "news_confirm_don_1_") {
			t.Errorf("%q: ids %q, %q: the same form's email has one id", c.lang, e.ID, again.ID)
		}
	}
}

// againTable is the state behind a fake consent.AgainStore: tokens, news states, consent
// records by sort key, and the grants ConfirmNews wrote, as the real store does (once:
// not with a spent token, nor for a subscribed person).
type againTable struct {
	tokens   map[string]token.Token
	states   map[string]consent.State
	records  map[string]consent.Record
	grants   []consent.Record
	calls    int
	newsErr  error
	writeErr error
	now      time.Time
}

func (tb *againTable) Token(_ context.Context, hash string) (token.Token, error) {
	tok, ok := tb.tokens[hash]
	if !ok {
		return token.Token{}, token.ErrNotFound
	}
	return tok, nil
}

func (tb *againTable) News(_ context.Context, email string) (consent.State, bool, error) {
	st, ok := tb.states[email]
	return st, ok, tb.newsErr
}

func (tb *againTable) ConsentRecord(_ context.Context, _, ref string) (consent.Record, bool, error) {
	r, ok := tb.records[ref]
	return r, ok, nil
}

func (tb *againTable) ConfirmNews(_ context.Context, hash string, rec consent.Record) (bool, error) {
	tb.calls++
	if tb.writeErr != nil {
		return false, tb.writeErr
	}
	tok := tb.tokens[hash]
	if tok.UsedAt != nil || tok.Expired(tb.now) || tb.states[rec.Email].Subscribed {
		return false, nil
	}
	at := tb.now
	tok.UsedAt = &at
	tb.tokens[hash] = tok
	tb.states[rec.Email] = consent.State{Email: rec.Email, Subscribed: true, ChangedAt: rec.At, Source: rec.Source, SourceID: rec.SourceID}
	tb.grants = append(tb.grants, rec)
	return true, nil
}

func TestNewsConfirm(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	const email = "ana@example.org"
	setup := func(lang string) (*againTable, http.Handler, string) {
		raw, tok := token.Mint(token.NewsConfirm, email, lang, now.Add(-time.Hour), token.NewsConfirmTTL)
		tok.Ref = "CONSENT#asked"
		tb := &againTable{now: now,
			tokens: map[string]token.Token{tok.Hash: tok},
			states: map[string]consent.State{email: {Email: email, Subscribed: false, Source: consent.SourceButton,
				ChangedAt: now.Add(-30 * 24 * time.Hour)}},
			records: map[string]consent.Record{"CONSENT#asked": {Email: email, Granted: true, FormURL: "https://example.org/give"}},
		}
		mux := http.NewServeMux()
		consent.Unsubscribe{Store: store{}, Now: func() time.Time { return now }, Again: tb}.Routes(mux)
		return tb, mux, raw
	}
	get := func(h http.Handler, raw string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/news/confirm?token="+url.QueryEscape(raw), nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	press := func(h http.Handler, raw string) (int, string) {
		req := httptest.NewRequest("POST", "/news/confirm", strings.NewReader(url.Values{"token": {raw}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("User-Agent", "Firefox")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}

	t.Run("following the link shows the button and changes nothing", func(t *testing.T) {
		for _, c := range []struct{ lang, button string }{{"en", "Yes, send me your news"}, {"fr", "Oui, envoyez-moi vos nouvelles"}} {
			tb, h, raw := setup(c.lang)
			code, body := get(h, raw)
			if code != http.StatusOK || !strings.Contains(body, c.button) || !strings.Contains(body, `action="confirm"`) ||
				!strings.Contains(body, `lang="`+c.lang+`"`) {
				t.Errorf("%s: %d\n%s", c.lang, code, body)
			}
			if tb.calls != 0 || tb.states[email].Subscribed {
				t.Errorf("%s: a GET wrote: %d calls, state %+v", c.lang, tb.calls, tb.states[email])
			}
		}
	})

	t.Run("the button subscribes once, and a second press changes nothing", func(t *testing.T) {
		tb, h, raw := setup("fr")
		code, body := press(h, raw)
		if code != http.StatusOK || !strings.Contains(body, "Vous êtes de nouveau abonné·e") {
			t.Fatalf("%d\n%s", code, body)
		}
		if !tb.states[email].Subscribed || len(tb.grants) != 1 {
			t.Fatalf("state %+v, grants %+v", tb.states[email], tb.grants)
		}
		g := tb.grants[0]
		if !g.Granted || g.Email != email || g.Purpose != consent.News || consent.SourceNewsConfirm != "news_reconfirm" ||
			g.Source != consent.SourceNewsConfirm || g.FormURL != "https://example.org/give" || g.Language != "fr" ||
			g.Version != consent.NewsConfirmVersion || !strings.Contains(g.Wording, "Oui, envoyez-moi vos nouvelles") ||
			!g.At.Equal(now) || g.UserAgent != "Firefox" || g.SourceID == "" {
			t.Errorf("grant %+v", g)
		}
		code, body = press(h, raw)
		if code != http.StatusOK || !strings.Contains(body, "Vous êtes de nouveau abonné·e") || len(tb.grants) != 1 {
			t.Errorf("second press: %d, %d grants\n%s", code, len(tb.grants), body)
		}
		if code, body := get(h, raw); code != http.StatusOK || strings.Contains(body, "<form") {
			t.Errorf("the link once subscribed: %d\n%s", code, body)
		}
	})

	t.Run("a spent link of a person who unsubscribed since changes nothing", func(t *testing.T) {
		tb, h, raw := setup("en")
		if code, _ := press(h, raw); code != http.StatusOK {
			t.Fatal(code)
		}
		tb.states[email] = consent.State{Email: email, Subscribed: false, Source: consent.SourceButton, ChangedAt: now}
		for name, do := range map[string]func(http.Handler, string) (int, string){"GET": get, "POST": press} {
			code, body := do(h, raw)
			if code != http.StatusGone || !strings.Contains(body, "already been used") || strings.Contains(body, "<form") {
				t.Errorf("%s: %d\n%s", name, code, body)
			}
		}
		if tb.states[email].Subscribed || len(tb.grants) != 1 {
			t.Errorf("state %+v, grants %d", tb.states[email], len(tb.grants))
		}
	})

	t.Run("other links, expired and unknown ones change nothing", func(t *testing.T) {
		tb, h, _ := setup("en")
		unsubRaw, unsub := token.Mint(token.Unsubscribe, email, "en", now, token.UnsubscribeTTL)
		oldRaw, old := token.Mint(token.NewsConfirm, email, "en", now.Add(-token.NewsConfirmTTL), token.NewsConfirmTTL)
		tb.tokens[unsub.Hash], tb.tokens[old.Hash] = unsub, old
		unknown, _ := token.Mint(token.NewsConfirm, email, "en", now, token.NewsConfirmTTL)
		for name, raw := range map[string]string{"an unsubscribe link": unsubRaw, "expired": oldRaw, "unknown": unknown,
			"malformed": "x", "none": ""} {
			for verb, do := range map[string]func(http.Handler, string) (int, string){"GET": get, "POST": press} {
				code, body := do(h, raw)
				if code != http.StatusNotFound || !strings.Contains(body, "This link is not valid") {
					t.Errorf("%s, %s: %d\n%s", name, verb, code, body)
				}
			}
		}
		if tb.calls != 0 || tb.states[email].Subscribed {
			t.Errorf("%d writes, state %+v", tb.calls, tb.states[email])
		}
	})

	t.Run("a store that fails answers an error and changes nothing", func(t *testing.T) {
		tb, h, raw := setup("en")
		tb.writeErr = errors.New("dynamodb down")
		if code, _ := press(h, raw); code != http.StatusInternalServerError || tb.states[email].Subscribed {
			t.Errorf("write fails: %d, state %+v", code, tb.states[email])
		}
		tb.writeErr, tb.newsErr = nil, errors.New("dynamodb down")
		if code, _ := get(h, raw); code != http.StatusInternalServerError {
			t.Errorf("read fails: %d", code)
		}
	})

	t.Run("without a store for it, the unsubscribe function serves no such route", func(t *testing.T) {
		mux := http.NewServeMux()
		consent.Unsubscribe{Store: store{}, Now: func() time.Time { return now }}.Routes(mux)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/news/confirm?token=x", nil))
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "not valid") {
			t.Errorf("%d %s", rec.Code, rec.Body.String())
		}
	})

	// The words of NewsConfirmVersion, as another organization's page shows them: the
	// grant holds them with the name the person saw. A change of these words is a new
	// NewsConfirmVersion.
	t.Run("behind Sites.Handler, the page and the grant's words name the organization", func(t *testing.T) {
		for lang, wording := range map[string]string{
			"en": "Press the button to receive news and calls to action from Fightback by email again. Every news email has a link to unsubscribe. Nothing happens until you press it. [Yes, send me your news]",
			"fr": "Appuyez sur le bouton pour recevoir de nouveau les nouvelles et les appels à l’action de Riposte ouvrière par courriel. Chaque courriel de nouvelles contient un lien pour vous désabonner. Rien ne se fait tant que vous n’appuyez pas dessus. [Oui, envoyez-moi vos nouvelles]",
		} {
			tb, mux, raw := setup(lang)
			h := httpapi.Sites{Own: "https://api.example", Org: otherorg.Identity}.Handler(mux)
			name := otherorg.Identity.Name.FR
			if lang == "en" {
				name = otherorg.Identity.Name.EN
			}
			code, body := get(h, raw)
			if code != http.StatusOK || !strings.Contains(body, " "+name+" ") || strings.Contains(body, "Solidarit") {
				t.Errorf("%s page: %d\n%s", lang, code, body)
			}
			if code, body := press(h, raw); code != http.StatusOK || !strings.Contains(body, name) || strings.Contains(body, "Solidarit") {
				t.Errorf("%s press: %d\n%s", lang, code, body)
			}
			if len(tb.grants) != 1 || tb.grants[0].Wording != wording || tb.grants[0].Version != consent.NewsConfirmVersion {
				t.Errorf("%s grants %+v", lang, tb.grants)
			}
		}
	})
}
