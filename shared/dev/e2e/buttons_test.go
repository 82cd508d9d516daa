package e2e

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
)

var (
	formRE   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)
)

// button reads the one button of a page answered for pageURL: the address its form posts
// to, resolved as a browser does, and the token it carries.
func button(t *testing.T, pageURL string, res response) (string, string) {
	t.Helper()
	forms, hidden := formRE.FindAllStringSubmatch(string(res.body), -1), hiddenRE.FindAllStringSubmatch(string(res.body), -1)
	if res.status != http.StatusOK || len(forms) != 1 || len(hidden) != 1 {
		t.Fatalf("%s: want a page with one button, got %d with %d forms:\n%s", pageURL, res.status, len(forms), res.body)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	action, err := url.Parse(html.UnescapeString(forms[0][1]))
	if err != nil {
		t.Fatal(err)
	}
	return base.ResolveReference(action).String(), html.UnescapeString(hidden[0][1])
}

// press follows an emailed link as a person does: it opens the page, checks it has one
// button and may be posted from (same-origin referrer, never cached), and posts the
// button's form as a browser would, from the API's own origin. It returns the post's answer.
func (s *stack) press(link string) response {
	s.t.Helper()
	page := s.open(http.MethodGet, link)
	if page.header.Get("Referrer-Policy") != "same-origin" || page.header.Get("Cache-Control") != "no-store" {
		s.t.Fatalf("the button's page %s: headers %v", link, page.header)
	}
	return s.pressOn(link, page)
}

// pressOn posts the one button of page, answered for pageURL.
func (s *stack) pressOn(pageURL string, page response) response {
	s.t.Helper()
	action, tok := button(s.t, pageURL, page)
	return s.do(http.MethodPost, strings.TrimPrefix(action, s.url), "application/x-www-form-urlencoded",
		url.Values{"token": {tok}}.Encode(), map[string]string{"Origin": s.url, "Referer": pageURL})
}

// oneClick posts an unsubscribe link as a mail client's RFC 8058 one-click button does.
func (s *stack) oneClick(link string) response {
	s.t.Helper()
	return s.do(http.MethodPost, strings.TrimPrefix(link, s.url), "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", nil)
}

// scan fetches a link as mail scanners and link previews do: GET, HEAD, and GET again.
func (s *stack) scan(link string) {
	s.t.Helper()
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodGet} {
		if res := s.open(method, link); res.status != http.StatusOK {
			s.t.Fatalf("%s %s: %d %s", method, link, res.status, res.body)
		}
	}
	// Some scanners post the link's own address, with no body: that is no button's post.
	// (The portal link's address is POST /portal, which asks for an email address.)
	res := s.open(http.MethodPost, link)
	if want := http.StatusOK; !strings.Contains(link, "/portal?") && res.status != want || res.status >= 500 {
		s.t.Fatalf("POST %s: %d %s", link, res.status, res.body)
	}
}

// tokenUsed reports whether the link's token is spent.
func (s *stack) tokenUsed(link string) bool {
	s.t.Helper()
	raw := link[strings.Index(link, "token=")+len("token="):]
	for _, it := range s.items("token") {
		if tok := unmarshal[token.Token](s.t, it); tok.Hash == token.Hash(raw) {
			return tok.UsedAt != nil
		}
	}
	s.t.Fatalf("no token for %s", link)
	return false
}

// consentRecords are the consent records of an address, oldest first.
func (s *stack) consentRecords(email string) []consent.Record {
	s.t.Helper()
	var out []consent.Record
	for _, it := range s.items("consent") {
		if r := unmarshal[consent.Record](s.t, it); r.Email == email {
			out = append(out, r)
		}
	}
	for i := 1; i < len(out); i++ { // a scan's order is the table's: sort by time
		for j := i; j > 0 && out[j].At.Before(out[j-1].At); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// newsState is an address's news state item, if it has one.
func (s *stack) newsState(email string) (consent.State, bool) {
	s.t.Helper()
	for _, it := range s.items("news_state") {
		if st := unmarshal[consent.State](s.t, it); st.Email == email {
			return st, true
		}
	}
	return consent.State{}, false
}

// portalCalls counts the customer-portal sessions asked of stripe-mock, seen on the wire.
func portalCalls(t *testing.T, n *atomic.Int64) func(*setup) {
	return func(su *setup) {
		target, err := url.Parse(su.stripeURL)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/billing_portal/sessions") {
				n.Add(1)
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		su.stripeURL = srv.URL
	}
}

// portalLink makes email a subscriber with a Stripe customer, and returns the portal link
// that POST /portal emails them.
func (s *stack) portalLink(email, lang string) string {
	s.t.Helper()
	sub := s.subscribe(email, plan.Default()["solidarity-monthly"].Slug, lang)
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{
		Name: "Nora Kasongo", Line1: "77 Wellington St", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}), time.Now()))
	s.waitEmails(email, 1) // the welcome
	if res := s.postJSON("/portal", map[string]any{"email": email, "language": lang}, nil); res.status != http.StatusAccepted {
		s.t.Fatalf("POST /portal: %d %s", res.status, res.body)
	}
	for _, m := range s.waitEmails(email, 2) {
		if strings.Contains(m.Body, "/portal?token=") {
			return link(s.t, m, "/portal")
		}
	}
	s.t.Fatalf("no portal email to %s", email)
	return ""
}

// TestLinksActOnlyOnTheButton: for each emailed link, what a mail scanner does (GET, HEAD)
// changes nothing in the table, queues and sends no email and calls no one; the page's
// button does what the link is for, once.
func TestLinksActOnlyOnTheButton(t *testing.T) {
	var sessions atomic.Int64
	s := newStack(t, true, portalCalls(t, &sessions))
	const email = "scanned@example.org"

	t.Run("confirmation", func(t *testing.T) {
		s.join(joiner(email, nil))
		confirmURL := link(t, s.waitEmails(email, 1)[0], "/members/confirm")
		queued := len(s.items("email"))
		s.scan(confirmURL)
		page := s.open(http.MethodGet, confirmURL)
		if !strings.Contains(string(page.body), "Confirmez votre adhésion") || !strings.Contains(string(page.body), `lang="fr"`) {
			t.Fatalf("the link's page:\n%s", page.body)
		}
		s.waitEmails(email, 1) // no welcome
		if m := s.member(email); m.Status != member.StatusPending || m.News || len(s.items("email")) != queued ||
			s.tokenUsed(confirmURL) || len(s.consentRecords(email)) != 1 {
			t.Fatalf("after the scanner: %+v, %d emails queued (was %d), consent %+v", m, len(s.items("email")), queued, s.consentRecords(email))
		}
		if _, ok := s.newsState(email); ok {
			t.Fatal("a news state from a GET")
		}

		done := s.pressOn(confirmURL, page)
		if done.status != http.StatusOK || !strings.Contains(string(done.body), "Bienvenue à "+orgFR) {
			t.Fatalf("the button: %d\n%s", done.status, done.body)
		}
		if m := s.member(email); m.Status != member.StatusActive || !m.News || !s.tokenUsed(confirmURL) {
			t.Fatalf("after the button: %+v", m)
		}
		if recs := s.consentRecords(email); len(recs) != 2 || recs[1].Source != "membership_confirmation" || strings.Contains(recs[1].FormURL, "token") {
			t.Fatalf("consent %+v", recs)
		}
		s.waitEmails(email, 2) // the welcome
		if again := s.pressOn(confirmURL, page); again.status != http.StatusGone {
			t.Fatalf("the button again: %d\n%s", again.status, again.body)
		}
		if res := s.open(http.MethodGet, confirmURL); res.status != http.StatusGone || strings.Contains(string(res.body), "<form") {
			t.Fatalf("the used link: %d\n%s", res.status, res.body)
		}
		s.waitEmails(email, 2)
	})

	t.Run("unsubscribe, and back", func(t *testing.T) {
		unsub := link(t, s.waitEmails(email, 2)[1], "/unsubscribe")
		queued, records := len(s.items("email")), len(s.consentRecords(email))
		s.scan(unsub)
		page := s.open(http.MethodGet, unsub)
		if !strings.Contains(string(page.body), "Vous désabonner de nos nouvelles") {
			t.Fatalf("the link's page:\n%s", page.body)
		}
		if m := s.member(email); !m.News || len(s.consentRecords(email)) != records || len(s.items("email")) != queued {
			t.Fatalf("after the scanner: %+v, consent %+v", m, s.consentRecords(email))
		}
		if st, _ := s.newsState(email); !st.Subscribed {
			t.Fatalf("news state %+v", st)
		}

		done := s.pressOn(unsub, page)
		if done.status != http.StatusOK || !strings.Contains(string(done.body), "Vous êtes désabonné·e") {
			t.Fatalf("the button: %d\n%s", done.status, done.body)
		}
		recs := s.consentRecords(email)
		if m := s.member(email); m.News || len(recs) != records+1 || recs[len(recs)-1].Granted || recs[len(recs)-1].Source != "unsubscribe_button" {
			t.Fatalf("after the button: %+v, consent %+v", m, recs)
		}
		if st, _ := s.newsState(email); st.Subscribed || st.Source != "unsubscribe_button" {
			t.Fatalf("news state %+v", st)
		}
		// The way back: the result page's own button.
		back := s.pressOn(s.url+"/unsubscribe", done)
		if back.status != http.StatusOK || !strings.Contains(string(back.body), "Vous êtes de nouveau abonné·e") {
			t.Fatalf("the way back: %d\n%s", back.status, back.body)
		}
		recs = s.consentRecords(email)
		last := recs[len(recs)-1]
		if m := s.member(email); !m.News || len(recs) != records+2 || !last.Granted || last.Source != "resubscribe_link" ||
			last.Version != consent.ResubscribeVersion || !strings.Contains(last.Wording, "Me réabonner") {
			t.Fatalf("after the way back: %+v, consent %+v", m, recs)
		}
		if st, _ := s.newsState(email); !st.Subscribed || st.Source != "resubscribe_link" {
			t.Fatalf("news state %+v", st)
		}
		if again := s.pressOn(s.url+"/unsubscribe", done); again.status != http.StatusOK || len(s.consentRecords(email)) != records+2 {
			t.Fatalf("the way back again: %d, consent %+v", again.status, s.consentRecords(email))
		}
		// A mail client's one-click post still unsubscribes at once.
		if res := s.oneClick(unsub); res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes désabonné·e") {
			t.Fatalf("one-click: %d\n%s", res.status, res.body)
		}
		recs = s.consentRecords(email)
		if m := s.member(email); m.News || len(recs) != records+3 || recs[len(recs)-1].Source != "unsubscribe_one_click" {
			t.Fatalf("after one-click: %+v, consent %+v", m, recs)
		}
		if len(s.items("email")) != queued {
			t.Fatalf("%d emails queued, was %d", len(s.items("email")), queued)
		}
		s.waitEmails(email, 2)
	})

	t.Run("portal", func(t *testing.T) {
		const subscriber = "scanned-portal@example.org"
		portalURL := s.portalLink(subscriber, "en")
		sent, queued := len(s.env.SentEmails(t, subscriber)), len(s.items("email"))
		before := sessions.Load()
		s.scan(portalURL)
		page := s.open(http.MethodGet, portalURL)
		if !strings.Contains(string(page.body), "Manage your subscription") || !strings.Contains(string(page.body), `lang="en"`) {
			t.Fatalf("the link's page:\n%s", page.body)
		}
		if n := sessions.Load() - before; n != 0 || s.tokenUsed(portalURL) || len(s.items("email")) != queued {
			t.Fatalf("after the scanner: %d portal sessions, token used %v", n, s.tokenUsed(portalURL))
		}
		done := s.pressOn(portalURL, page)
		if done.status != http.StatusSeeOther || !strings.HasPrefix(done.header.Get("Location"), "https://") {
			t.Fatalf("the button: %d %v\n%s", done.status, done.header, done.body)
		}
		if n := sessions.Load() - before; n != 1 || !s.tokenUsed(portalURL) {
			t.Fatalf("after the button: %d portal sessions, token used %v", n, s.tokenUsed(portalURL))
		}
		if again := s.pressOn(portalURL, page); again.status != http.StatusGone || sessions.Load()-before != 1 {
			t.Fatalf("the button again: %d, %d sessions", again.status, sessions.Load()-before)
		}
		s.waitEmails(subscriber, sent)
	})
}

// clickButton presses the page's one button in the browser, and waits for the page the
// post answers (a new title), which it returns.
func (b *browser) clickButton() string {
	b.t.Helper()
	before := b.text("h1")
	b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var h1 string
		if err := chromedp.Run(b.ctx, chromedp.Text("h1", &h1, chromedp.ByQuery, chromedp.AtLeast(0))); err == nil && h1 != "" && h1 != before {
			return h1
		}
		if time.Now().After(deadline) {
			var loc string
			_ = chromedp.Run(b.ctx, chromedp.Location(&loc))
			b.t.Fatalf("the page never changed from %q (at %s)", before, loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// standInPortal answers the browser's requests to https addresses (Stripe's customer
// portal; stripe-mock's sessions name a host of Stripe's) with a page of its own, as the
// machine has no way out; it reports the address asked for.
func (b *browser) standInPortal() *atomic.Value {
	b.t.Helper()
	var asked atomic.Value
	asked.Store("")
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			asked.Store(e.Request.URL)
			go func() {
				_ = chromedp.Run(b.ctx, fetch.FulfillRequest(e.RequestID, http.StatusOK).
					WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}}).
					WithBody("PGgxPlN0cmlwZSBwb3J0YWw8L2gxPg==")) // <h1>Stripe portal</h1>
			}()
		}
	})
	b.run(fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "https://*"}}))
	return &asked
}

// TestBrowserButtons: in a real browser, in French and English, with JavaScript and
// without, each emailed link's page shows its one button, and pressing it confirms the
// membership, unsubscribes (and subscribes again), or opens the customer portal.
func TestBrowserButtons(t *testing.T) {
	s := newStack(t, true)
	type run struct {
		js              bool
		lang            string
		email           string
		confirm, portal string
	}
	var runs []*run
	for _, js := range []bool{true, false} {
		for _, lang := range []string{"fr", "en"} {
			r := &run{js: js, lang: lang, email: "button-" + lang + map[bool]string{true: "-js", false: "-nojs"}[js] + "@example.org"}
			s.join(joiner(r.email, map[string]any{"language": lang}))
			runs = append(runs, r)
		}
	}
	for _, r := range runs {
		r.confirm = link(t, s.waitEmails(r.email, 1)[0], "/members/confirm")
		r.portal = s.portalLink("portal-"+r.email, r.lang)
	}
	words := map[string]map[string]string{
		"fr": {"confirm": "Confirmez votre adhésion", "confirmed": "Bienvenue à " + orgFR + "\u202f!", "unsub": "Vous désabonner de nos nouvelles\u202f?",
			"unsubscribed": "Vous êtes désabonné·e", "again": "Vous êtes de nouveau abonné·e", "portal": "Gérer votre abonnement"},
		"en": {"confirm": "Confirm your membership", "confirmed": "Welcome to " + orgEN + "!", "unsub": "Unsubscribe from our news?",
			"unsubscribed": "You are unsubscribed", "again": "You are subscribed again", "portal": "Manage your subscription"},
	}
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		asked := b.standInPortal()
		for _, r := range runs {
			if r.js != js {
				continue
			}
			w := words[r.lang]
			name := r.lang + map[bool]string{true: "-js", false: "-nojs"}[js]
			b.open(r.confirm)
			if h := b.text("h1"); h != w["confirm"] || s.member(r.email).Status != member.StatusPending {
				t.Fatalf("%s: the confirmation link's page says %q", name, h)
			}
			if !js {
				b.shot("button-confirm-" + r.lang)
			}
			if h := b.clickButton(); h != w["confirmed"] || s.member(r.email).Status != member.StatusActive {
				t.Fatalf("%s: after the button, %q", name, h)
			}

			b.open(link(t, s.waitEmails(r.email, 2)[1], "/unsubscribe"))
			if h := b.text("h1"); h != w["unsub"] || !s.member(r.email).News {
				t.Fatalf("%s: the unsubscribe link's page says %q", name, h)
			}
			if h := b.clickButton(); h != w["unsubscribed"] || s.member(r.email).News {
				t.Fatalf("%s: after the button, %q", name, h)
			}
			if !js {
				b.shot("button-unsubscribed-" + r.lang)
			}
			if h := b.clickButton(); h != w["again"] || !s.member(r.email).News {
				t.Fatalf("%s: after the way back, %q", name, h)
			}

			b.open(r.portal)
			if h := b.text("h1"); h != w["portal"] {
				t.Fatalf("%s: the portal link's page says %q", name, h)
			}
			if h := b.clickButton(); h != "Stripe portal" || !strings.HasPrefix(asked.Load().(string), "https://") || !s.tokenUsed(r.portal) {
				t.Fatalf("%s: after the button, %q at %q", name, h, asked.Load())
			}
		}
	}
}
