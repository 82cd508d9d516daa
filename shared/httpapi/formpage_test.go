package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// typed is a donation form as a person without JavaScript posted it.
var typed = httpapi.Form{Fields: []httpapi.FormField{
	{Name: "campaign", Value: "appeal-2024", Kind: httpapi.FieldHidden},
	{Name: "amount_cents", Value: "", Kind: httpapi.FieldHidden},
	{Name: "frequency", Value: "monthly", Kind: httpapi.FieldChoice, Choices: []string{"once", "monthly"}},
	{Name: "first_name", Value: `Ana "<b>` + "</textarea>", Kind: httpapi.FieldText},
	{Name: "email", Value: "ana@example", Kind: httpapi.FieldEmail},
	{Name: "phone", Value: "514-555-1234", Kind: httpapi.FieldTel},
	{Name: "cover_fees", Value: "on", Kind: httpapi.FieldCheck, Checked: true},
	{Name: "consent_updates", Kind: httpapi.FieldCheck},
	{Name: "message", Value: "Hello</textarea><script>alert(1)</script>", Kind: httpapi.FieldLong},
	{Name: "address.postal_code", Value: "H2X", Kind: httpapi.FieldText},
}}

func formPage(t *testing.T, lang i18n.Lang, form httpapi.Form, err error) (*httptest.ResponseRecorder, string) {
	t.Helper()
	captureLogs(t)
	r := post("/donations")
	r.Header.Set("Referer", "https://solidarity.example/")
	w := httptest.NewRecorder()
	httpapi.WriteFormError(w, r, lang, form, err)
	return w, w.Body.String()
}

func problems(fields map[string]string) error {
	f := httpapi.FieldErrors{}
	for k, key := range fields {
		f.Add(k, i18n.M(key))
	}
	return f.Err()
}

func TestWriteFormError(t *testing.T) {
	err := problems(map[string]string{"email": "field.email", "address.postal_code": "field.postal_code",
		"amount_cents": "field.required", "frequency": "field.frequency"})
	for _, c := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.EN, []string{
			`<html lang="en">`,
			`<p>What you typed is kept below. Correct it, then send the form again.</p>`,
			`<label for="f-email">Email</label><input id="f-email" name="email" type="email" value="ana@example" aria-invalid="true" aria-describedby="err-email"><p class="field-error" id="err-email">Enter a valid email address.</p>`,
			`<label for="f-address-postal_code">Postal code</label><input id="f-address-postal_code" name="address.postal_code" type="text" value="H2X" aria-invalid="true" aria-describedby="err-address-postal_code"><p class="field-error" id="err-address-postal_code">Enter a valid Canadian postal code, such as H2X 1Y4.</p>`,
			`<label for="f-phone">Phone</label><input id="f-phone" name="phone" type="tel" value="514-555-1234"></div>`,
			`<fieldset class="field" aria-describedby="err-frequency"><legend>Frequency</legend>`,
			`<input type="radio" id="f-frequency" name="frequency" value="once" aria-invalid="true"> <span>Once</span>`,
			`<input type="radio" id="f-frequency-monthly" name="frequency" value="monthly" checked aria-invalid="true"> <span>Monthly</span>`,
			`<p class="field-error" id="err-frequency">Choose once or monthly.</p></fieldset>`,
			`<input type="checkbox" id="f-cover_fees" name="cover_fees" value="on" checked> <span>Cover the card fees so all of my gift goes to the appeal</span>`,
			`<input type="checkbox" id="f-consent_updates" name="consent_updates" value="on"> <span>Yes, send me news and calls to action by email.`,
			`<input type="hidden" name="campaign" value="appeal-2024">`,
			`<input type="hidden" name="amount_cents" value="">`,
			`<li data-field="amount_cents"><strong>Amount</strong> — This field is required.</li>`,
			`<li data-field="email"><a href="#f-email"><strong>Email</strong></a> — Enter a valid email address.</li>`,
			`<button type="submit">Send again</button>`,
		}},
		{i18n.FR, []string{
			`<html lang="fr">`,
			`<p>Ce que vous avez écrit est gardé ci-dessous. Corrigez-le, puis envoyez de nouveau le formulaire.</p>`,
			`<label for="f-email">Courriel</label><input id="f-email" name="email" type="email" value="ana@example" aria-invalid="true" aria-describedby="err-email"><p class="field-error" id="err-email">Entrez une adresse courriel valide.</p>`,
			`<p class="field-error" id="err-address-postal_code">Entrez un code postal canadien valide, comme H2X 1Y4.</p>`,
			`<legend>Fréquence</legend>`, `<span>Une fois</span>`, `<span>Mensuel</span>`,
			`<span>Couvrir les frais de carte pour que tout mon don aille à la campagne</span>`,
			`<span>Oui, envoyez-moi des nouvelles`,
			`<li data-field="amount_cents"><strong>Montant</strong> — Ce champ est obligatoire.</li>`,
			`<button type="submit">Envoyer de nouveau</button>`,
		}},
	} {
		t.Run(string(c.lang), func(t *testing.T) {
			w, page := formPage(t, c.lang, typed, err)
			if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q: the page holds what was typed", cc)
			}
			// Posting the form again is answered by a redirect to Stripe's Checkout page,
			// which the browser holds to the page's form-action too.
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https:;") && !strings.HasSuffix(csp, "form-action 'self' https:") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, want := range c.want {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %s\n%s", want, page)
				}
			}
		})
	}

	t.Run("what was typed is shown escaped, never as markup", func(t *testing.T) {
		_, page := formPage(t, i18n.EN, typed, err)
		for _, want := range []string{
			`name="first_name" type="text" value="Ana &#34;&lt;b&gt;&lt;/textarea&gt;">`,
			"Hello&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s\n%s", want, page)
			}
		}
		if strings.Contains(page, "<script>") || strings.Contains(page, "<b>") || strings.Count(page, "</textarea>") != 1 {
			t.Errorf("markup from the post reached the page:\n%s", page)
		}
	})

	t.Run("the form posts again to where it came from, and there is no link to an empty one", func(t *testing.T) {
		_, page := formPage(t, i18n.EN, typed, err)
		if !strings.Contains(page, `<form class="again" method="post" novalidate>`) || strings.Contains(page, "action=") {
			t.Errorf("the form does not post to the page's own address:\n%s", page)
		}
		if strings.Contains(page, "Go back to the form") || strings.Contains(page, `href="https://solidarity.example/"`) {
			t.Errorf("page links back to the empty form:\n%s", page)
		}
	})

	t.Run("every visible field's error is beside it, and every field in error is described by it", func(t *testing.T) {
		_, page := formPage(t, i18n.EN, typed, err)
		described := regexp.MustCompile(`aria-describedby="(err-[^"]+)"`).FindAllStringSubmatch(page, -1)
		if len(described) != 3 {
			t.Errorf("%d fields described by an error, want 3 (email, postal code, frequency)", len(described))
		}
		for _, d := range described {
			if strings.Count(page, `id="`+d[1]+`"`) != 1 {
				t.Errorf("%s describes a field but is not on the page once", d[1])
			}
		}
		if n := strings.Count(page, `aria-invalid="true"`); n != 4 { // email, postal code, both frequency radios
			t.Errorf("%d fields marked invalid, want 4", n)
		}
	})

	t.Run("any error keeps the form: a rate limit too", func(t *testing.T) {
		w, page := formPage(t, i18n.EN, typed, waited{30 * time.Second})
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" {
			t.Errorf("status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
		body := page[strings.Index(page, "<body>"):]
		if !strings.Contains(body, `value="ana@example"`) || strings.Contains(body, "aria-invalid") || strings.Contains(body, "<ul>") {
			t.Errorf("page:\n%s", page)
		}
	})

	t.Run("a field named by the request is named on the page as sent, escaped", func(t *testing.T) {
		odd := httpapi.Form{Fields: []httpapi.FormField{{Name: `x"><img src=x>`, Value: "v", Kind: httpapi.FieldText}}}
		_, page := formPage(t, i18n.EN, odd, problems(map[string]string{`x"><img src=x>`: "field.unknown"}))
		if strings.Contains(page, "<img src=x") || !strings.Contains(page, `id="f-x---img-src-x-"`) {
			t.Errorf("page:\n%s", page)
		}
	})
}

// FuzzWriteFormError: whatever was typed, the page shows it as text: it adds no tag, no
// attribute and no quote to the page (as many <, > and " as with a plain value).
func FuzzWriteFormError(f *testing.F) {
	for _, s := range []string{`"><script>alert(1)</script>`, "</textarea><b>", "' onfocus='x", "\n\r\x00", "\xff<\xfe", "&lt;", "é\u2028"} {
		f.Add(s)
	}
	render := func(t *testing.T, v string) string {
		form := httpapi.Form{Fields: []httpapi.FormField{
			{Name: "campaign", Value: v, Kind: httpapi.FieldHidden},
			{Name: "frequency", Value: v, Kind: httpapi.FieldChoice, Choices: []string{"once", "monthly"}},
			{Name: "first_name", Value: v, Kind: httpapi.FieldText},
			{Name: "message", Value: v, Kind: httpapi.FieldLong},
		}}
		w := httptest.NewRecorder()
		httpapi.WriteFormError(w, post("/members"), i18n.FR, form, problems(map[string]string{"first_name": "field.required"}))
		return w.Body.String()
	}
	f.Fuzz(func(t *testing.T, typed string) {
		page, plain := render(t, typed), render(t, "x")
		for _, c := range []string{"<", ">", `"`} {
			if strings.Count(page, c) != strings.Count(plain, c) {
				t.Fatalf("%q changed the page's markup (%s):\n%s", typed, c, page)
			}
		}
	})
}
