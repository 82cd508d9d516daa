package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/webforms"
)

// axeTags are the rules axe runs: WCAG 2.0 and 2.1, levels A and AA, and 2.2's AA
// (target size: every link or button at least 24 px, or spaced as if it were).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeScript is axe-core's axe.min.js, pinned and fetched into bin/ by `make tools`.
func axeScript(t *testing.T) string {
	t.Helper()
	path := filepath.Join(emulator.Root(), "bin", "axe.min.js")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no %s (axe-core, for the accessibility tests): run `make tools`", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolation is one rule axe found broken, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeCheck runs axe-core on the test's pages.
type axeCheck struct {
	t      *testing.T
	script string
}

func newAxe(t *testing.T) axeCheck { return axeCheck{t: t, script: axeScript(t)} }

// page runs axe-core's WCAG 2.1 A and AA and 2.2 AA rules on the page the browser shows, as it is
// now, and fails the test, listing each violation, its impact, the elements' selectors
// and the rule's help, when there is any (or when axe checked nothing, or no text's
// contrast). js is whether the browser runs the page's scripts.
func (a axeCheck) page(b *browser, js bool, what string) axeResult {
	t := a.t
	t.Helper()
	res := a.run(b, js)
	if res.Passes == 0 {
		t.Fatalf("%s: axe %s checked nothing at %s", what, res.Version, res.URL)
	}
	if len(res.Contrasted) == 0 {
		t.Errorf("%s: axe found no text whose contrast it could check", what)
	}
	t.Logf("%s: axe %s: %d rules passed, %d to review by hand, %d violated (%s)", what, res.Version, res.Passes, res.Incomplete, len(res.Violations), res.URL)
	for _, v := range res.Violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("    %v\n      %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n      ")))
		}
		t.Errorf("%s: axe: %s (%s): %s — %s\n%s", what, v.ID, v.Impact, v.Help, v.URL, strings.Join(nodes, "\n"))
	}
	return res
}

// axeResult is what axe.run found on a page.
type axeResult struct {
	URL        string         `json:"url"`
	Version    string         `json:"version"`
	Violations []axeViolation `json:"violations"`
	Incomplete int            `json:"incomplete"`
	Passes     int            `json:"passes"`
	// Contrasted are the selectors of the elements whose colours axe found readable.
	Contrasted []string `json:"contrasted"`
}

// run injects axe into the page, if it is not there yet, and runs it. Without
// JavaScript (js false) the page keeps the DOM it was loaded with, and scripts are let
// run only for axe's own time (axe.run waits on timers and promises).
func (a axeCheck) run(b *browser, js bool) axeResult {
	a.t.Helper()
	if !js {
		b.run(emulation.SetScriptExecutionDisabled(false))
		defer b.run(emulation.SetScriptExecutionDisabled(true))
	}
	var loaded bool
	b.run(chromedp.Evaluate(`typeof window.axe === "object"`, &loaded))
	if !loaded {
		b.run(chromedp.Evaluate(a.script+"\n;true", nil))
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	var res axeResult
	b.run(chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}}).then(r => ({
		url: r.url, version: r.testEngine.version, violations: r.violations, incomplete: r.incomplete.length, passes: r.passes.length,
		contrasted: r.passes.filter(p => p.id === "color-contrast").flatMap(p => p.nodes.map(n => n.target.join(" ")))}))`,
		&res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return res
}

// whileShown waits until the element at sel shows some text (a script fills it in).
func whileShown(b *browser, sel string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.TrimSpace(b.text(sel)) == "" {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s stays empty", sel)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAxeForms: every form, in English and French, with JavaScript (once its progress is
// filled in, and once more showing the donation form's inline errors) and without.
func TestAxeForms(t *testing.T) {
	axe := newAxe(t)
	s := newStack(t, false, withWeb)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, page := range formPages {
			for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
				file := webforms.FileName(page, lang)
				what := file
				if !js {
					what += " without JavaScript"
				}
				b.open("/" + file)
				if js && page == "index.html" {
					whileShown(b, ".progress .raised")
				}
				axe.page(b, js, what)
				if js && page == "index.html" {
					b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
					whileShown(b, "#err-first_name")
					axe.page(b, js, what+", its inline errors")
					b.open("/" + file)
					b.pick("amount_cents", "")
					b.fill(map[string]string{"#other_amount": "abc"})
					b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
					whileShown(b, ".form-errors")
					axe.page(b, js, what+", another amount and its error")
				}
			}
		}
	}
}

// TestAxeFindsWhatIsBroken: the check above can fail. A form page given an unlabelled
// field, pale grey text, a pale button (an accent colour too light for its white
// text) and an image without alternative text, with JavaScript and without, has axe
// name the three rules and the elements.
// (The page's own scripts stay off without JavaScript: forms.js never ran.)
func TestAxeFindsWhatIsBroken(t *testing.T) {
	axe := newAxe(t)
	s := newStack(t, false, withWeb)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		b.open("/join.fr.html")
		var ok bool
		b.run(chromedp.Evaluate(`(() => {
			const m = document.querySelector("main");
			m.insertAdjacentHTML("beforeend", '<input id="axe-unlabelled" type="text"><p id="axe-pale" style="color:#ddd;background:#fff">pâle</p><img id="axe-noalt" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
			document.querySelector("button[type=submit]").style.background = "#9c9";
			return true;
		})()`, &ok))
		res := axe.run(b, js)
		found := map[string]string{}
		for _, v := range res.Violations {
			for _, n := range v.Nodes {
				found[v.ID] += fmt.Sprint(n.Target)
			}
		}
		for id, el := range map[string]string{"label": "#axe-unlabelled", "color-contrast": "#axe-pale", "image-alt": "#axe-noalt"} {
			if id == "color-contrast" && !strings.Contains(found[id], "button") {
				t.Errorf("javascript %v: axe did not find the pale button: %v", js, found)
			}
			if !strings.Contains(found[id], el) {
				t.Errorf("javascript %v: axe did not find %s on %s: %v", js, id, el, found)
			}
		}
	}
}

// TestAxeResultPages: the functions' pages, in English and French: the forms' errors
// (join and donate posted without JavaScript with a bad address, and another amount
// that is not one), the "check your inbox" page, the
// emailed link's page and its button's answer (the welcome), the portal's "check your
// inbox", the thank-you page of a gift paid through the local checkout, and the
// rate limit's page.
func TestAxeResultPages(t *testing.T) {
	axe := newAxe(t)
	s := newStack(t, true, withWeb, set("RATE_LIMIT_PER_EMAIL", "2", "RATE_LIMIT_WINDOW_MINUTES", "60"))
	nojs, js := newBrowser(t, s, false), newBrowser(t, s, true)
	join := func(b *browser, lang i18n.Lang, email string) {
		t.Helper()
		b.open("/" + webforms.FileName("join.html", lang))
		b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": email,
			"#city": "Toronto", "#postal_code": "M5V 2T6"})
		b.run(chromedp.SetValue("#province", "ON", chromedp.ByQuery))
		b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
		b.waitFor("/members")
	}
	for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
		l := string(lang)
		join(nojs, lang, "nope")
		if h := nojs.lang(); h != l {
			t.Fatalf("the error page's lang is %q, want %q", h, l)
		}
		axe.page(nojs, false, l+": the join form's errors")

		nojs.open("/" + webforms.FileName("index.html", lang))
		nojs.fill(map[string]string{"#other_amount": "abc", "#first_name": "Noémie", "#email": "nope"})
		nojs.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
		nojs.waitFor("/donations")
		axe.page(nojs, false, l+": the donation form's errors")

		member := "axe-" + l + "@example.org"
		join(nojs, lang, member)
		nojs.waitFor("/members/check-email")
		axe.page(nojs, false, l+": check your inbox")
		nojs.open(link(t, s.waitEmails(member, 1)[0], "/members/confirm"))
		axe.page(nojs, false, l+": the confirmation link's page")
		nojs.clickButton()
		axe.page(nojs, false, l+": the welcome")

		nojs.open("/" + webforms.FileName("manage.html", lang))
		nojs.fill(map[string]string{"#email": "axe-manage-" + l + "@example.org"})
		nojs.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
		nojs.waitFor("/portal")
		axe.page(nojs, false, l+": the portal's check your inbox")

		js.open("/" + webforms.FileName("index.html", lang))
		js.pick("amount_cents", "5000")
		js.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "axe-gift-" + l + "@example.org"})
		js.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
		js.waitFor("/_local/checkout/")
		js.run(chromedp.Click(`form[action$="/pay"] button`, chromedp.ByQuery))
		js.waitFor("/donations/thanks")
		axe.page(js, true, l+": the thank-you page")

		limited := "axe-limited-" + l + "@example.org"
		for i := 0; i < 2; i++ {
			join(nojs, lang, limited)
			nojs.waitFor("/members/check-email")
		}
		join(nojs, lang, limited)
		if h := nojs.text("h1"); !strings.Contains(h, map[i18n.Lang]string{i18n.EN: "Too many", i18n.FR: "Trop de"}[lang]) {
			t.Fatalf("the third join of one address in %s: %q", l, nojs.text("main"))
		}
		axe.page(nojs, false, l+": the rate limit's page")
	}
}

// TestAxeOtherOrgDonate: the donation form, in English and French, with JavaScript and
// without, for an organization that is not the sample (its own accent colour).
func TestAxeOtherOrgDonate(t *testing.T) {
	axe := newAxe(t)
	s := newStack(t, false, withWeb, withOtherOrg)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			file := webforms.FileName("index.html", lang)
			what := "another organization's " + file
			if !js {
				what += " without JavaScript"
			}
			b.open("/" + file)
			if js {
				whileShown(b, ".progress .raised")
			}
			res := axe.page(b, js, what)
			sels, err := json.Marshal(res.Contrasted)
			if err != nil {
				t.Fatal(err)
			}
			var checked bool
			b.run(chromedp.Evaluate(`(`+string(sels)+`).some(sel => document.querySelector(sel) === document.querySelector("button[type=submit]"))`, &checked))
			if !checked {
				t.Errorf("%s: axe did not check the Donate button's colours: %q", what, res.Contrasted)
			}
		}
	}
}
