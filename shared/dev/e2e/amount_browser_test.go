package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/money"
	"github.com/solidarity/solidarity/shared/webforms"
)

// donateText is what the Donate button says for a charge of cents, as the page words it.
func donateText(lang i18n.Lang, frequency string, cents int64) string {
	amount := i18n.FormatCents(lang, cents)
	switch {
	case lang == i18n.FR && frequency == "monthly":
		return "Donner " + amount + " par mois"
	case lang == i18n.FR:
		return "Donner " + amount + " une fois"
	case frequency == "monthly":
		return "Donate " + amount + " monthly"
	}
	return "Donate " + amount + " once"
}

// plainDonate is the button's text while it names no amount.
func plainDonate(lang i18n.Lang) string {
	if lang == i18n.FR {
		return "Donner"
	}
	return "Donate"
}

// serverFees are the card fees the donate function charges with the settings vars (as
// localdev reads them, over the functions' own defaults).
func serverFees(t *testing.T, vars localdev.Vars) donation.Fees {
	t.Helper()
	c, err := localdev.Settings(vars.Get, "http://127.0.0.1:1", "http://127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	return donation.Fees{PercentBps: c.FeePercentBps, FixedCents: c.FeeFixedCents}
}

// donateButton is the Donate button's own text (its accessible name).
func (b *browser) donateButton() string {
	b.t.Helper()
	var s string
	b.run(chromedp.Evaluate(`document.querySelector("main form button[type=submit]").textContent`, &s))
	return s
}

// typeOther sets the other amount's field to v as typing would (an input event).
func (b *browser) typeOther(v string) {
	b.t.Helper()
	b.run(chromedp.Evaluate(fmt.Sprintf(`(() => {
		const el = document.getElementById("other_amount");
		el.value = %q;
		el.dispatchEvent(new Event("input", { bubbles: true }));
	})()`, v), nil))
}

// amountState is what the page shows of the amount's control.
type amountState struct {
	OtherFieldShown  bool   `json:"otherFieldShown"`
	OtherChoiceShown bool   `json:"otherChoiceShown"`
	WordsShown       bool   `json:"wordsShown"`
	Words            string `json:"words"`
	OtherLabel       string `json:"otherLabel"`
	Focused          string `json:"focused"`
	ButtonDescribed  string `json:"buttonDescribed"`
}

func (b *browser) amountState() amountState {
	b.t.Helper()
	var st amountState
	b.run(chromedp.Evaluate(`(() => {
		const shown = (el) => !!el && el.getClientRects().length > 0;
		return {
			otherFieldShown: shown(document.getElementById("other_amount")),
			otherChoiceShown: shown(document.querySelector("#amount-other + span")),
			wordsShown: shown(document.getElementById("amount-words")),
			words: document.getElementById("amount-words").textContent,
			otherLabel: document.querySelector("label[for=other_amount]").textContent,
			focused: document.activeElement ? document.activeElement.id : "",
			buttonDescribed: document.querySelector("main form button[type=submit]").getAttribute("aria-describedby") || "",
		};
	})()`, &st))
	return st
}

// fieldError is an error shown on the page: its text, the id of the .field it stands in,
// and the state of the field it describes.
type fieldError struct {
	Text        string `json:"text"`
	Box         string `json:"box"`
	Invalid     string `json:"invalid"`
	DescribedBy string `json:"describedBy"`
	Focused     string `json:"focused"`
}

func (b *browser) fieldError(errID, fieldID string) fieldError {
	b.t.Helper()
	var e fieldError
	b.run(chromedp.Evaluate(fmt.Sprintf(`(() => {
		const err = document.getElementById(%q), el = document.getElementById(%q);
		const box = err && err.closest(".field");
		return {
			text: err ? err.textContent : "",
			box: box && box.contains(el) ? "same" : "elsewhere",
			invalid: el.getAttribute("aria-invalid") || "",
			describedBy: el.getAttribute("aria-describedby") || "",
			focused: document.activeElement ? document.activeElement.id : "",
		};
	})()`, errID, fieldID), &e))
	return e
}

// TestBrowserDonateButtonSaysTheCharge: with JavaScript, in English and in French, the
// donation form's amount is one control: the preset buttons and "Other", whose field is
// hidden until it is chosen and then has the focus. The Donate button names the charge
// as the amount, the frequency and "cover the fees" change, worked out by the donate
// function's own fee function (donation.Fees.GrossUp) with its settings, and the other
// amount read as the server reads it (money.ParseDollars): plain "Donate" while it is not
// an amount. The other amount's error (and the amount's, "Other" chosen) stands beside
// its field, which has the focus.
func TestBrowserDonateButtonSaysTheCharge(t *testing.T) {
	s := newStack(t, false, withWeb)
	fees := serverFees(t, testVars(s.table))
	b := newBrowser(t, s, true)
	typed := map[i18n.Lang]string{i18n.EN: "25.50", i18n.FR: "25,50"}
	for _, lang := range webforms.Langs {
		file := webforms.FileName("index.html", lang)
		b.open("/" + file)
		st := b.amountState()
		if st.OtherFieldShown || !st.OtherChoiceShown || st.WordsShown || st.ButtonDescribed != "" {
			t.Errorf("%s: other field shown %v, Other shown %v, no-script words shown %v, button described by %q; want the field hidden, Other shown, no words",
				file, st.OtherFieldShown, st.OtherChoiceShown, st.WordsShown, st.ButtonDescribed)
		}
		check := func(what, want string) {
			t.Helper()
			if got := b.donateButton(); got != want {
				t.Errorf("%s, %s: the button says %q, want %q", file, what, got, want)
			}
		}
		check("as it opens ($25, once)", donateText(lang, "once", 2500))
		b.pick("amount_cents", "10000")
		check("$100 once", donateText(lang, "once", 10000))
		b.pick("frequency", "monthly")
		check("$100 monthly", donateText(lang, "monthly", 10000))
		b.run(chromedp.Click(`input[name=cover_fees]`, chromedp.ByQuery))
		check("$100 monthly, fees covered", donateText(lang, "monthly", fees.GrossUp(10000)))
		b.pick("frequency", "once")
		check("$100 once, fees covered", donateText(lang, "once", fees.GrossUp(10000)))

		b.pick("amount_cents", "")
		st = b.amountState()
		if !st.OtherFieldShown || st.Focused != "other_amount" {
			t.Errorf("%s: Other chosen, the field shown %v, the focus on %q; want it shown and focused", file, st.OtherFieldShown, st.Focused)
		}
		check("Other, nothing typed", plainDonate(lang))
		b.run(chromedp.SendKeys("#other_amount", typed[lang], chromedp.ByQuery))
		cents, err := money.ParseDollars(typed[lang], lang)
		if err != nil {
			t.Fatal(err)
		}
		check("Other "+typed[lang]+", fees covered", donateText(lang, "once", fees.GrossUp(cents)))
		b.run(chromedp.Click(`input[name=cover_fees]`, chromedp.ByQuery))
		check("Other "+typed[lang], donateText(lang, "once", cents))

		// The page reads what is typed as the server does: the same cents, or no amount.
		for _, v := range []string{"40", "25.5", "25,5", "1 250,50", "1\u00a0250.50", "$1,250.00", "1,250", "1.250",
			"1,250.00", "1.250,00", "CA$25", "25 $ CA", "25 $", "0", "-5", "25,505", "abc", "1e3", "2 5", "999999999.99", "1000000000"} {
			b.typeOther(v)
			want := plainDonate(lang)
			if c, err := money.ParseDollars(v, lang); err == nil && c > 0 {
				want = donateText(lang, "once", c)
			}
			check(fmt.Sprintf("Other %q", v), want)
		}

		b.pick("amount_cents", "5000")
		if st := b.amountState(); st.OtherFieldShown {
			t.Errorf("%s: a preset chosen again, the other field is still shown", file)
		}
		check("$50 again", donateText(lang, "once", 5000))

		// The other amount's error, beside its field, which has the focus.
		b.pick("amount_cents", "")
		b.typeOther("abc")
		b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie@example.org"})
		b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
		waitContains(b, "#err-other_amount", i18n.Text(lang, money.ErrNotAmount.Message()))
		if e := b.fieldError("err-other_amount", "other_amount"); e.Box != "same" || e.Invalid != "true" ||
			!strings.Contains(e.DescribedBy, "err-other_amount") || e.Focused != "other_amount" {
			t.Errorf("%s: the other amount's error %+v; want it in the field's box, the field invalid, described by it and focused", file, e)
		}
		// Nothing typed with "Other" chosen: the amount's error stands there too.
		b.typeOther("")
		b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
		waitContains(b, "#err-amount_cents", "")
		if e := b.fieldError("err-amount_cents", "other_amount"); e.Text == "" || e.Box != "same" || e.Invalid != "true" ||
			!strings.Contains(e.DescribedBy, "err-amount_cents") || e.Focused != "other_amount" {
			t.Errorf("%s: the amount's error with Other chosen %+v; want it beside the other amount's field, focused", file, e)
		}
		b.shot("donate-other-error-" + string(lang))
	}
}

// TestBrowserDonateButtonIsTheCharge: with card fees other than the default
// (FEE_PERCENT_BPS, FEE_FIXED_CENTS), the page says them and the button names what the
// donate function then asks on Checkout, in French, monthly, fees covered, another amount.
func TestBrowserDonateButtonIsTheCharge(t *testing.T) {
	feeVars := []string{"FEE_PERCENT_BPS", "350", "FEE_FIXED_CENTS", "25"}
	s := newStack(t, false, withWeb, set(feeVars...))
	vars := testVars(s.table)
	vars[feeVars[0]], vars[feeVars[2]] = feeVars[1], feeVars[3]
	fees := serverFees(t, vars)
	if fees == donation.StripeCanada {
		t.Fatalf("the fees %+v are the default: the test shows nothing", fees)
	}
	b := newBrowser(t, s, true)
	b.open("/index.fr.html")
	b.pick("amount_cents", "")
	b.run(chromedp.SendKeys("#other_amount", "25,50", chromedp.ByQuery))
	b.pick("frequency", "monthly")
	b.run(chromedp.Click(`input[name=cover_fees]`, chromedp.ByQuery))
	charge := fees.GrossUp(2550)
	if got, want := b.donateButton(), donateText(i18n.FR, "monthly", charge); got != want {
		t.Errorf("the button says %q, want %q", got, want)
	}
	if label := b.text(`label:has(input[name=cover_fees])`); !strings.Contains(label, "3,5\u00a0% + 0,25\u00a0$") {
		t.Errorf("the fees' box says %q, want the fees set (3,5 %% + 0,25 $)", label)
	}
	b.fill(map[string]string{"#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie@example.org"})
	b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
	b.waitFor("/_local/checkout/")
	if got, want := b.text(`form[action$="/pay"] button`), "Pay "+i18n.FormatCents(i18n.FR, charge)+" with a test card"; got != want {
		t.Errorf("Checkout asks %q, want %q", got, want)
	}
}

// TestBrowserAmountWithoutJavaScript: without JavaScript, in English and in French, the
// other amount's field is there, labelled as the way to give another amount (no "Other"
// button, which would need the script), the page says in words what is charged and how
// covering the fees changes it (with the function's fees, and an example worked out by
// its fee function), and a bad other amount comes back on the error page marked on that
// field, with its error beside it.
func TestBrowserAmountWithoutJavaScript(t *testing.T) {
	s := newStack(t, false, withWeb)
	fees := serverFees(t, testVars(s.table))
	b := newBrowser(t, s, false)
	labels := map[i18n.Lang]string{i18n.EN: "Another amount, in dollars", i18n.FR: "Un autre montant, en dollars"}
	rates := map[i18n.Lang]string{i18n.EN: "2.9% + 30¢", i18n.FR: "2,9\u00a0% + 0,30\u00a0$"}
	if fees != donation.StripeCanada {
		t.Fatalf("the function's default fees are %+v; this test's words expect %+v", fees, donation.StripeCanada)
	}
	for _, lang := range webforms.Langs {
		file := webforms.FileName("index.html", lang)
		b.open("/" + file)
		st := b.amountState()
		if !st.OtherFieldShown || st.OtherChoiceShown || st.OtherLabel != labels[lang] {
			t.Errorf("%s: other field shown %v labelled %q, Other button shown %v; want the field, labelled %q, and no button",
				file, st.OtherFieldShown, st.OtherLabel, st.OtherChoiceShown, labels[lang])
		}
		example := i18n.FormatCents(lang, 2500) + map[i18n.Lang]string{i18n.EN: " becomes ", i18n.FR: " devient "}[lang] +
			i18n.FormatCents(lang, fees.GrossUp(2500)) + "."
		if !st.WordsShown || !strings.Contains(st.Words, rates[lang]) || !strings.HasSuffix(st.Words, example) || st.ButtonDescribed != "amount-words" {
			t.Errorf("%s: the words shown %v %q, the button described by %q; want them shown, with %q and ending %q, describing the button",
				file, st.WordsShown, st.Words, st.ButtonDescribed, rates[lang], example)
		}
		if got := b.donateButton(); got != plainDonate(lang) {
			t.Errorf("%s: the button says %q, want %q", file, got, plainDonate(lang))
		}

		b.fill(map[string]string{"#other_amount": "abc", "#first_name": "Noémie", "#last_name": "Lafleur", "#email": "noemie@example.org"})
		b.run(chromedp.Click(`main form button[type=submit]`, chromedp.ByQuery))
		b.waitFor("/donations")
		var value string
		b.run(chromedp.Value("#f-other_amount", &value, chromedp.ByQuery))
		if e := b.fieldError("err-other_amount", "f-other_amount"); e.Text != i18n.Text(lang, money.ErrNotAmount.Message()) ||
			e.Box != "same" || e.Invalid != "true" || e.DescribedBy != "err-other_amount" || value != "abc" {
			t.Errorf("%s without JavaScript: the error page's other amount %q, its error %+v; want it marked, the error beside it", file, value, e)
		}
		var anchor string
		b.run(chromedp.Evaluate(`(document.querySelector('[data-field="other_amount"] a') || {}).hash || ""`, &anchor))
		if anchor != "#f-other_amount" {
			t.Errorf("%s without JavaScript: the error list links the other amount to %q", file, anchor)
		}
		b.shot("donate-other-error-nojs-" + string(lang))
	}
}
