package e2e

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webforms"
)

// jsLabel names a run for the test's messages.
func jsLabel(js bool) string {
	if js {
		return "with JavaScript"
	}
	return "without JavaScript"
}

// progressState is what the donate page shows of the appeal's progress.
type progressState struct {
	ImageShown  bool   `json:"imageShown"`
	ImageLoaded bool   `json:"imageLoaded"`
	ImageSrc    string `json:"imageSrc"`
	RaisedShown bool   `json:"raisedShown"`
	Raised      string `json:"raised"`
}

func (b *browser) progressState() progressState {
	b.t.Helper()
	var st progressState
	b.run(chromedp.Evaluate(`(() => {
		const shown = (el) => !!el && !el.hidden && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
		const img = document.querySelector(".progress img.progress-image"), raised = document.querySelector(".progress .raised");
		return {
			imageShown: shown(img),
			imageLoaded: !!img && img.complete && img.naturalWidth > 0,
			imageSrc: img ? img.src : "",
			raisedShown: shown(raised),
			raised: raised ? raised.innerText : "",
		};
	})()`, &st))
	return st
}

// waitProgress waits until the page's progress has settled as want says it should: the
// image loaded (without JavaScript) or the live text filled in and shown (with it).
func (b *browser) waitProgress(js bool) progressState {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := b.progressState()
		if (!js && st.ImageLoaded) || (js && st.RaisedShown && st.Raised != "") {
			return st
		}
		if time.Now().After(deadline) {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserResultProgress: the donate page, in English and French, shows the appeal's
// real total: without JavaScript as the progress image, whose SVG's title is the total
// GET /campaigns/{slug} gives, formatted as the image formats it; with JavaScript as the
// live text, the same words, the image hidden.
func TestBrowserResultProgress(t *testing.T) {
	s := newStack(t, false, withWeb)
	// A paid gift on top of the seeded total: the page shows the ledger, not a constant.
	d := s.donate(map[string]any{"email": "progress.results@example.org", "amount_cents": 4200})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))

	for _, js := range []bool{false, true} {
		b := newBrowser(t, s, js)
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			file := webforms.FileName("index.html", lang)
			what := file + " " + jsLabel(js)

			got := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug+"?language="+string(lang), "", "", nil)
			if got.status != http.StatusOK {
				t.Fatalf("GET /campaigns/%s: %d %s", localdev.AppealSlug, got.status, got.body)
			}
			raised, _ := got.json(t)["raised_cents"].(float64)
			goal, _ := got.json(t)["goal_cents"].(float64)
			if raised != 9_004_200 {
				t.Fatalf("GET /campaigns says %v raised, want the seeded $90,000 and the $42 gift", raised)
			}
			want := campaign.ProgressText(lang, campaign.Progress{RaisedCents: int64(raised), GoalCents: int64(goal)})

			b.open("/" + file)
			st := b.waitProgress(js)
			if !strings.HasPrefix(st.ImageSrc, s.url+"/") {
				t.Fatalf("%s: the progress image's src %q is not the stack's", what, st.ImageSrc)
			}
			img := s.do(http.MethodGet, strings.TrimPrefix(st.ImageSrc, s.url), "", "", nil)
			var svg struct {
				XMLName xml.Name
				Title   string `xml:"title"`
			}
			if err := xml.Unmarshal(img.body, &svg); err != nil || img.status != http.StatusOK ||
				!strings.HasPrefix(img.header.Get("Content-Type"), "image/svg+xml") || svg.XMLName.Local != "svg" {
				t.Fatalf("%s: the image %s: %d %q (%v)\n%s", what, st.ImageSrc, img.status, img.header.Get("Content-Type"), err, img.body)
			}
			if svg.Title != want {
				t.Errorf("%s: the image's title %q, want GET /campaigns's total %q", what, svg.Title, want)
			}
			if js {
				if st.ImageShown || !st.RaisedShown || st.Raised != want {
					t.Errorf("%s: image shown %v, live text shown %v saying %q; want the image hidden and the text %q",
						what, st.ImageShown, st.RaisedShown, st.Raised, want)
				}
			} else if !st.ImageShown || !st.ImageLoaded || st.RaisedShown {
				t.Errorf("%s: image shown %v (loaded %v), live text shown %v %q; want the image alone",
					what, st.ImageShown, st.ImageLoaded, st.RaisedShown, st.Raised)
			}
		}
	}
}

// nextLink is a next step a result page offers.
type nextLink struct {
	Step string `json:"step"`
	Href string `json:"href"`
	Text string `json:"text"`
}

func (b *browser) nextLinks() []nextLink {
	b.t.Helper()
	var out []nextLink
	b.run(chromedp.Evaluate(`Array.from(document.querySelectorAll("nav.next a[data-step]")).map(a => ({step: a.dataset.step, href: a.href, text: a.innerText}))`, &out))
	return out
}

// resultCase is what one language's result pages must say.
type resultCase struct {
	lang                i18n.Lang
	thanksTitle, gift   string
	subTitle, plan      string
	checkTitle          string
	welcomeTitle        string
	welcomeBranch       string
	sentTo, branch      string
	city, province, zip string
}

var resultCases = []resultCase{
	{lang: i18n.EN, thanksTitle: "Thank you!", gift: "Your gift: $50.00, once",
		subTitle: "Thank you for subscribing!", plan: "$60.00 a year, renewed until you stop it",
		welcomeTitle: "Welcome to " + organization.Default().Name.EN + "!", welcomeBranch: "Your branch: Toronto branch.",
		checkTitle: "Check your inbox", sentTo: "Email sent to: %s•••@example.org", branch: "Your branch: Toronto branch",
		city: "Toronto", province: "ON", zip: "M5V 2T6"},
	{lang: i18n.FR, thanksTitle: "Merci\u202f!", gift: "Votre don : 50,00\u00a0$, une fois",
		subTitle: "Merci de vous abonner\u202f!", plan: "60,00\u00a0$ par année, renouvellement automatique jusqu’à ce que vous l’arrêtiez",
		welcomeTitle: "Bienvenue à " + organization.Default().Name.FR + "\u202f!", welcomeBranch: "Votre section : Section de Montréal.",
		checkTitle: "Vérifiez votre boîte de réception", sentTo: "Courriel envoyé à : %s•••@example.org", branch: "Votre section : Section de Montréal",
		city: "Montréal", province: "QC", zip: "H2X 1Y4"},
}

// TestBrowserResultPages: in English and French, with JavaScript and without, a gift
// paid on the local checkout lands on a thank-you page in the form's language that
// states its amount and offers joining and subscribing (the French page the French
// forms); a subscription lands on one that names its plan's price and offers joining; a join lands on a check-your-inbox page naming the masked address and the
// branch, with a next step, and its emailed link's button on a welcome page that names the
// branch and offers the dues (the join page's section), the appeal and the paper. Every next step's link leads to its form in the same
// language. Phone and desktop screenshots of both pages in both languages.
func TestBrowserResultPages(t *testing.T) {
	s := newStack(t, true, withWeb)
	for _, js := range []bool{false, true} {
		b := newBrowser(t, s, js)
		for _, c := range resultCases {
			lang := string(c.lang)
			suffix := lang + "-nojs"
			if js {
				suffix = lang + "-js"
			}

			// A gift, and a subscription (the yearly plan, chosen first), each paid on the
			// local checkout.
			b.payOnForm(webforms.FileName("index.html", c.lang), "5000", "noemie."+suffix+"@example.org", "/_local/checkout/",
				resultPage{path: "/donations/thanks", lang: c.lang, title: c.thanksTitle, says: c.gift, shot: "result-thanks-" + lang, js: js,
					need: []string{"join", "subscribe"}})
			b.payOnForm(webforms.FileName("subscribe.html", c.lang), "", "nora."+suffix+"@example.org", "/_local/plan/",
				resultPage{path: "/subscriptions/thanks", lang: c.lang, title: c.subTitle, says: c.plan, shot: "result-subscribed-" + lang, js: js,
					need: []string{"join", "appeal"}})

			// A join.
			joinFile := webforms.FileName("join.html", c.lang)
			what := "the check-your-inbox page after " + joinFile + " " + jsLabel(js)
			email := "jasper." + suffix + "@example.org"
			b.open("/" + joinFile)
			b.fill(map[string]string{"#first_name": "Jasper", "#last_name": "Okoro", "#email": email,
				"#city": c.city, "#postal_code": c.zip})
			b.run(chromedp.SetValue("#province", c.province, chromedp.ByQuery))
			b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
			check := b.waitFor("/members/check-email")
			if got := b.lang(); got != lang {
				t.Errorf("%s: in %q", what, got)
			}
			if h := b.text("h1"); h != c.checkTitle {
				t.Errorf("%s: titled %q, want %q", what, h, c.checkTitle)
			}
			sentTo := fmt.Sprintf(c.sentTo, "j")
			if main := b.text("main"); !strings.Contains(main, sentTo) || !strings.Contains(main, c.branch) || strings.Contains(main, email) {
				t.Errorf("%s: want %q and %q (and not the whole address) in\n%s", what, sentTo, c.branch, main)
			}
			if js {
				b.shot("result-check-email-" + lang)
			}
			b.checkNextSteps(what, check, c.lang, nil)

			// The welcome page, once the emailed link's button is pressed.
			what = "the welcome page after " + joinFile + " " + jsLabel(js)
			b.open(link(t, s.waitEmails(email, 1)[0], "/members/confirm"))
			if h := b.clickButton(); h != c.welcomeTitle {
				t.Errorf("%s: titled %q, want %q", what, h, c.welcomeTitle)
			}
			if got := b.lang(); got != lang {
				t.Errorf("%s: in %q", what, got)
			}
			if main := b.text("main"); !strings.Contains(main, c.welcomeBranch) {
				t.Errorf("%s: no %q in\n%s", what, c.welcomeBranch, main)
			}
			if js {
				b.shot("result-welcome-" + lang)
			}
			b.checkNextSteps(what, "", c.lang, []string{"dues", "appeal", "subscribe"})
		}
	}
}

// resultPage is what a result page must be: in lang, titled title, saying says and the
// masked address n•••@example.org, offering need next; shot names its screenshot (taken
// with JavaScript only).
type resultPage struct {
	path        string
	lang        i18n.Lang
	title, says string
	shot        string
	js          bool
	need        []string
}

// payOnForm fills in the form page file (the amount pill amount, if any) for n•••'s
// address email, sends it, pays on the local checkout page under checkout, and checks the
// result page it lands on.
func (b *browser) payOnForm(file, amount, email, checkout string, want resultPage) {
	b.t.Helper()
	t := b.t
	what := "the page after paying on " + file + " " + jsLabel(want.js)
	b.open("/" + file)
	if amount != "" {
		b.pick("amount_cents", amount)
	}
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": email})
	b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
	b.waitFor(checkout)
	b.run(chromedp.Click(`form[action$="/pay"] button`, chromedp.ByQuery))
	landed := b.waitFor(want.path)
	if got := b.lang(); got != string(want.lang) {
		t.Errorf("%s: in %q", what, got)
	}
	if h := b.text("h1"); h != want.title {
		t.Errorf("%s: titled %q, want %q", what, h, want.title)
	}
	if main := b.text("main"); !strings.Contains(main, want.says) || !strings.Contains(main, "n•••@example.org") {
		t.Errorf("%s: no %q or masked address in\n%s", what, want.says, main)
	}
	if want.js {
		b.shot(want.shot)
	}
	b.checkNextSteps(what, landed, want.lang, want.need)
}

// checkNextSteps checks the result page at pageURL: it offers at least one next step,
// and those of need; a join or subscribe step links to that form's page in lang; and
// clicking each step's link lands on a page in lang (the form's, for join and subscribe)
// — unless pageURL is "", a page that cannot be opened again (the answer to a post).
func (b *browser) checkNextSteps(what, pageURL string, lang i18n.Lang, need []string) {
	b.t.Helper()
	t := b.t
	links := b.nextLinks()
	if len(links) == 0 {
		t.Errorf("%s offers no next step", what)
		return
	}
	have := map[string]bool{}
	for _, l := range links {
		have[l.Step] = true
	}
	for _, n := range need {
		if !have[n] {
			t.Errorf("%s: no %q step among %+v", what, n, links)
		}
	}
	forms := map[string]string{"join": "join.html", "subscribe": "subscribe.html", "dues": "join.html"}
	for _, l := range links {
		form, isForm := forms[l.Step]
		if isForm {
			u, err := url.Parse(l.Href)
			if want := "/" + webforms.FileName(form, lang); err != nil || u.Path != want || (l.Step == "dues") != (u.Fragment == "dues") {
				t.Errorf("%s: the %q step links to %q, want %s (#dues for the dues)", what, l.Step, l.Href, want)
				continue
			}
		}
		if pageURL == "" {
			continue
		}
		b.open(pageURL)
		b.run(chromedp.Click(fmt.Sprintf(`nav.next a[data-step=%q]`, l.Step), chromedp.ByQuery))
		if isForm {
			b.waitAt(webforms.FileName(form, lang))
		} else {
			b.waitForLeaving(pageURL)
		}
		var loc string
		b.run(chromedp.Location(&loc))
		if got := b.lang(); got != string(lang) {
			t.Errorf("%s: the %q step (%s) led to %s, a page in %q", what, l.Step, l.Href, loc, got)
		}
	}
}

// waitForLeaving waits until the browser is at another address than from, its body loaded.
func (b *browser) waitForLeaving(from string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var loc string
		if err := chromedp.Run(b.ctx, chromedp.Location(&loc)); err == nil && loc != from {
			b.run(chromedp.WaitReady("body", chromedp.ByQuery), chromedp.Poll(`document.readyState !== "loading"`, nil))
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never left %s", from)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
