package e2e

import (
	"net/url"
	"path"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// invalidRed is the stylesheets' border colour of a field marked aria-invalid (#b00020).
const invalidRed = "rgb(176, 0, 32)"

// TestBrowserErrorPageKeepsTheForm: without JavaScript, a donation with one bad field
// answers a page that shows the form again with everything typed and the error beside the
// field (marked invalid, and red); correcting that one field and sending reaches Checkout
// with the gift as first chosen. The local checkout stand-in fits a phone's width.
func TestBrowserErrorPageKeepsTheForm(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, false)
	b.open("/index.fr.html")
	b.pick("amount_cents", "5000")
	b.pick("frequency", "once")
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie@exemple"})
	b.run(chromedp.Click(`input[name=consent_updates]`, chromedp.ByQuery))
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/donations")
	if h := b.text("h1"); h != "Veuillez corriger le formulaire" {
		t.Fatalf("error page: %q", b.text("main"))
	}
	b.shot("donate-error-form-nojs-fr")

	var first, last, email, invalid, describedBy, beside, border, width, amount, campaign, lang string
	var consent, onlyOneInvalid bool
	b.run(
		chromedp.Value("#f-first_name", &first, chromedp.ByQuery),
		chromedp.Value("#f-last_name", &last, chromedp.ByQuery),
		chromedp.Value("#f-email", &email, chromedp.ByQuery),
		chromedp.AttributeValue("#f-email", "aria-invalid", &invalid, nil, chromedp.ByQuery),
		chromedp.AttributeValue("#f-email", "aria-describedby", &describedBy, nil, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("f-email").nextElementSibling.id + ": " + document.getElementById("f-email").nextElementSibling.textContent`, &beside),
		chromedp.Evaluate(`getComputedStyle(document.getElementById("f-email")).borderTopColor`, &border),
		chromedp.Evaluate(`getComputedStyle(document.getElementById("f-email")).borderTopWidth`, &width),
		chromedp.Evaluate(`document.querySelectorAll("[aria-invalid=true]").length === 1`, &onlyOneInvalid),
		chromedp.Evaluate(`document.querySelector("input[name=consent_updates]").checked`, &consent),
		chromedp.Value(`input[name=amount_cents]`, &amount, chromedp.ByQuery),
		chromedp.Value(`input[name=campaign]`, &campaign, chromedp.ByQuery),
		chromedp.Value(`input[name=language]`, &lang, chromedp.ByQuery),
	)
	if first != "Noémie" || last != "Lafleur" || email != "noemie@exemple" || !consent || amount != "5000" || campaign != "appeal-2024" || lang != "fr" {
		t.Fatalf("the form came back as %q %q %q, news %v, amount %q, campaign %q, language %q", first, last, email, consent, amount, campaign, lang)
	}
	if invalid != "true" || describedBy != "err-email" || beside != "err-email: Entrez une adresse courriel valide." || !onlyOneInvalid {
		t.Fatalf("aria-invalid %q, aria-describedby %q, beside the field %q, one field invalid %v", invalid, describedBy, beside, onlyOneInvalid)
	}
	if border != invalidRed || width != "2px" {
		t.Fatalf("the field in error has a %s %s border, want 2px %s", width, border, invalidRed)
	}
	var website int
	b.run(chromedp.Evaluate(`document.querySelectorAll("[name=website],[name='cf-turnstile-response']").length`, &website))
	if website != 0 {
		t.Fatal("the error page shows the honeypot or the bot check's token")
	}

	// Correct the one field and send again.
	const corrected = "noemie.lafleur.with.a.rather.long.address@example.org" // as wide as a list's line gets
	b.run(chromedp.SetValue("#f-email", corrected, chromedp.ByQuery),
		chromedp.Click(`form.again button[type=submit]`, chromedp.ByQuery))
	loc := b.waitFor("/_local/checkout/")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	d := s.donationByID(path.Base(u.Path))
	if d.AmountCents != 5000 || d.Frequency != "once" || d.FirstName != "Noémie" || d.LastName != "Lafleur" ||
		d.Email != corrected || d.Language != "fr" || !d.ConsentUpdates || d.Campaign != "appeal-2024" {
		t.Fatalf("donation %+v", d)
	}

	// The checkout stand-in at a phone's width: no sideways scrolling.
	b.run(emulation.SetDeviceMetricsOverride(360, 740, 1, true))
	b.open(u.Path)
	var scroll int64
	b.run(chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll))
	if scroll > 360 {
		t.Errorf("the local checkout page is %d pixels wide at 360", scroll)
	}
	b.shot("checkout-local-narrow")
	b.run(emulation.ClearDeviceMetricsOverride())

	// The subscription's stand-in too.
	b.open("/subscribe.html")
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur",
		"#email": "noemie.lafleur.with.a.rather.long.address@example.org"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	plan := b.waitFor("/_local/plan/")
	b.run(emulation.SetDeviceMetricsOverride(360, 740, 1, true))
	b.open(plan)
	b.run(chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll))
	if scroll > 360 {
		t.Errorf("the local plan page is %d pixels wide at 360", scroll)
	}
	var viewport int
	b.run(chromedp.Evaluate(`document.querySelectorAll("meta[name=viewport]").length`, &viewport))
	if viewport != 1 {
		t.Error("the local plan page has no viewport")
	}
	b.run(emulation.ClearDeviceMetricsOverride())
}

// TestBrowserInvalidFieldsLookInvalid: on the site's forms, a field marked aria-invalid
// (as forms.js marks it) has the red border, whatever its type.
func TestBrowserInvalidFieldsLookInvalid(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, false)
	for _, c := range []struct{ page, sel string }{
		{"/", "#email"}, {"/", "#first_name"}, {"/", "#other_amount"},
		{"/join.html", "#phone"}, {"/join.html", "#province"}, {"/join.html", "#message"},
	} {
		b.open(c.page)
		var before, after string
		style := `getComputedStyle(document.querySelector("` + c.sel + `")).borderTopColor`
		b.run(chromedp.Evaluate(style, &before),
			chromedp.SetAttributeValue(c.sel, "aria-invalid", "true", chromedp.ByQuery),
			chromedp.Evaluate(style, &after))
		if before == invalidRed || after != invalidRed {
			t.Errorf("%s %s: border %s, then %s when invalid; want %s", c.page, c.sel, before, after, invalidRed)
		}
	}
}
