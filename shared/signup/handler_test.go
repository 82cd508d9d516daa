package signup

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/token"
)

// linkTable is a member table with one pending member and her confirmation links, that
// confirms as the real store does: once, spending the link.
type linkTable struct {
	m        member.Member
	tokens   map[string]token.Token
	confirms []member.Confirmation // every Confirm call
}

func (tb *linkTable) store() *fakeStore {
	return &fakeStore{
		MemberFn: func(email string) (member.Member, error) {
			if email != tb.m.Email {
				return member.Member{}, member.ErrNotFound
			}
			return tb.m, nil
		},
		ApplicationFn: func(email, id string) (member.Application, error) {
			if email != tb.m.Email || id != "app_1" || tb.m.Status != member.StatusPending {
				return member.Application{}, member.ErrNotFound
			}
			return member.ApplicationOf(tb.m, id), nil
		},
		TokenFn: func(hash string) (token.Token, error) {
			tok, ok := tb.tokens[hash]
			if !ok {
				return token.Token{}, token.ErrNotFound
			}
			return tok, nil
		},
		ConfirmFn: func(c member.Confirmation) error {
			tb.confirms = append(tb.confirms, c)
			tok := tb.tokens[c.TokenHash]
			switch {
			case tok.UsedAt != nil:
				return member.ErrLinkUsed
			case tb.m.Status != member.StatusPending:
				return member.ErrAlreadyActive
			}
			used := now
			tok.UsedAt = &used
			tb.tokens[c.TokenHash] = tok
			tb.m = c.Member
			return nil
		},
	}
}

func TestConfirmLink(t *testing.T) {
	type fixture struct {
		tb                              *linkTable
		mux                             *http.ServeMux
		fr, en, expired, unsub, unknown string
	}
	setup := func(t *testing.T) fixture {
		t.Helper()
		f := fixture{tb: &linkTable{tokens: map[string]token.Token{}, m: member.Member{ID: "mem_1", Email: "ana@example.org",
			FirstName: "Ana", Branch: "montreal", Status: member.StatusPending, Language: "fr", NewsRequested: true,
			Phone: "+15145550199", Message: "I can help", CreatedAt: now.Add(-time.Hour),
			Address: address.Address{Line1: "12 rue Secrète", City: "Montréal", Province: "QC", PostalCode: "h2x 1y4"}}}, mux: http.NewServeMux()}
		mint := func(purpose, lang string, at time.Time) string {
			raw, tok := token.Mint(purpose, "ana@example.org", lang, at, token.ConfirmTTL)
			tok.Ref = "app_1"
			f.tb.tokens[tok.Hash] = tok
			return raw
		}
		f.fr = mint(token.Confirm, "fr", now.Add(-time.Hour))
		f.en = mint(token.Confirm, "en", now.Add(-time.Hour))
		f.expired = mint(token.Confirm, "fr", now.Add(-token.ConfirmTTL))
		f.unsub = mint(token.Unsubscribe, "fr", now.Add(-time.Hour))
		f.unknown, _ = token.Mint(token.Confirm, "ana@example.org", "fr", now, token.ConfirmTTL)
		Handler{Service: Service{Store: f.tb.store(), Now: func() time.Time { return now }}}.Routes(f.mux)
		return f
	}
	do := func(f fixture, method, target string, form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r.Header.Set("Referer", "https://api.example.org/members/confirm?token=secret")
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		return w
	}
	expect := func(t *testing.T, w *httptest.ResponseRecorder, status int, lang, title, action string) {
		t.Helper()
		body := w.Body.String()
		if w.Code != status || !strings.Contains(body, `<html lang="`+lang+`">`) || !strings.Contains(body, "<h1>"+title+"</h1>") {
			t.Fatalf("%d, want %d %s %q:\n%s", w.Code, status, lang, title, body)
		}
		policy := "no-referrer"
		if action != "" {
			policy = "same-origin"
			if !strings.Contains(body, `<form method="post" action="`+action+`">`) {
				t.Fatalf("no button to %q:\n%s", action, body)
			}
		} else if strings.Contains(body, "<form") {
			t.Fatalf("a button on a page that should have none:\n%s", body)
		}
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != policy {
			t.Fatalf("headers %v", w.Header())
		}
	}

	t.Run("following the link shows the button in the link's language and changes nothing", func(t *testing.T) {
		f := setup(t)
		w := do(f, http.MethodGet, "/members/confirm?token="+f.fr, nil)
		expect(t, w, http.StatusOK, "fr", "Confirmez votre adhésion", "confirm")
		if !strings.Contains(w.Body.String(), `<input type="hidden" name="token" value="`+f.fr+`">`) ||
			!strings.Contains(w.Body.String(), "Confirmer mon adhésion") ||
			!strings.Contains(w.Body.String(), "dans cette section : Section de Montréal,") { // what it confirms
			t.Fatalf("the button:\n%s", w.Body)
		}
		// What the application holds that its poster can recognise it by; no phone, street or message.
		for _, want := range []string{"<li>Prénom : Ana</li>", "<li>Ville : Montréal, code postal commençant par H2X</li>",
			"<li>Formulaire envoyé le 27 novembre 2026 à 6 h 00 (heure de Montréal)</li>",
			"<li>Nouvelles : oui. Confirmer vous abonne aussi", "Si ce n’est pas ce que vous avez envoyé, n’appuyez pas"} {
			if !strings.Contains(w.Body.String(), want) {
				t.Fatalf("no %q:\n%s", want, w.Body)
			}
		}
		for _, secret := range []string{"5550199", "Secrète", "I can help", "1Y4", "1y4"} {
			if strings.Contains(w.Body.String(), secret) {
				t.Fatalf("the page shows %q:\n%s", secret, w.Body)
			}
		}
		w = do(f, http.MethodGet, "/members/confirm?token="+f.en, nil)
		for _, want := range []string{"in this branch: Montreal branch,", "<li>First name: Ana</li>",
			"<li>City: Montréal, postal code starting with H2X</li>", "<li>Form sent on November 27, 2026 at 6:00 a.m. (Montréal time)</li>",
			"<li>News: yes. Confirming also subscribes you", "If this is not what you sent, don&#39;t press: someone else used your address."} {
			if !strings.Contains(w.Body.String(), want) {
				t.Fatalf("no %q:\n%s", want, w.Body)
			}
		}
		expect(t, do(f, http.MethodGet, "/members/confirm?lang=fr&token="+f.en, nil), http.StatusOK, "en", "Confirm your membership", "confirm")
		if len(f.tb.confirms) != 0 || f.tb.m.Status != member.StatusPending {
			t.Fatalf("a GET confirmed: %d %+v", len(f.tb.confirms), f.tb.m)
		}
	})

	t.Run("the page escapes what was typed, and says when confirming subscribes an opted-out address again", func(t *testing.T) {
		f := setup(t)
		f.tb.m.FirstName, f.tb.m.Address.City = `<b onclick="x()">Mallory</b>`, "Gatineau & <i>co</i>"
		f.tb.m.CreatedAt = time.Date(2026, 7, 1, 19, 5, 0, 0, time.UTC) // summer time: UTC-4
		st := f.tb.store()
		st.NewsFn = func(email string) (consent.State, bool, error) {
			return consent.State{Email: email, Subscribed: false}, email == "ana@example.org", nil
		}
		mux := http.NewServeMux()
		Handler{Service: Service{Store: st, Now: func() time.Time { return now }}}.Routes(mux)
		r := httptest.NewRequest(http.MethodGet, "/members/confirm?token="+f.en, nil)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		body := w.Body.String()
		for _, want := range []string{"<li>First name: &lt;b onclick=&#34;x()&#34;&gt;Mallory&lt;/b&gt;</li>",
			"<li>City: Gatineau &amp; &lt;i&gt;co&lt;/i&gt;, postal code starting with H2X</li>",
			"<li>Form sent on July 1, 2026 at 3:05 p.m. (Montréal time)</li>",
			"<li>News: yes. You unsubscribed from our news earlier: confirming this form subscribes you to our news again.</li>"} {
			if !strings.Contains(body, want) {
				t.Fatalf("no %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, "<b ") || strings.Contains(body, "<i>") {
			t.Fatalf("typed markup on the page:\n%s", body)
		}
		f.tb.m.NewsRequested = false // the same address, an application without news
		w = httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/members/confirm?token="+f.en, nil))
		if !strings.Contains(w.Body.String(), "<li>News: no. Confirming does not subscribe you to our news.</li>") {
			t.Fatalf("without news:\n%s", w.Body)
		}
	})

	t.Run("the button confirms, once; the link's page then says so, with no button", func(t *testing.T) {
		f := setup(t)
		w := do(f, http.MethodPost, "/members/confirm", url.Values{"token": {f.fr}})
		expect(t, w, http.StatusOK, "fr", "Bienvenue à "+organization.Default().Name.FR+"\u202f!", "")
		if !strings.Contains(w.Body.String(), "Section de Montréal") || f.tb.m.Status != member.StatusActive || len(f.tb.confirms) != 1 {
			t.Fatalf("%+v\n%s", f.tb.m, w.Body)
		}
		c := f.tb.confirms[0]
		if c.Consent == nil || c.Consent.FormURL != "https://api.example.org/members/confirm" || len(c.Emails) != 3 {
			t.Fatalf("confirmation %+v (the Referer's query holds the secret)", c)
		}
		expect(t, do(f, http.MethodPost, "/members/confirm", url.Values{"token": {f.fr}}), http.StatusGone, "fr", "Ce lien a déjà été utilisé", "")
		expect(t, do(f, http.MethodGet, "/members/confirm?token="+f.fr, nil), http.StatusGone, "fr", "Ce lien a déjà été utilisé", "")
		// Another of the links sent: already a member.
		expect(t, do(f, http.MethodGet, "/members/confirm?token="+f.en, nil), http.StatusOK, "en", "Your membership is already confirmed", "")
		expect(t, do(f, http.MethodPost, "/members/confirm?token="+f.en, url.Values{}), http.StatusOK, "en", "Your membership is already confirmed", "")
		if len(f.tb.confirms) != 1 {
			t.Fatalf("%d confirmations asked of the store, want 1", len(f.tb.confirms))
		}
	})

	for _, c := range []struct {
		name, title, lang string
		status            int
		raw               func(f fixture) string
	}{
		{"an expired link", "Ce lien a expiré", "fr", http.StatusGone, func(f fixture) string { return f.expired }},
		{"an unknown link", "This link is not valid", "en", http.StatusNotFound, func(f fixture) string { return f.unknown }},
		{"an unsubscribe link", "This link is not valid", "en", http.StatusNotFound, func(f fixture) string { return f.unsub }},
		{"a malformed link", "This link is not valid", "en", http.StatusNotFound, func(fixture) string { return "%27%3B--" }},
		{"no link", "This link is not valid", "en", http.StatusNotFound, func(fixture) string { return "" }},
	} {
		t.Run(c.name+" gets its page, no button, and confirms nothing", func(t *testing.T) {
			f := setup(t)
			raw := c.raw(f)
			expect(t, do(f, http.MethodGet, "/members/confirm?token="+url.QueryEscape(raw), nil), c.status, c.lang, c.title, "")
			expect(t, do(f, http.MethodPost, "/members/confirm", url.Values{"token": {raw}}), c.status, c.lang, c.title, "")
			if len(f.tb.confirms) != 0 || f.tb.m.Status != member.StatusPending {
				t.Fatalf("confirmed: %+v", f.tb.confirms)
			}
		})
	}

	t.Run("a member erased since gets the invalid-link page", func(t *testing.T) {
		f := setup(t)
		f.tb.m.Email = "someone-else@example.org"
		expect(t, do(f, http.MethodGet, "/members/confirm?token="+f.fr, nil), http.StatusNotFound, "fr", "Ce lien n’est pas valide", "")
	})
}
