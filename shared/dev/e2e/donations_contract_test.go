package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/i18n"
)

func validDonation() map[string]any {
	return map[string]any{
		"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once",
		"first_name": "Ana", "last_name": "Roy", "email": "bad-input@example.org",
	}
}

// TestDonationRules sends each rule of docs/api.md broken, in English and in French, and
// expects 400 validation_failed naming the request's own field, in that language.
func TestDonationRules(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	closed := time.Now().Add(-time.Hour)
	for _, c := range []campaign.Campaign{
		{Slug: "closed", TitleEN: "Closed", GoalCents: 100, Open: false},
		{Slug: "ended", TitleEN: "Ended", GoalCents: 100, Open: true, ClosesAt: &closed},
		{Slug: "big-gifts", TitleEN: "Big gifts", GoalCents: 100, Open: true, MinCents: 5000, MaxCents: 20000},
	} {
		if err := s.sys.Store.CreateCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("x", 101)
	s.expectRules(t, "/donations", validDonation, []fieldRule{
		{name: "campaign missing", drop: "campaign", field: "campaign", en: "required", fr: "obligatoire"},
		{name: "campaign unknown", set: map[string]any{"campaign": "no-such-appeal"}, field: "campaign", en: "not accepting", fr: "n’accepte pas"},
		{name: "campaign slug too long for a key", set: map[string]any{"campaign": strings.Repeat("a", 3000)}, field: "campaign", en: "at most 100", fr: "au plus 100"},
		{name: "campaign slug with odd characters", set: map[string]any{"campaign": "Appeal 2024!"}, field: "campaign", en: "not accepting", fr: "n’accepte pas"},
		{name: "campaign closed", set: map[string]any{"campaign": "closed"}, field: "campaign", en: "not accepting", fr: "n’accepte pas"},
		{name: "campaign past its end", set: map[string]any{"campaign": "ended"}, field: "campaign", en: "not accepting", fr: "n’accepte pas"},
		{name: "amount missing", drop: "amount_cents", field: "amount_cents", en: "minimum donation is $1.00", fr: "minimum est de 1,00"},
		{name: "amount below default minimum", set: map[string]any{"amount_cents": 99}, field: "amount_cents", en: "$1.00", fr: "1,00"},
		{name: "amount zero", set: map[string]any{"amount_cents": 0}, field: "amount_cents", en: "$1.00", fr: "1,00"},
		{name: "amount negative", set: map[string]any{"amount_cents": -2500}, field: "amount_cents", en: "$1.00", fr: "1,00"},
		{name: "amount above default maximum", set: map[string]any{"amount_cents": 1_000_001}, field: "amount_cents", en: "maximum donation is $10,000.00", fr: "10\u00a0000,00"},
		{name: "amount below campaign minimum", set: map[string]any{"campaign": "big-gifts", "amount_cents": 4999}, field: "amount_cents", en: "$50.00", fr: "50,00"},
		{name: "amount above campaign maximum", set: map[string]any{"campaign": "big-gifts", "amount_cents": 20001}, field: "amount_cents", en: "$200.00", fr: "200,00"},
		{name: "amount as string", set: map[string]any{"amount_cents": "2500"}, field: "amount_cents", en: "whole number", fr: "nombre entier"},
		{name: "amount with cents fraction", set: map[string]any{"amount_cents": 25.5}, field: "amount_cents", en: "whole number", fr: "nombre entier"},
		{name: "frequency missing", drop: "frequency", field: "frequency", en: "required", fr: "obligatoire"},
		{name: "frequency weekly", set: map[string]any{"frequency": "weekly"}, field: "frequency", en: "once or monthly", fr: "mensuel"},
		{name: "first name missing", drop: "first_name", field: "first_name", en: "required", fr: "obligatoire"},
		{name: "first name blank", set: map[string]any{"first_name": "   "}, field: "first_name", en: "required", fr: "obligatoire"},
		{name: "first name too long", set: map[string]any{"first_name": long}, field: "first_name", en: "at most 100", fr: "au plus 100"},
		{name: "first name with a line break", set: map[string]any{"first_name": "Ana\r\nBcc: x@example.org"}, field: "first_name", en: "single line", fr: "une seule ligne"},
		{name: "last name missing", drop: "last_name", field: "last_name", en: "required", fr: "obligatoire"},
		{name: "last name too long", set: map[string]any{"last_name": long}, field: "last_name", en: "at most 100", fr: "au plus 100"},
		{name: "email missing", drop: "email", field: "email", en: "required", fr: "obligatoire"},
		{name: "email invalid", set: map[string]any{"email": "ana-at-example.org"}, field: "email", en: "valid email", fr: "courriel valide"},
		{name: "language other", set: map[string]any{"language": "de"}, field: "language", en: "en (English) or fr", fr: "en (anglais) ou fr"},
		{name: "cover_fees not a boolean", set: map[string]any{"cover_fees": "yes"}, field: "cover_fees", en: "true or false", fr: "vrai"},
		{name: "anonymous not a boolean", set: map[string]any{"anonymous": 1}, field: "anonymous", en: "true or false", fr: "vrai"},
		{name: "consent not a boolean", set: map[string]any{"consent_updates": "on"}, field: "consent_updates", en: "true or false", fr: "vrai"},
		{name: "address not an object", set: map[string]any{"address": "Montréal"}, field: "address", en: "object", fr: "objet"},
		{name: "province unknown", set: map[string]any{"address": map[string]any{"province": "ZZ"}}, field: "address.province", en: "province or territory", fr: "province"},
		{name: "postal code invalid", set: map[string]any{"address": map[string]any{"postal_code": "90210"}}, field: "address.postal_code", en: "postal code", fr: "code postal"},
		{name: "country not a code", set: map[string]any{"address": map[string]any{"country": "Canada"}}, field: "address.country", en: "country code", fr: "code de pays"},
		{name: "address line too long", set: map[string]any{"address": map[string]any{"line1": strings.Repeat("x", 201)}}, field: "address.line1", en: "at most 200", fr: "au plus 200"},
		{name: "other amount not an amount", set: map[string]any{"other_amount": "twenty"}, field: "other_amount", en: "amount in dollars", fr: "montant en dollars"},
		{name: "other amount below the minimum", set: map[string]any{"other_amount": "0,50"}, field: "other_amount", en: "$1.00", fr: "1,00"},
		{name: "other amount above the maximum", set: map[string]any{"other_amount": "10000.01"}, field: "other_amount", en: "$10,000.00", fr: "10\u00a0000,00"},
		{name: "unknown field", set: map[string]any{"amount": 25}, field: "amount", en: "not recognized", fr: "pas reconnu"},
		{name: "unknown address field", set: map[string]any{"address": map[string]any{"zip": "H2X1Y4"}}, field: "address.zip", en: "not recognized", fr: "pas reconnu"},
	})
	t.Run("form posts answer a localized HTML page", func(t *testing.T) {
		form := url.Values{"campaign": {localdev.AppealSlug}, "amount_cents": {"50"}, "frequency": {"once"},
			"first_name": {"Ana"}, "last_name": {"Roy"}, "email": {"nope"}, "language": {"fr"}}
		res := s.postForm("/donations", form, nil)
		if res.status != http.StatusBadRequest || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
			t.Fatalf("status %d, type %s", res.status, res.header.Get("Content-Type"))
		}
		page := string(res.body)
		for _, want := range []string{`lang="fr"`, "Veuillez corriger le formulaire", `data-field="amount_cents"`, "<strong>Montant</strong>", "1,00",
			`data-field="email"`, "<strong>Courriel</strong>", "courriel valide"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q:\n%s", want, page)
			}
		}
	})
	t.Run("nothing was stored or sent", func(t *testing.T) {
		if n := len(s.items("donation")); n != 0 {
			t.Fatalf("%d donations stored", n)
		}
		if n := len(s.items("consent")); n != 0 {
			t.Fatalf("%d consent records stored", n)
		}
		if n := len(s.env.SentEmails(t, "bad-input@example.org")); n != 0 {
			t.Fatalf("%d emails sent", n)
		}
	})
}

func TestDonationRequests(t *testing.T) {
	s := newStack(t, false)
	t.Run("json creates a pending donation and a checkout", func(t *testing.T) {
		res := s.postJSON("/donations", map[string]any{
			"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once", "first_name": "Ana",
			"last_name": "Roy", "email": "Ana.Roy@Example.org", "anonymous": true,
			"address": map[string]any{"city": "Montréal", "province": "qc", "postal_code": "h2x1y4"},
		}, nil)
		if res.status != http.StatusCreated {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		got := res.json(t)
		id, _ := got["donation_id"].(string)
		if !strings.HasPrefix(id, "don_") || got["checkout_url"] != s.url+"/_local/checkout/"+id {
			t.Fatalf("answer %v", got)
		}
		d := s.donationByID(id)
		if d.Status != "pending" || d.AmountCents != 2500 || d.ChargeCents != 2500 || d.Language != "en" ||
			d.Email != "ana.roy@example.org" || !d.Anonymous || d.Address.PostalCode != "H2X 1Y4" ||
			d.Address.Province != "QC" || d.Address.Country != "CA" || d.CheckoutID == "" || d.CampaignTitle != "2024 financial appeal" {
			t.Fatalf("stored %+v %+v", d, d.Address)
		}
	})
	t.Run("cover the fees grosses the charge up", func(t *testing.T) {
		d := s.donate(map[string]any{"cover_fees": true})
		if d.AmountCents != 2500 || d.ChargeCents != 2606 {
			t.Fatalf("amount %d charge %d", d.AmountCents, d.ChargeCents)
		}
	})
	t.Run("monthly", func(t *testing.T) {
		d := s.donate(map[string]any{"frequency": "monthly", "amount_cents": 1000})
		if d.Frequency != "monthly" || d.ChargeCents != 1000 {
			t.Fatalf("stored %+v", d)
		}
	})
	t.Run("language from Accept-Language", func(t *testing.T) {
		body := validDonation()
		res := s.postJSON("/donations", body, map[string]string{"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.8"})
		d := s.donationByID(res.json(t)["donation_id"].(string))
		if d.Language != "fr" || d.CampaignTitle != "Campagne financière 2024" {
			t.Fatalf("language %q title %q", d.Language, d.CampaignTitle)
		}
	})
	t.Run("consent is recorded with its wording", func(t *testing.T) {
		before := len(s.items("consent"))
		s.donate(map[string]any{"consent_updates": true, "email": "consent@example.org"})
		items := s.items("consent")
		if len(items) != before+1 {
			t.Fatalf("%d consent records, want %d", len(items), before+1)
		}
		rec := unmarshal[map[string]any](t, items[len(items)-1])
		if rec["language"] != "fr" || rec["source"] != "donation_form" || !strings.Contains(rec["wording"].(string), "Oui") || rec["ip"] == "" {
			t.Fatalf("consent %v", rec)
		}
	})
	t.Run("form post redirects to checkout", func(t *testing.T) {
		form := url.Values{"campaign": {localdev.AppealSlug}, "amount_cents": {"2500"}, "frequency": {"once"},
			"first_name": {"Ana"}, "last_name": {"Roy"}, "email": {"ana@example.org"}, "cover_fees": {"on"},
			"site_specific": {"ignored"}}
		res := s.postForm("/donations", form, nil)
		loc := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, s.url+"/_local/checkout/don_") {
			t.Fatalf("status %d location %q", res.status, loc)
		}
	})
	t.Run("honeypot answers success and stores nothing", func(t *testing.T) {
		before := len(s.items("donation"))
		body := validDonation()
		body["website"] = "http://spam.example"
		res := s.postJSON("/donations", body, nil)
		if res.status != http.StatusCreated || !strings.HasPrefix(res.json(t)["donation_id"].(string), "don_") {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		form := url.Values{"campaign": {localdev.AppealSlug}, "amount_cents": {"2500"}, "frequency": {"once"},
			"first_name": {"Ana"}, "last_name": {"Roy"}, "email": {"ana@example.org"}, "website": {"x"}}
		if res := s.postForm("/donations", form, nil); res.status != http.StatusSeeOther {
			t.Fatalf("form status %d", res.status)
		}
		if after := len(s.items("donation")); after != before {
			t.Fatalf("%d donations stored, want %d", after, before)
		}
	})
	t.Run("413 over 16 KiB", func(t *testing.T) {
		before := len(s.items("donation"))
		body := validDonation()
		body["first_name"] = strings.Repeat("a", 17<<10)
		res := s.postJSON("/donations", body, nil)
		if res.status != http.StatusRequestEntityTooLarge || res.json(t)["error"] != "payload_too_large" {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		if after := len(s.items("donation")); after != before {
			t.Fatal("stored")
		}
	})
	t.Run("415 for other media types", func(t *testing.T) {
		before := len(s.items("donation"))
		defer func() {
			if after := len(s.items("donation")); after != before {
				t.Fatal("stored")
			}
		}()
		res := s.do(http.MethodPost, "/donations", "text/plain", "amount=25", map[string]string{"Accept-Language": "fr"})
		got := res.json(t)
		if res.status != http.StatusUnsupportedMediaType || got["error"] != "unsupported_media_type" ||
			!strings.Contains(got["message"].(string), "formulaire") {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
	})
	t.Run("CORS allows only listed origins", func(t *testing.T) {
		res := s.postJSON("/donations", validDonation(), map[string]string{"Origin": allowed})
		if res.header.Get("Access-Control-Allow-Origin") != allowed {
			t.Fatalf("allowed origin: %v", res.header)
		}
		res = s.postJSON("/donations", validDonation(), map[string]string{"Origin": "https://evil.example"})
		if res.status != http.StatusForbidden || res.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("other origin: %d, allowed %q", res.status, res.header.Get("Access-Control-Allow-Origin"))
		}
		pre := s.do(http.MethodOptions, "/donations", "", "", map[string]string{"Origin": allowed, "Access-Control-Request-Method": "POST"})
		if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "POST") {
			t.Fatalf("preflight %d %v", pre.status, pre.header)
		}
		pre = s.do(http.MethodOptions, "/donations", "", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
		if pre.status != http.StatusForbidden || pre.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("foreign preflight %d %v", pre.status, pre.header)
		}
	})
	t.Run("thanks and cancel pages are localized", func(t *testing.T) {
		res := s.do(http.MethodGet, "/donations/thanks?lang=fr", "", "", nil)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), "Merci") {
			t.Fatalf("%d %s", res.status, res.body)
		}
		res = s.do(http.MethodGet, "/donations/cancelled", "", "", map[string]string{"Accept-Language": "en"})
		if res.status != http.StatusOK || !strings.Contains(string(res.body), "Nothing was charged") {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
}

func TestCampaignProgress(t *testing.T) {
	s := newStack(t, false)
	res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", nil)
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "public, max-age=30" {
		t.Fatalf("%d %v", res.status, res.header)
	}
	got := res.json(t)
	want := map[string]any{"slug": localdev.AppealSlug, "title": "2024 financial appeal", "currency": "cad",
		"goal_cents": 1e7, "raised_cents": 9e6, "donation_count": 0.0, "donor_count": 0.0, "percent": 90.0, "closes_at": nil}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v", got)
	}
	fr := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", map[string]string{"Accept-Language": "fr"}).json(t)
	if fr["title"] != "Campagne financière 2024" {
		t.Errorf("fr title %v", fr["title"])
	}
	missing := s.do(http.MethodGet, "/campaigns/nope", "", "", nil)
	if missing.status != http.StatusNotFound || missing.json(t)["error"] != "not_found" {
		t.Fatalf("unknown slug: %d %s", missing.status, missing.body)
	}
}

// expectFieldError posts body to path asking for lang in Accept-Language (so that a bad
// "language" field is still answered in that language) and expects 400
// validation_failed with a message for field that says want.
func (s *stack) expectFieldError(t *testing.T, path string, body map[string]any, lang i18n.Lang, field, want string) {
	t.Helper()
	res := s.postJSON(path, body, map[string]string{"Accept-Language": string(lang) + "-CA"})
	if res.status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	got := res.json(t)
	if got["error"] != "validation_failed" {
		t.Fatalf("error %v", got["error"])
	}
	if msg := i18n.Text(lang, i18n.M("error.validation_failed")); got["message"] != msg {
		t.Fatalf("message %q, want %q", got["message"], msg)
	}
	fields, _ := got["fields"].(map[string]any)
	if msg, _ := fields[field].(string); !strings.Contains(msg, want) {
		t.Fatalf("fields[%q] = %q, want it to say %q (all fields: %v)", field, msg, want, fields)
	}
}

// fieldRule is one broken rule of a form endpoint: fields set (or dropped) on a valid
// body, the field the error must name, and a part of its English and French messages.
type fieldRule struct {
	name   string
	set    map[string]any
	drop   string
	field  string
	en, fr string
}

// expectRules posts each rule broken, in English and in French (asked by header, so the
// body's own language field is dropped unless the rule sets it), and expects the error.
func (s *stack) expectRules(t *testing.T, path string, valid func() map[string]any, rules []fieldRule) {
	t.Helper()
	for _, tt := range rules {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			t.Run(tt.name+"/"+string(lang), func(t *testing.T) {
				body := valid()
				if _, asked := tt.set["language"]; !asked {
					delete(body, "language")
				}
				for k, v := range tt.set {
					body[k] = v
				}
				delete(body, tt.drop)
				s.expectFieldError(t, path, body, lang, tt.field, map[i18n.Lang]string{i18n.EN: tt.en, i18n.FR: tt.fr}[lang])
			})
		}
	}
}
