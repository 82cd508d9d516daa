package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/organization"
)

// withOtherOrg runs the stack for an organization that is not the sample: the forms,
// the pages and the emails must name it, never "Solidarity".
func withOtherOrg(s *setup) { s.opts.Org = otherorg.Identity }

// sample is what the other organization's pages and emails must never say.
var sample = []string{"Solidarity", "Solidarité"}

// orgEN and orgFR are the compiled-in organization's names (the sample's, unless the
// deployer changed infra/organization.json), which the other tests' pages and emails say.
var orgEN, orgFR = organization.Default().Name.EN, organization.Default().Name.FR

// pageHTML is the whole page as the browser holds it.
func (b *browser) pageHTML() string {
	b.t.Helper()
	var s string
	b.run(chromedp.OuterHTML("html", &s, chromedp.ByQuery))
	return s
}

// namesOtherOrg fails the test unless the page shows the other organization's words in
// each of langs and nowhere says the sample's name.
func namesOtherOrg(t *testing.T, b *browser, what string, langs ...string) {
	t.Helper()
	body := b.text("body")
	for _, lang := range langs {
		for _, w := range otherorg.Words()[lang] {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks the %s words %q:\n%s", what, lang, w, body)
			}
		}
	}
	page := b.pageHTML()
	for _, w := range sample {
		if strings.Contains(page, w) {
			t.Errorf("%s says %q:\n%s", what, w, page)
		}
	}
}

// emailNamesOtherOrg fails the test unless the email names the other organization in
// lang, ends with its identification, comes from its sender name, and nowhere says the
// sample's name.
func emailNamesOtherOrg(t *testing.T, e emulator.SentEmail, lang string) {
	t.Helper()
	for _, w := range otherorg.Words()[lang] {
		if !strings.Contains(e.Body, w) {
			t.Errorf("email %q lacks the %s words %q:\n%s", e.Subject, lang, w, e.Body)
		}
	}
	for _, w := range sample {
		if strings.Contains(e.Subject+e.Body+e.Source, w) {
			t.Errorf("email %q says %q:\n%s", e.Subject, w, e.Body)
		}
	}
	want := otherorg.Identity.Sender.EN
	if lang == "fr" {
		want = otherorg.Identity.Sender.FR
	}
	if name, _, err := organization.DecodeFrom(e.Source); err != nil || name != want {
		t.Errorf("email %q comes from %q (%q, %v), want the name %q", e.Subject, e.Source, name, err, want)
	}
}

// TestBrowserOtherOrgForms: with an organization that is not the sample, every form,
// in English and in French, with JavaScript and without, names it in the page's
// language in its title and header, ends with its identification in that language,
// shows its logo and colour, and nowhere says "Solidarity".
func TestBrowserOtherOrgForms(t *testing.T) {
	s := newStack(t, false, withWeb, withOtherOrg)
	names := map[string]string{"en": otherorg.Identity.Name.EN, "fr": otherorg.Identity.Name.FR}
	switches := map[string]string{"en": "Français", "fr": "English"}
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, c := range []struct{ page, lang string }{{"/", "en"}, {"/join.html", "en"}, {"/subscribe.html", "en"}, {"/manage.html", "en"},
			{"/index.fr.html", "fr"}, {"/join.fr.html", "fr"}, {"/subscribe.fr.html", "fr"}, {"/manage.fr.html", "fr"}} {
			page, lang := c.page, c.lang
			what := page
			if !js {
				what += " without JavaScript"
			}
			b.open(page)
			var title, logo, accent string
			var enhanced bool
			b.run(chromedp.Title(&title),
				chromedp.Evaluate(`(document.querySelector("header.brand img") || {getAttribute: () => ""}).getAttribute("src")`, &logo),
				chromedp.Evaluate(`getComputedStyle(document.querySelector("button[type=submit]")).backgroundColor`, &accent),
				chromedp.Evaluate(`document.querySelector("form").hasAttribute("data-path")`, &enhanced))
			if enhanced != js {
				t.Fatalf("%s: forms.js ran: %v", what, enhanced)
			}
			if !strings.Contains(title, names[lang]) || strings.Contains(title, names[otherLang(lang)]) {
				t.Errorf("%s: title %q", what, title)
			}
			if h := strings.Join(strings.Fields(b.text("header.brand")), " "); h != names[lang]+" "+switches[lang] {
				t.Errorf("%s: header %q", what, h)
			}
			if logo != otherorg.Identity.LogoURL || accent != "rgb(27, 94, 32)" {
				t.Errorf("%s: logo %q, button colour %q", what, logo, accent)
			}
			footer := b.text("footer")
			for _, w := range otherorg.Words()[lang] {
				if !strings.Contains(footer, w) {
					t.Errorf("%s: the footer lacks the %s words %q: %q", what, lang, w, footer)
				}
			}
			if strings.Contains(footer, names[otherLang(lang)]) {
				t.Errorf("%s: the footer names the organization in the other language: %q", what, footer)
			}
			namesOtherOrg(t, b, what, lang)
		}
	}
}

// TestBrowserOtherOrgGiveAndJoin: with an organization that is not the sample, a gift in
// French from the donation page (JavaScript on) and a membership sign-up in English
// without JavaScript: the pages that follow and the emails that result name it in their
// language, with its identification and sender name, and never "Solidarity".
func TestBrowserOtherOrgGiveAndJoin(t *testing.T) {
	s := newStack(t, true, withWeb, withOtherOrg)

	b := newBrowser(t, s, true)
	b.open("/index.fr.html")
	b.pick("amount_cents", "5000")
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie.other@example.org"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/_local/checkout/")
	b.run(chromedp.Click(`form[action$="/pay"] button`, chromedp.ByQuery))
	b.waitFor("/donations/thanks")
	if h := b.text("h1"); h != "Merci\u202f!" {
		t.Fatalf("thanks page says %q", h)
	}
	namesOtherOrg(t, b, "the thanks page", "fr")
	b.shot("otherorg-donate-thanks-fr")
	receipt := s.waitEmails("noemie.other@example.org", 1)[0]
	if !strings.HasPrefix(receipt.Subject, "Reçu de votre don") {
		t.Errorf("receipt %q", receipt.Subject)
	}
	emailNamesOtherOrg(t, receipt, "fr")

	nojs := newBrowser(t, s, false)
	nojs.joinInToronto(t, "jasper.other@example.org")
	namesOtherOrg(t, nojs, "the check-your-inbox page", "en")
	confirm := s.waitEmails("jasper.other@example.org", 1)[0]
	emailNamesOtherOrg(t, confirm, "en")
	nojs.open(link(t, confirm, "/members/confirm"))
	namesOtherOrg(t, nojs, "the confirmation page", "en")
	if h := nojs.clickButton(); !strings.Contains(h, "Fightback") {
		t.Errorf("welcome page: %q", nojs.text("main"))
	}
	namesOtherOrg(t, nojs, "the welcome page", "en")
	nojs.shot("otherorg-join-welcome-en")
}

// joinInToronto fills in join.html in English for Jasper Okoro of Toronto at email,
// sends it and lands on "Check your inbox".
func (b *browser) joinInToronto(t *testing.T, email string) {
	t.Helper()
	b.open("/join.html")
	b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": email,
		"#city": "Toronto", "#postal_code": "M5V 2T6"})
	b.run(chromedp.SetValue("#province", "ON", chromedp.ByQuery))
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/members/check-email")
	if h := b.text("h1"); h != "Check your inbox" {
		t.Fatalf("after joining at %s: %q", email, h)
	}
}
