package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/webforms"
)

// polish is what a page's design is measured by: each fieldset's legend inside its
// box (below the box's top border, not on it), the form controls in the body's font,
// the footer's links underlined and at least 24 px high, every form novalidate, and
// every radio button a pill (.choice) whose checked state is in the accent colour (the
// submit button's), outlined when it has the focus.
type polish struct {
	Fieldsets    int      `json:"fieldsets"`
	Legends      []string `json:"legends"` // those not inside their box
	Controls     int      `json:"controls"`
	Fonts        []string `json:"fonts"` // controls whose font is not the body's
	FooterLinks  int      `json:"footerLinks"`
	SmallLinks   []string `json:"smallLinks"` // under 24 px, or not underlined
	Forms        int      `json:"forms"`
	Validating   []string `json:"validating"` // forms without novalidate
	Radios       int      `json:"radios"`
	PlainRadios  []string `json:"plainRadios"` // not pills
	CheckedColor []string `json:"checkedColor"`
	Accent       string   `json:"accent"`
}

const polishJS = `(() => {
	const out = {fieldsets: 0, legends: [], controls: 0, fonts: [], footerLinks: 0, smallLinks: [], forms: 0, validating: [],
		radios: 0, plainRadios: [], checkedColor: [], accent: ""};
	const shown = e => e.getClientRects().length > 0;
	for (const fs of document.querySelectorAll("fieldset")) {
		const lg = fs.querySelector(":scope > legend");
		if (!lg || !shown(fs)) continue;
		out.fieldsets++;
		const f = fs.getBoundingClientRect(), l = lg.getBoundingClientRect(), cs = getComputedStyle(fs);
		const top = f.top + parseFloat(cs.borderTopWidth);
		if (!(l.top >= top && l.bottom <= f.bottom && l.left >= f.left && l.right <= f.right)) {
			out.legends.push(lg.textContent.trim() + ": legend " + l.top + "–" + l.bottom + ", the box's border " + f.top + "–" + top);
		}
	}
	const body = getComputedStyle(document.body).fontFamily;
	for (const el of document.querySelectorAll("input:not([type=hidden]), button, select, textarea")) {
		if (el.closest(".hp")) continue;
		out.controls++;
		const ff = getComputedStyle(el).fontFamily;
		if (ff !== body) out.fonts.push(el.outerHTML.slice(0, 80) + ": " + ff + " (the body's " + body + ")");
	}
	for (const a of document.querySelectorAll("footer a")) {
		out.footerLinks++;
		const r = a.getBoundingClientRect(), cs = getComputedStyle(a);
		if (r.height < 24 || !cs.textDecorationLine.includes("underline")) {
			out.smallLinks.push(a.textContent + ": " + r.height + " px high, " + cs.textDecorationLine);
		}
	}
	for (const f of document.forms) {
		out.forms++;
		if (!f.noValidate) out.validating.push(f.getAttribute("action"));
	}
	const submit = document.querySelector("main button[type=submit]");
	out.accent = submit ? getComputedStyle(submit).backgroundColor : "";
	for (const r of document.querySelectorAll("input[type=radio]")) {
		out.radios++;
		const span = r.nextElementSibling;
		if (!r.closest(".choice") || !span || span.tagName !== "SPAN") { out.plainRadios.push(r.name + "=" + r.value); continue; }
		if (r.checked && getComputedStyle(span).backgroundColor !== out.accent) {
			out.checkedColor.push(r.name + "=" + r.value + ": " + getComputedStyle(span).backgroundColor);
		}
	}
	return out;
})()`

func (b *browser) polish() polish {
	b.t.Helper()
	var p polish
	b.run(chromedp.Evaluate(polishJS, &p))
	return p
}

// check fails the test for each thing p found wrong on the page what; forms says whether
// the page is one of web/'s forms (the functions' pages have no accent-coloured pills).
func (p polish) check(t *testing.T, what string, form bool) {
	t.Helper()
	if p.FooterLinks == 0 || (form && (p.Controls == 0 || p.Fieldsets == 0 || p.Forms == 0)) {
		t.Errorf("%s: nothing to measure: %+v", what, p)
	}
	for _, bad := range [][]string{p.Legends, p.Fonts, p.SmallLinks, p.Validating, p.PlainRadios, p.CheckedColor} {
		for _, b := range bad {
			t.Errorf("%s: %s", what, b)
		}
	}
}

// TestPolishForms: every form, in English and French, with JavaScript and without:
// each legend inside its fieldset's border, one font (controls included), footer links
// readable, underlined and 24 px high, every form novalidate, every radio button a pill
// in the accent colour when checked. The measure can fail: a legend put back on the
// border, the controls given the browser's font, are found. A plan's pill takes the
// arrow keys and shows the focus. Phone and desktop screenshots of each page.
func TestPolishForms(t *testing.T) {
	s := newStack(t, false, withWeb)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, page := range formPages {
			for _, lang := range webforms.Langs {
				file := webforms.FileName(page, lang)
				what := file + " " + jsLabel(js)
				b.open("/" + file)
				p := b.polish()
				p.check(t, what, true)
				if page == "subscribe.html" || page == "index.html" {
					if p.Radios == 0 {
						t.Errorf("%s: no radio buttons", what)
					}
				}
				if js {
					b.shot("forms-" + strings.TrimSuffix(page, ".html") + "-" + string(lang))
				}
			}
		}
	}

	b := newBrowser(t, s, true)
	b.open("/subscribe.html")
	// The measure finds a legend on its box's border and a control in another font.
	var broken polish
	b.run(chromedp.Evaluate(`(() => {
		document.querySelector("legend").style.float = "none";
		document.querySelector("#email").style.fontFamily = "serif";
		return true;
	})()`, nil), chromedp.Evaluate(polishJS, &broken))
	if len(broken.Legends) != 1 || len(broken.Fonts) != 1 || !strings.Contains(broken.Fonts[0], "serif") {
		t.Errorf("a legend on the border and a serif field, measured: %+v", broken)
	}

	// axe runs WCAG 2.2's target size: links stacked closer than 24 px, alone on their
	// lines (as the functions' footers have them), are found too small.
	b.open("/join.fr.html")
	b.run(chromedp.Evaluate(`(() => {
		document.querySelector("main").insertAdjacentHTML("beforeend",
			'<p class="axe-tiny" style="font-size:10px;line-height:10px"><a id="axe-tiny-a" href="#a">a</a><br><a id="axe-tiny-b" href="#b">b</a></p>');
		return true;
	})()`, nil))
	small := ""
	for _, v := range newAxe(t).run(b, true).Violations {
		for _, n := range v.Nodes {
			if v.ID == "target-size" {
				small += fmt.Sprint(n.Target)
			}
		}
	}
	if !strings.Contains(small, "axe-tiny") {
		t.Errorf("axe did not find links 10 px high too small a target: %q", small)
	}

	// The plans: the arrow keys move the choice; the focused pill is outlined.
	b.open("/subscribe.html")
	var state struct {
		Checked string `json:"checked"`
		Outline string `json:"outline"`
	}
	b.run(chromedp.Focus(`input[name=plan][value="solidarity-annual"]`, chromedp.ByQuery), chromedp.KeyEvent(kb.ArrowDown),
		chromedp.Evaluate(`(() => {
			const r = document.querySelector("input[name=plan]:checked");
			const cs = getComputedStyle(document.activeElement.nextElementSibling);
			return {checked: r.value + (document.activeElement === r ? "" : " (not focused)"), outline: cs.outlineStyle + " " + cs.outlineWidth};
		})()`, &state))
	if state.Checked != "solidarity-monthly" || state.Outline != "solid 3px" {
		t.Errorf("after the down arrow on the yearly plan: %+v; want the monthly plan chosen, focused and outlined", state)
	}
}

// dollars is a whole number of dollars as the pages write it ("$10", "10 $").
func dollars(lang i18n.Lang, cents int64) string {
	if lang == i18n.FR {
		return fmt.Sprintf("%d\u00a0$", cents/100)
	}
	return fmt.Sprintf("$%d", cents/100)
}

// TestPolishDues: the paper's page offers its plans (at infra/plans.json's prices) and
// not the dues; the membership page offers the dues (at theirs) in a form of its own,
// after the membership form, whose ids are its own. In both languages, with and without
// JavaScript: the dues form sent empty is answered in the page's language (beside its
// fields with JavaScript, on the functions' page without), and filled in it goes to
// Checkout for the dues plan. axe finds nothing on the page with the dues' errors.
func TestPolishDues(t *testing.T) {
	axe := newAxe(t)
	plans := plan.Default()
	dues := plans["dues-monthly"]
	if dues.Kind != plan.KindDues {
		t.Fatalf("infra/plans.json's dues-monthly: %+v", dues)
	}
	s := newStack(t, false, withWeb)
	required := func(lang i18n.Lang) string { return i18n.Text(lang, i18n.M("field.required")) }
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, lang := range webforms.Langs {
			l := string(lang)
			sub := webforms.FileName("subscribe.html", lang)
			b.open("/" + sub)
			var offered []string
			b.run(chromedp.Evaluate(`Array.from(document.querySelectorAll("input[name=plan]")).map(r => r.value)`, &offered))
			if strings.Join(offered, " ") != "solidarity-annual solidarity-monthly" {
				t.Errorf("%s %s offers the plans %v; want the paper's two", sub, jsLabel(js), offered)
			}
			text := b.text("form")
			for _, slug := range offered {
				if want := dollars(lang, plans[slug].AmountCents); !strings.Contains(text, want) {
					t.Errorf("%s: %s's price %q is not on the page: %q", sub, slug, want, text)
				}
			}

			join := webforms.FileName("join.html", lang)
			what := join + " " + jsLabel(js)
			b.open("/" + join)
			var page struct {
				Plan       string   `json:"plan"`
				Duplicates []string `json:"duplicates"`
				After      bool     `json:"after"`
				Text       string   `json:"text"`
			}
			b.run(chromedp.Evaluate(`(() => {
				const f = document.querySelector("#dues-form"), ids = {}, dup = [];
				for (const e of document.querySelectorAll("[id]")) { if (ids[e.id]) dup.push(e.id); ids[e.id] = true; }
				const members = document.querySelector('form[action$="/members"]');
				return {plan: f ? f.elements.plan.value + " " + f.getAttribute("action") : "", duplicates: dup,
					after: !!(f && members && (members.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING)),
					text: document.querySelector("#dues").innerText};
			})()`, &page))
			if page.Plan != "dues-monthly /subscriptions" || len(page.Duplicates) > 0 || !page.After {
				t.Errorf("%s: the dues form %q, after the membership form %v, ids twice on the page %v", what, page.Plan, page.After, page.Duplicates)
			}
			if want := dollars(lang, dues.AmountCents); !strings.Contains(page.Text, want) {
				t.Errorf("%s: the dues' %s is not in %q", what, want, page.Text)
			}

			// Sent empty: our message in the page's language (the browser's own bubbles
			// would have stopped the post).
			b.run(chromedp.Click(`#dues-form button[type=submit]`, chromedp.ByQuery))
			if js {
				waitContains(b, "#err-dues-form-first_name", required(lang))
				var focused, joinErrors string
				b.run(chromedp.Evaluate(`document.activeElement.id`, &focused),
					chromedp.Evaluate(`Array.from(document.querySelectorAll('form[action$="/members"] .field-error')).length + ""`, &joinErrors))
				if focused != "dues_first_name" || joinErrors != "0" {
					t.Errorf("%s: the dues' errors: focus on %q, %s errors on the membership form", what, focused, joinErrors)
				}
				axe.page(b, js, what+", the dues' errors")
				b.shot("forms-join-dues-errors-" + l)
			} else {
				b.waitFor("/subscriptions")
				if got := b.lang(); got != l || !strings.Contains(b.text("main"), required(lang)) {
					t.Errorf("%s: the dues sent empty: a page in %q saying %q", what, got, b.text("main"))
				}
				b.open("/" + join)
			}

			email := fmt.Sprintf("dues-%s-%v@example.org", l, js)
			b.fill(map[string]string{"#dues_first_name": "Noémie", "#dues_last_name": "Lafleur", "#dues_email": email})
			b.run(chromedp.Click(`#dues-form button[type=submit]`, chromedp.ByQuery))
			b.waitFor("/_local/plan/")
			if got := b.text("main"); !strings.Contains(got, dues.NameEN) || !strings.Contains(got, email) {
				t.Errorf("%s: the dues' checkout says %q; want %q for %s", what, got, dues.NameEN, email)
			}
		}
	}
}

// TestPolishManage: manage.html, in both languages, with and without JavaScript, is
// shaped like the other forms (a fieldset, novalidate). Sent empty it is answered with our
// message in its language — beside the field, focused, with JavaScript; on the functions'
// page without (whose controls and footer are in the same design) — never the browser's
// bubble. Sent with an address it says the link is on its way: in the form's place with
// JavaScript, on the functions' page without. axe finds nothing on any of them.
// Screenshots of the errors and the answer.
func TestPolishManage(t *testing.T) {
	axe := newAxe(t)
	s := newStack(t, false, withWeb)
	for _, js := range []bool{true, false} {
		b := newBrowser(t, s, js)
		for _, lang := range webforms.Langs {
			l := string(lang)
			file := webforms.FileName("manage.html", lang)
			what := file + " " + jsLabel(js)
			required := i18n.Text(lang, i18n.M("field.required"))
			sent := i18n.Text(lang, i18n.M("page.portal_sent.title"))
			b.open("/" + file)
			b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
			if js {
				waitContains(b, "#err-email", required)
				e := b.fieldError("err-email", "email")
				if e.Box != "same" || e.Invalid != "true" || e.Focused != "email" || !strings.Contains(e.DescribedBy, "err-email") {
					t.Errorf("%s: the empty address's error %+v; want it beside the field, which has the focus", what, e)
				}
				if summary := b.text(".form-errors"); strings.TrimSpace(summary) == "" {
					t.Errorf("%s: no summary of the errors", what)
				}
				axe.page(b, js, what+", its errors")
				b.shot("forms-manage-errors-" + l)
			} else {
				b.waitFor("/portal")
				if got := b.lang(); got != l || !strings.Contains(b.text("main"), required) {
					t.Errorf("%s: sent empty, a page in %q saying %q", what, got, b.text("main"))
				}
				if p := b.polish(); p.Controls == 0 {
					t.Errorf("%s: the functions' error page has no form: %+v", what, p)
				} else {
					p.check(t, what+", the functions' error page", false)
				}
				axe.page(b, js, what+", the functions' error page")
				b.shot("page-manage-errors-nojs-" + l)
				b.open("/" + file)
			}

			b.fill(map[string]string{"#email": fmt.Sprintf("manage-%s-%v@example.org", l, js)})
			b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
			if js {
				waitContains(b, "#portal-sent", sent)
				var st struct {
					FormHidden bool   `json:"formHidden"`
					Focused    string `json:"focused"`
					Lang       string `json:"lang"`
				}
				b.run(chromedp.Evaluate(`({formHidden: document.querySelector("form").hidden, focused: document.activeElement.id, lang: document.documentElement.lang})`, &st))
				if !st.FormHidden || st.Focused != "portal-sent" || st.Lang != l {
					t.Errorf("%s: after sending, %+v; want the answer in the form's place, focused, in %s", what, st, l)
				}
				axe.page(b, js, what+", the link on its way")
				b.shot("forms-manage-sent-" + l)
			} else {
				b.waitFor("/portal")
				if got := b.text("h1"); got != sent || b.lang() != l {
					t.Errorf("%s: after sending, the page %q in %q", what, got, b.lang())
				}
				b.polish().check(t, what+", the functions' check your inbox", false)
			}
		}
	}
	// Typed with the keyboard alone: Enter sends it.
	b := newBrowser(t, s, true)
	b.open("/manage.fr.html")
	b.run(chromedp.Focus("#email", chromedp.ByQuery), chromedp.KeyEvent("clavier@example.org"), chromedp.KeyEvent(kb.Enter))
	waitContains(b, "#portal-sent", i18n.Text(i18n.FR, i18n.M("page.portal_sent.title")))
}
