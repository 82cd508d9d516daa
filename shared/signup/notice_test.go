package signup

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// mintConfirm adds a fresh French confirmation link of app_1 to tb, and returns it.
func mintConfirm(tb *linkTable) string {
	raw, tok := token.Mint(token.Confirm, "ana@example.org", "fr", now.Add(-time.Hour), token.ConfirmTTL)
	tok.Ref = "app_1"
	tb.tokens[tok.Hash] = tok
	return raw
}

var noticeKey = []byte("a-hashing-key-of-at-least-32-bytes-long")

func TestNotices(t *testing.T) {
	k := NewNotices(noticeKey)
	n := Notice{Masked: "a•••@example.org", Branch: "montreal", Issued: now}
	v := k.Seal(n)
	if v == "" || strings.Contains(v, "example") || strings.ContainsAny(v, "+/=&?#") {
		t.Fatalf("sealed %q: not a plain URL value, or it spells the address", v)
	}
	if got, ok := k.Open(v, now.Add(NoticeTTL-time.Second)); !ok || got != n {
		t.Fatalf("Open = %+v %v, want %+v", got, ok, n)
	}
	payload, mac, _ := strings.Cut(v, ".")
	forge := func(s string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(s)) + "." + mac
	}
	for _, c := range []struct {
		name, v string
		at      time.Time
	}{
		{"empty", "", now},
		{"expired", v, now.Add(NoticeTTL)},
		{"from the future", v, now.Add(-2 * time.Minute)},
		{"no seal", payload, now},
		{"an empty seal", payload + ".", now},
		{"a changed address", forge("1|" + "1795780800" + "|montreal|m•••@evil.example"), now},
		{"words of a stranger's", forge("1|1795780800|montreal|Call 555-0199 to claim your prize •••"), now},
		{"another key's", NewNotices([]byte("another-hashing-key-of-32-bytes-or-more")).Seal(n), now},
		{"a truncated seal", v[:len(v)-2], now},
		{"padding", v + "=", now},
		{"two dots", payload + "." + mac + "." + mac, now},
		{"garbage", "%%%.!!!", now},
		{"oversized", strings.Repeat("A", maxNotice+1), now},
	} {
		if got, ok := k.Open(c.v, c.at); ok {
			t.Errorf("%s: opened %+v", c.name, got)
		}
	}
	if (Notices{}).Seal(n) != "" || NewNotices(nil).Enabled() {
		t.Error("without a key a notice is sealed")
	}
	if _, ok := (Notices{}).Open(v, now); ok {
		t.Error("without a key a notice opens")
	}
	for _, bad := range []Notice{
		{Masked: "", Branch: "montreal", Issued: now},
		{Masked: "ana@example.org", Branch: "montreal", Issued: now}, // not masked
		{Masked: "a•••@example.org", Branch: "Not A Slug", Issued: now},
		{Masked: "a•••@example.org\n<b>", Branch: "montreal", Issued: now},
		{Masked: "a•••@example.org", Branch: "montreal"},
	} {
		if k.Seal(bad) != "" {
			t.Errorf("sealed %+v", bad)
		}
	}
	// A notice without a branch (the address routed to none) is one too.
	if got, ok := k.Open(k.Seal(Notice{Masked: "•••", Issued: now}), now); !ok || got.Branch != "" {
		t.Errorf("no branch: %+v %v", got, ok)
	}
}

// Whatever the parameter holds, Open never panics, and opens only what Seal makes
// (the same value sealed again).
func FuzzOpenNotice(f *testing.F) {
	k := NewNotices(noticeKey)
	f.Add(k.Seal(Notice{Masked: "a•••@example.org", Branch: "montreal", Issued: now}))
	f.Add(k.Seal(Notice{Masked: "•••", Issued: now}))
	f.Add("")
	f.Add("eA.eA")
	f.Add("MXwxfG18w6I.AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, v string) {
		n, ok := k.Open(v, now)
		if !ok {
			return
		}
		if again := k.Seal(n); again != v {
			t.Fatalf("opened %q as %+v, which seals as %q", v, n, again)
		}
	})
}

// joinStore is a member table where ana@example.org is absent, pending or active.
func joinStore(state string) *fakeStore {
	existing := member.Member{ID: "mem_1", Email: "ana@example.org", FirstName: "Ana", Branch: "at-large", Status: state,
		Language: "en", CreatedAt: now.Add(-time.Hour), NoticeSentAt: now.Add(-time.Minute), Notices: 1, Application: "app_1"}
	return &fakeStore{
		MemberFn: func(string) (member.Member, error) {
			if state == "" {
				return member.Member{}, member.ErrNotFound
			}
			return existing, nil
		},
		CreateMemberFn: func(member.Member, outbox.Email, *consent.Record) error { return nil },
		RenotifyFn:     func(member.Member, time.Time, outbox.Email) error { return nil },
		ReapplyFn:      func(member.Member, time.Time, member.Application, outbox.Email, *consent.Record) error { return nil },
		ApplicationsFn: func(string) ([]member.Application, error) { return nil, nil },
	}
}

// pagesServer is the signup routes behind the sites' handler, with the next steps given.
func pagesServer(st member.Store, steps httpapi.Steps, clock *time.Time) http.Handler {
	mux := http.NewServeMux()
	Handler{Service: Service{Store: st, Now: func() time.Time { return *clock }}, Notices: NewNotices(noticeKey)}.Routes(mux)
	return httpapi.Sites{Own: "https://api.example.org", Steps: steps}.Handler(mux)
}

var steps = httpapi.Steps{Appeal: "https://don.example.org/", Join: "https://don.example.org/join.html", Subscribe: "https://don.example.org/subscribe.html"}

func get(h http.Handler, target string) (int, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	return w.Code, w.Body.String()
}

func joinForm(lang string) url.Values {
	return url.Values{"first_name": {"Ana"}, "last_name": {"Roy"}, "email": {"Ana.Roy@Example.org"}, "language": {lang},
		"address.city": {"Montréal"}, "address.province": {"QC"}, "address.postal_code": {"H2X 1Y4"}}
}

func TestCheckEmailPage(t *testing.T) {
	clock := now
	for _, c := range []struct {
		lang, title, to, branch string
	}{
		{"en", "<h1>Check your inbox</h1>", "<li>Email sent to: a•••@example.org</li>", "<li>Your branch: Montreal branch</li>"},
		{"fr", "<h1>Vérifiez votre boîte de réception</h1>", "<li>Courriel envoyé à : a•••@example.org</li>", "<li>Votre section : Section de Montréal</li>"},
	} {
		t.Run("a no-JS join lands on the page of its own address and branch, in "+c.lang, func(t *testing.T) {
			h := pagesServer(joinStore(""), steps, &clock)
			r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(joinForm(c.lang).Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			loc := w.Header().Get("Location")
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/members/check-email?lang="+c.lang+"&notice=") {
				t.Fatalf("POST: %d %q", w.Code, loc)
			}
			if strings.Contains(loc, "example") || strings.Contains(loc, "montreal") {
				t.Fatalf("the redirect spells the address or the branch out: %q", loc)
			}
			status, page := get(h, loc)
			for _, want := range []string{c.title, c.to, c.branch, `lang="` + c.lang + `"`,
				`href="https://don.example.org/"`, `href="` + httpapi.InLanguage("https://don.example.org/subscribe.html", i18n.Lang(c.lang)) + `"`} {
				if status != http.StatusOK || !strings.Contains(page, want) {
					t.Errorf("%d: no %q on\n%s", status, want, page)
				}
			}
			if strings.Contains(page, "ana.roy") || strings.Contains(page, "Ana.Roy") {
				t.Errorf("the whole address is on the page:\n%s", page)
			}
		})
	}

	t.Run("the JSON answer carries the same notice, for forms.js", func(t *testing.T) {
		h := pagesServer(joinStore(""), steps, &clock)
		body, _ := json.Marshal(map[string]any{"first_name": "Ana", "last_name": "Roy", "email": "ana@example.org", "language": "en",
			"address": map[string]string{"city": "Montréal", "province": "QC", "postal_code": "H2X 1Y4"}})
		r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var got struct{ Status, Notice string }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusAccepted || got.Status != "pending_confirmation" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		_, page := get(h, "/members/check-email?lang=en&notice="+url.QueryEscape(got.Notice))
		if !strings.Contains(page, "a•••@example.org") || !strings.Contains(page, "Montreal branch") {
			t.Fatalf("the JSON's notice does not restate the post:\n%s", page)
		}
	})

	t.Run("a bot's post of words for an address mints no notice of them", func(t *testing.T) {
		h := pagesServer(joinStore(""), steps, &clock)
		for email, want := range map[string]bool{
			"x@ URGENT: your membership has lapsed. call 1-800-555-0100": false, // not an address: no notice
			"ana@example.org": true, // a valid post: the same answer as a person's
		} {
			body, _ := json.Marshal(map[string]any{"first_name": "Ana", "last_name": "Roy", "email": email, "language": "en", "website": "x",
				"address": map[string]string{"city": "Montréal", "province": "QC", "postal_code": "H2X 1Y4"}})
			r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var got struct{ Notice string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusAccepted || (got.Notice != "") != want {
				t.Fatalf("%q: %d %s", email, w.Code, w.Body)
			}
			if _, page := get(h, "/members/check-email?lang=en&notice="+url.QueryEscape(got.Notice)); strings.Contains(page, "URGENT") {
				t.Fatalf("the page says the bot's words:\n%s", page)
			}
		}
	})

	t.Run("the same page for a new address, a pending one and a member", func(t *testing.T) {
		var pages []string
		for _, state := range []string{"", member.StatusPending, member.StatusActive} {
			h := pagesServer(joinStore(state), steps, &clock)
			r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(joinForm("en").Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("%q: %d %s", state, w.Code, w.Body)
			}
			_, page := get(h, w.Header().Get("Location"))
			pages = append(pages, w.Header().Get("Location")+"\n"+page)
		}
		if pages[0] != pages[1] || pages[0] != pages[2] {
			t.Fatalf("the answers differ by the address's state:\n%s\n---\n%s\n---\n%s", pages[0], pages[1], pages[2])
		}
		if !strings.Contains(pages[0], "Montreal branch") {
			t.Fatalf("the page names the stored branch, not the post's:\n%s", pages[0])
		}
	})

	sealed := NewNotices(noticeKey).Seal(Notice{Masked: "a•••@example.org", Branch: "montreal", Issued: now})
	_, generic := get(pagesServer(joinStore(""), steps, &clock), "/members/check-email?lang=en")
	for _, c := range []struct{ name, query string }{
		{"unsigned", "&notice=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte("1|1795780800|montreal|Call 555-0199 •••")))},
		{"forged", "&notice=" + url.QueryEscape(base64.RawURLEncoding.EncodeToString([]byte("1|1795780800|montreal|Call 555-0199 •••"))+"."+strings.SplitN(sealed, ".", 2)[1])},
		{"another key's", "&notice=" + NewNotices([]byte("another-hashing-key-of-32-bytes-or-more")).Seal(Notice{Masked: "Call 555-0199 •••", Issued: now})},
		{"expired", "&notice=" + sealed + "&at=later"},
		{"text of its own", "&notice=Call+555-0199&email=victim@example.org&branch=Free+money"},
	} {
		t.Run("a notice "+c.name+" shows the plain page, and nothing it carries", func(t *testing.T) {
			later := now
			if c.name == "expired" {
				later = now.Add(NoticeTTL)
			}
			status, page := get(pagesServer(joinStore(""), steps, &later), "/members/check-email?lang=en"+c.query)
			if status != http.StatusOK || page != generic {
				t.Fatalf("%d, not the plain page:\n%s", status, page)
			}
			for _, forged := range []string{"555-0199", "victim", "Free money", "a•••", "Email sent to"} {
				if strings.Contains(page, forged) {
					t.Fatalf("%q on the page:\n%s", forged, page)
				}
			}
		})
	}
	if !strings.Contains(generic, "<h1>Check your inbox</h1>") || !strings.Contains(generic, "We have sent you an email") {
		t.Fatalf("the plain page:\n%s", generic)
	}
}

func TestWelcomePage(t *testing.T) {
	setup := func(st httpapi.Steps) (http.Handler, string, *linkTable) {
		tb := &linkTable{tokens: map[string]token.Token{}, m: member.Member{ID: "mem_1", Email: "ana@example.org", FirstName: "Ana",
			Branch: "montreal", Status: member.StatusPending, Language: "fr", CreatedAt: now.Add(-time.Hour)}}
		raw := mintConfirm(tb)
		mux := http.NewServeMux()
		Handler{Service: Service{Store: tb.store(), Now: func() time.Time { return now }}}.Routes(mux)
		return httpapi.Sites{Own: "https://api.example.org", Steps: st}.Handler(mux), raw, tb
	}
	post := func(h http.Handler, raw string) string {
		r := httptest.NewRequest(http.MethodPost, "/members/confirm", strings.NewReader(url.Values{"token": {raw}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Body.String()
	}
	t.Run("names the branch and offers the appeal and the paper", func(t *testing.T) {
		h, raw, _ := setup(steps)
		page := post(h, raw)
		for _, want := range []string{"Section de Montréal", "<h2 id=\"next-title\">Et maintenant\u202f?</h2>",
			`<a href="https://don.example.org/" data-step="appeal">Retourner à la campagne de dons</a>`,
			`<a href="https://don.example.org/subscribe.fr.html" data-step="subscribe">S’abonner à notre journal</a>`} {
			if !strings.Contains(page, want) {
				t.Errorf("no %q on\n%s", want, page)
			}
		}
		if strings.Contains(page, "join.html") {
			t.Errorf("a member is asked to join:\n%s", page)
		}
	})
	t.Run("offers only the steps configured", func(t *testing.T) {
		h, raw, _ := setup(httpapi.Steps{Subscribe: "https://don.example.org/subscribe.html"})
		page := post(h, raw)
		if !strings.Contains(page, `data-step="subscribe"`) || strings.Contains(page, `data-step="appeal"`) {
			t.Errorf("the steps:\n%s", page)
		}
		h, raw, _ = setup(httpapi.Steps{})
		if page := post(h, raw); strings.Contains(page, "next-title") || strings.Contains(page, "data-step") {
			t.Errorf("a next step without an address:\n%s", page)
		}
	})
}
