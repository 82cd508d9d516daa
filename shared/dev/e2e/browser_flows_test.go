package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

func withWeb(s *setup) { s.opts.WebDir = filepath.Join(emulator.Root(), "web") }

// TestBrowserGiveInFrench: a supporter gives $50 from the French donation page
// (index.fr.html), pays on the (local) checkout page, sees the French thanks, gets the
// French receipt, and the progress bar counts the gift.
func TestBrowserGiveInFrench(t *testing.T) {
	s := newStack(t, true, withWeb)
	b := newBrowser(t, s, true)
	b.open("/")
	if got := waitText(b, ".progress .raised", "$90,000 raised of $100,000"); got == "" {
		t.Fatal("no progress")
	}
	b.shot("donate-form")
	b.open("/index.fr.html")
	b.pick("amount_cents", "5000")
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie@example.org"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/_local/checkout/")
	b.shot("checkout-local")
	b.run(chromedp.Click(`form[action$="/pay"] button`, chromedp.ByQuery))
	b.waitFor("/donations/thanks")
	if h := b.text("h1"); h != "Merci\u202f!" {
		t.Fatalf("thanks page says %q", h)
	}
	b.shot("donate-thanks-fr")
	receipt := s.waitEmails("noemie@example.org", 1)[0]
	if !strings.HasPrefix(receipt.Subject, "Reçu de votre don") || !strings.Contains(receipt.Body, "50,00") {
		t.Fatalf("receipt %q", receipt.Subject)
	}
	b.open("/")
	waitText(b, ".progress .raised", "$90,050 raised of $100,000")
}

// waitText waits until the element's text is want (a script fills it in), and returns it.
func waitText(b *browser, sel, want string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.text(sel)
		if got == want {
			return got
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s says %q, want %q", sel, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserJoinAndConfirm: join from the French page (join.fr.html) with a Montréal
// postal code, see the French "check your inbox" page, open the emailed link, press its
// button, see the welcome.
func TestBrowserJoinAndConfirm(t *testing.T) {
	s := newStack(t, true, withWeb)
	b := newBrowser(t, s, true)
	b.open("/join.fr.html")
	b.shot("join-form-fr")
	b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": "jasper@example.org",
		"#city": "Montréal", "#postal_code": "H2X 1Y4"})
	b.run(chromedp.SetValue("#province", "QC", chromedp.ByQuery))
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/members/check-email")
	if h := b.text("h1"); h != "Vérifiez votre boîte de réception" {
		t.Fatalf("after joining: %q", h)
	}
	b.shot("join-check-email-fr")
	b.open(link(t, s.waitEmails("jasper@example.org", 1)[0], "/members/confirm"))
	if h := b.text("h1"); h != "Confirmez votre adhésion" {
		t.Fatalf("the link's page: %q", b.text("main"))
	}
	if h := b.clickButton(); h != "Bienvenue à "+orgFR+"\u202f!" || !strings.Contains(b.text("main"), "Section de Montréal") {
		t.Fatalf("confirmation page: %q", b.text("main"))
	}
	b.shot("join-confirmed-fr")
}

// TestBrowserInlineErrors: with JavaScript, errors appear next to their fields, linked by
// aria-describedby, announced by the summary, and focus moves to the first.
func TestBrowserInlineErrors(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, true)
	b.open("/")
	b.fill(map[string]string{"#last_name": "Lafleur", "#email": "not-an-address"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	waitText(b, "#err-email", "Enter a valid email address.")
	var focused, invalid, describedBy, summary string
	var summaryHidden bool
	b.run(
		chromedp.Evaluate(`document.activeElement.id`, &focused),
		chromedp.AttributeValue("#first_name", "aria-invalid", &invalid, nil, chromedp.ByQuery),
		chromedp.AttributeValue("#email", "aria-describedby", &describedBy, nil, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector(".form-errors").hidden`, &summaryHidden),
		chromedp.Text(".form-errors", &summary, chromedp.ByQuery),
	)
	if focused != "first_name" || invalid != "true" || !strings.Contains(describedBy, "err-email") ||
		!strings.Contains(describedBy, "email-hint") || summaryHidden || summary == "" {
		t.Fatalf("focus %q, aria-invalid %q, describedby %q, summary %v %q", focused, invalid, describedBy, summaryHidden, summary)
	}
	if got := b.text("#err-first_name"); got != "This field is required." {
		t.Fatalf("first name error %q", got)
	}
	b.shot("donate-inline-errors")
	if n := len(s.items("donation")); n != 0 {
		t.Fatalf("%d donations stored", n)
	}
}

// TestBrowserWithoutJavaScript: the forms work as plain HTML — errors on a localized
// page, a valid post on to the next page.
func TestBrowserWithoutJavaScript(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, false)
	b.open("/index.fr.html")
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "nope"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/donations")
	if h := b.text("h1"); h != "Veuillez corriger le formulaire" || !strings.Contains(b.text("main"), "courriel valide") {
		t.Fatalf("error page: %q", b.text("main"))
	}
	b.shot("donate-errors-nojs-fr")
	b.joinInToronto(t, "nojs@example.org")
	if m := s.member("nojs@example.org"); m.Branch != "toronto" {
		t.Fatalf("member %+v", m)
	}
	b.open("/subscribe.html")
	b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": "nojs@example.org"})
	b.run(chromedp.Click(`button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/_local/plan/")
	b.shot("subscribe-checkout-nojs")
}

// TestBrowserKeyboardAndNarrowScreens: every form fits a 320-pixel screen without
// sideways scrolling, and the donation form can be filled in and sent with the keyboard
// alone (Tab, arrows, Space, Enter).
func TestBrowserKeyboardAndNarrowScreens(t *testing.T) {
	s := newStack(t, false, withWeb)
	b := newBrowser(t, s, true)
	b.run(emulation.SetDeviceMetricsOverride(320, 640, 1, true))
	for _, page := range []string{"/", "/join.html", "/subscribe.html", "/manage.html",
		"/index.fr.html", "/join.fr.html", "/subscribe.fr.html", "/manage.fr.html"} {
		b.open(page)
		var scroll int64
		b.run(chromedp.Evaluate(`document.documentElement.scrollWidth`, &scroll))
		if scroll > 320 {
			t.Errorf("%s is %d pixels wide at 320", page, scroll)
		}
	}
	b.run(emulation.ClearDeviceMetricsOverride())
	b.open("/")
	// The amount's choices take the arrow keys, then Tab goes on through the form.
	keys := func(k string) chromedp.Action { return chromedp.KeyEvent(k) }
	var focused string
	b.run(chromedp.Focus(`input[name=amount_cents][value="2500"]`, chromedp.ByQuery), keys(kb.ArrowRight))
	b.run(chromedp.Evaluate(`document.activeElement.value + "/" + document.querySelector("input[name=amount_cents]:checked").value`, &focused))
	if focused != "5000/5000" {
		t.Fatalf("arrow keys chose %q", focused)
	}
	// Tab to the first name field and type into the fields in order.
	for i := 0; i < 30 && focused != "first_name"; i++ {
		b.run(keys(kb.Tab), chromedp.Evaluate(`document.activeElement.id`, &focused))
	}
	if focused != "first_name" {
		t.Fatal("Tab never reached the first name")
	}
	b.run(keys("Noémie"), keys(kb.Tab), keys("Lafleur"), keys(kb.Tab), keys("keyboard@example.org"), keys(kb.Enter))
	b.waitFor("/_local/checkout/")
	if n := len(s.items("donation")); n != 1 {
		t.Fatalf("%d donations", n)
	}
}
