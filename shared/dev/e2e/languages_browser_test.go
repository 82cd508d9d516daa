package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/webforms"
)

func otherLang(lang string) string {
	if lang == "fr" {
		return "en"
	}
	return "fr"
}

// formPages are the forms' English pages; webforms.FileName names their French ones.
var formPages = []string{"index.html", "join.html", "subscribe.html", "manage.html"}

// otherWords are the texts of the forms' templates in the language that is not lang:
// the other side of every {{t "English" "Français"}} (when the two differ).
func otherWords(t *testing.T, lang string) []string {
	t.Helper()
	pairs, err := webforms.Pairs(os.DirFS(filepath.Join(emulator.Root(), "web")))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pairs {
		own, other := p.EN, p.FR
		if lang == "fr" {
			own, other = other, own
		}
		if own != other {
			out = append(out, other)
		}
	}
	return out
}

// visibleText is what the page shows (document.body.innerText) but the language switch.
func (b *browser) visibleText() string {
	b.t.Helper()
	var s string
	b.run(chromedp.Evaluate(`(() => {
		const sw = document.querySelector("a[data-switch]");
		const shown = sw.style.display;
		sw.style.display = "none";
		const text = document.body.innerText;
		sw.style.display = shown;
		return text;
	})()`, &s))
	return s
}

// acceptLanguage makes the browser ask for pages in the languages of header.
func (b *browser) acceptLanguage(header string) {
	b.t.Helper()
	b.run(network.Enable(), network.SetExtraHTTPHeaders(network.Headers{"Accept-Language": header}))
}

// TestBrowserOneLanguageAtATime: every form, in English and in French, with JavaScript
// and without, is in one language: the page's lang is it, no element says otherwise but
// the language switch (marked with the other language), and the page shows no text of
// the other language's side of the templates (document.body.innerText, the switch
// aside) once forms.js has filled in the progress. The switch leads to the same form in
// the other language; with JavaScript what was typed survives it (the honeypot does
// not), and is not put back twice. Screenshots of each page in each language.
func TestBrowserOneLanguageAtATime(t *testing.T) {
	s := newStack(t, false, withWeb)
	words := map[string][]string{"en": otherWords(t, "en"), "fr": otherWords(t, "fr")}
	progress := map[string]string{"en": "raised of", "fr": "amassés sur"}
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, page := range formPages {
			for _, lang := range []string{"en", "fr"} {
				file := webforms.FileName(page, i18n.Lang(lang))
				what := file
				if !js {
					what += " without JavaScript"
				}
				b.open("/" + file)
				if page == "index.html" && js {
					waitContains(b, ".progress .raised", progress[lang]) // forms.js fills it in
				}
				var htmlLang, switchLang, switchHreflang, switchHref string
				var foreign []string
				b.run(chromedp.Evaluate(`document.documentElement.lang`, &htmlLang),
					chromedp.Evaluate(`Array.from(document.querySelectorAll("body [lang]")).filter(e => !e.matches("a[data-switch]") && e.lang !== document.documentElement.lang).map(e => e.outerHTML)`, &foreign),
					chromedp.AttributeValue("a[data-switch]", "lang", &switchLang, nil, chromedp.ByQuery),
					chromedp.AttributeValue("a[data-switch]", "hreflang", &switchHreflang, nil, chromedp.ByQuery),
					chromedp.AttributeValue("a[data-switch]", "href", &switchHref, nil, chromedp.ByQuery))
				other := otherLang(lang)
				if htmlLang != lang || len(foreign) > 0 {
					t.Errorf("%s: <html lang=%q>, elements in another language: %v", what, htmlLang, foreign)
				}
				wantHref := webforms.FileName(page, i18n.Lang(other))
				if other == "en" {
					wantHref += "?lang=en"
				}
				if switchLang != other || switchHreflang != other || switchHref != wantHref {
					t.Errorf("%s: the switch %q (lang %q, hreflang %q)", what, switchHref, switchLang, switchHreflang)
				}
				shown := b.visibleText()
				for _, w := range words[lang] {
					if strings.Contains(shown, w) {
						t.Errorf("%s shows %q, the %s text:\n%s", what, w, other, shown)
					}
				}
				if js {
					b.shot("forms-" + strings.TrimSuffix(page, ".html") + "-" + lang)
				}
				b.run(chromedp.Click("a[data-switch]", chromedp.ByQuery))
				b.waitAt(webforms.FileName(page, i18n.Lang(other)))
				if got := b.lang(); got != other {
					t.Errorf("%s: the switch led to a page in %q", what, got)
				}
			}
		}
	}
}

// lang is the page's <html lang>.
func (b *browser) lang() string {
	b.t.Helper()
	var l string
	b.run(chromedp.Evaluate(`document.documentElement.lang`, &l))
	return l
}

// waitContains waits until the element's text contains want (a script fills it in).
func waitContains(b *browser, sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.text(sel)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s says %q, want it to contain %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAt waits until the browser is at the form file ("join.fr.html"; "index.html" is
// also "/", where a file server sends it), its body loaded.
func (b *browser) waitAt(file string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var loc string
		if err := chromedp.Run(b.ctx, chromedp.Location(&loc)); err == nil {
			if u, err := url.Parse(loc); err == nil && (u.Path == "/"+file || (file == "index.html" && u.Path == "/")) {
				// The body is there before the page's scripts have run (forms.js, at its
				// end, puts back what was carried over): wait for the parser to be done.
				b.run(chromedp.WaitReady("body", chromedp.ByQuery), chromedp.Poll(`document.readyState !== "loading"`, nil))
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never went to %s", file)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserSwitchKeepsWhatWasTyped: with JavaScript, a supporter half-way through the
// English membership form switches to French and finds everything typed and chosen
// still there (but the honeypot), then back to English; the donation form's choices
// too; and a page loaded later starts empty.
func TestBrowserSwitchKeepsWhatWasTyped(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, true)
	b.open("/join.html")
	b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": "jasper@example.org",
		"#city": "Montréal", "#postal_code": "H2X 1Y4", "#message": "Pour la justice.\nEt le journal !"})
	b.run(chromedp.SetValue("#province", "QC", chromedp.ByQuery), chromedp.SetValue("#website", "bot", chromedp.ByQuery),
		chromedp.Click(`input[name=consent_updates]`, chromedp.ByQuery))
	const form = `JSON.stringify(["first_name", "last_name", "email", "city", "postal_code", "message", "province", "website"].map(id => document.getElementById(id).value).concat([document.querySelector("input[name=consent_updates]").checked, document.querySelector("input[name=language]").value]))`
	want := `["Jasper","Okoro","jasper@example.org","Montréal","H2X 1Y4","Pour la justice.\nEt le journal !","QC","",true,"%s"]`
	for _, to := range []string{"fr", "en"} {
		b.run(chromedp.Click("a[data-switch]", chromedp.ByQuery))
		b.waitAt(webforms.FileName("join.html", i18n.Lang(to)))
		var got string
		var left bool
		b.run(chromedp.Evaluate(form, &got), chromedp.Evaluate(`Object.keys(sessionStorage).length > 0`, &left))
		if w := strings.Replace(want, "%s", to, 1); got != w || left {
			t.Fatalf("after the switch to %s the form holds %s, want %s (left in storage: %v)", to, got, w, left)
		}
	}
	b.open("/join.fr.html")
	var first string
	b.run(chromedp.Value("#first_name", &first, chromedp.ByQuery))
	if first != "" {
		t.Fatalf("a later page was filled in with %q", first)
	}

	b.open("/index.html")
	b.pick("amount_cents", "5000")
	b.pick("frequency", "monthly")
	b.fill(map[string]string{"#email": "noemie@example.org"})
	b.run(chromedp.Click("a[data-switch]", chromedp.ByQuery))
	b.waitFor("/index.fr.html")
	var got string
	b.run(chromedp.Evaluate(`[document.querySelector("input[name=amount_cents]:checked").value, document.querySelector("input[name=frequency]:checked").value, document.getElementById("email").value, document.querySelector("input[name=campaign]").value].join(" ")`, &got))
	if got != "5000 monthly noemie@example.org appeal-2024" {
		t.Fatalf("the donation form after the switch: %q", got)
	}
}

// TestBrowserLanguagePicksTheFirstPage: a browser that prefers French, opening the
// forms' address or an English form's, gets the French page; its switch to English is
// then a choice the server keeps to, and the English page's links between forms stay in
// English. A browser that prefers English gets the English page.
func TestBrowserLanguagePicksTheFirstPage(t *testing.T) {
	s := newStack(t, false, withWeb)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		b.acceptLanguage("fr-CA,fr;q=0.9,en;q=0.5")
		b.open("/")
		if loc := b.waitFor("/index.fr.html"); b.lang() != "fr" {
			t.Fatalf("js %v: / led a French browser to %s, in %q", js, loc, b.lang())
		}
		b.open("/join.html?utm_source=tract")
		b.waitFor("/join.fr.html?utm_source=tract")
		b.run(chromedp.Click("a[data-switch]", chromedp.ByQuery))
		b.waitAt("join.html")
		if l := b.lang(); l != "en" {
			t.Fatalf("js %v: the switch to English gave a page in %q", js, l)
		}
		b.run(chromedp.Click(`nav.more a`, chromedp.ByQuery)) // "Donate"
		b.waitAt("index.html")
		if l := b.lang(); l != "en" {
			t.Fatalf("js %v: a link of the English page gave a page in %q", js, l)
		}
		b.acceptLanguage("en-CA,en;q=0.9,fr;q=0.8")
		b.open("/subscribe.html")
		if l := b.lang(); l != "en" {
			t.Fatalf("js %v: an English browser got a page in %q", js, l)
		}
	}
}
