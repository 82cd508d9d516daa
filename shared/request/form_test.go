package request

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

type giftAddress struct {
	Line1      string `json:"line1" validate:"max=200,singleline"`
	City       string `json:"city" validate:"max=100,singleline"`
	PostalCode string `json:"postal_code" validate:"max=20,singleline"`
}

// gift has the shapes of the site's forms: fields the page chooses, an amount in cents,
// a choice, text, an email, a phone, a long message, check boxes, a nested address, the
// honeypot and the Turnstile token.
type gift struct {
	Campaign  string       `json:"campaign" validate:"required,max=100"`
	Amount    int64        `json:"amount_cents"`
	Frequency string       `json:"frequency" validate:"required,oneof=once monthly"`
	FirstName string       `json:"first_name" validate:"required,max=100,singleline"`
	Email     string       `json:"email" validate:"required,max=254,email"`
	Phone     string       `json:"phone" validate:"max=40"`
	Language  string       `json:"language" validate:"omitempty,oneof=en fr"`
	Consent   bool         `json:"consent_updates"`
	Anonymous bool         `json:"anonymous"`
	Message   string       `json:"message" validate:"max=2000"`
	Branch    string       `json:"branch" validate:"max=60"`
	Address   *giftAddress `json:"address"`
	Website   string       `json:"website"`
	Turnstile string       `json:"cf-turnstile-response"`
}

func (g *gift) AskedLanguage() string { return g.Language }
func (g *gift) SenderEmail() string   { return g.Email }
func (g *gift) BotToken() string      { return g.Turnstile }

func TestPostedForm(t *testing.T) {
	type shown struct {
		name    string
		kind    httpapi.FieldKind
		value   string
		checked bool
	}
	tests := []struct {
		name     string
		posted   string
		problems []string
		want     []shown
	}{
		{
			name: "each posted field in the struct's order, by its kind",
			posted: "website=spam&cf-turnstile-response=tok&message=Hi&consent_updates=on&language=fr&phone=514&email=a%40b&" +
				"first_name=Ana&frequency=monthly&amount_cents=2500&campaign=appeal&address.city=Laval&address.line1=1+rue&colour=red",
			want: []shown{
				{"campaign", httpapi.FieldHidden, "appeal", false},
				{"amount_cents", httpapi.FieldHidden, "2500", false},
				{"frequency", httpapi.FieldChoice, "monthly", false},
				{"first_name", httpapi.FieldText, "Ana", false},
				{"email", httpapi.FieldEmail, "a@b", false},
				{"phone", httpapi.FieldTel, "514", false},
				{"language", httpapi.FieldHidden, "fr", false},
				{"consent_updates", httpapi.FieldCheck, "on", true},
				{"anonymous", httpapi.FieldCheck, "", false},
				{"message", httpapi.FieldLong, "Hi", false},
				{"address.line1", httpapi.FieldText, "1 rue", false},
				{"address.city", httpapi.FieldText, "Laval", false},
			},
		},
		{
			name:     "a field with a problem is shown though it was not posted; others not posted are not",
			posted:   "email=",
			problems: []string{"first_name", "address.postal_code"},
			want: []shown{
				{"first_name", httpapi.FieldText, "", false},
				{"email", httpapi.FieldEmail, "", false},
				{"consent_updates", httpapi.FieldCheck, "", false},
				{"anonymous", httpapi.FieldCheck, "", false},
				{"address.postal_code", httpapi.FieldText, "", false},
			},
		},
		{
			name:   "values are kept as typed, check boxes read as the decoder reads them",
			posted: "first_name=++Ana++&consent_updates=true&anonymous=off",
			want: []shown{
				{"first_name", httpapi.FieldText, "  Ana  ", false},
				{"consent_updates", httpapi.FieldCheck, "true", true},
				{"anonymous", httpapi.FieldCheck, "off", false},
			},
		},
		{
			name:     "the honeypot and the token are never shown, even with a problem",
			posted:   "website=x&cf-turnstile-response=tok",
			problems: []string{"cf-turnstile-response", "website"},
			want: []shown{
				{"consent_updates", httpapi.FieldCheck, "", false},
				{"anonymous", httpapi.FieldCheck, "", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.posted)
			if err != nil {
				t.Fatal(err)
			}
			problems := map[string]i18n.Message{}
			for _, p := range tt.problems {
				problems[p] = i18n.M("field.required")
			}
			var got []shown
			for _, f := range postedForm(values, reflect.TypeOf(&gift{}), problems).Fields {
				got = append(got, shown{f.Name, f.Kind, f.Value, f.Checked})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields\n got %v\nwant %v", got, tt.want)
			}
		})
	}
	t.Run("a choice offers its values", func(t *testing.T) {
		f := postedForm(url.Values{"frequency": {"once"}}, reflect.TypeOf(gift{}), nil).Fields
		if len(f) == 0 || f[0].Name != "frequency" || strings.Join(f[0].Choices, " ") != "once monthly" {
			t.Errorf("fields %+v", f)
		}
	})
}

// TestServeShowsTheFormAgain: a plain form post refused for its fields answers a page
// with the form filled in with what was typed, each problem beside its field, in the
// request's language; a JSON post's answer is unchanged.
func TestServeShowsTheFormAgain(t *testing.T) {
	serve := func(contentType, payload string) *httptest.ResponseRecorder {
		t.Helper()
		var req gift
		w := httptest.NewRecorder()
		Serve(w, post(contentType, payload), &req, http.StatusCreated, nil, Steps{
			Validate: func(i18n.Lang) error {
				f := httpapi.FieldErrors{}
				Validate(&req, f)
				return f.Err()
			},
			Do: func(i18n.Lang) (Outcome, error) { return Outcome{Next: "/thanks"}, nil },
		})
		return w
	}
	const typed = "campaign=appeal&amount_cents=2500&frequency=once&first_name=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&" +
		"email=ana%40example&consent_updates=on&address.city=Laval&website=&cf-turnstile-response=tok-123"
	for _, c := range []struct {
		lang, emailError, submit string
	}{
		{"en", "Enter a valid email address.", "Send again"},
		{"fr", "Entrez une adresse courriel valide.", "Envoyer de nouveau"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			w := serve("application/x-www-form-urlencoded", typed+"&language="+c.lang)
			if w.Code != http.StatusBadRequest || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("status %d %s", w.Code, w.Header().Get("Content-Type"))
			}
			page := w.Body.String()
			for _, want := range []string{
				`<html lang="` + c.lang + `">`,
				`<form class="again" method="post" novalidate>`,
				`<input type="hidden" name="campaign" value="appeal">`,
				`<input type="hidden" name="amount_cents" value="2500">`,
				`<input type="hidden" name="language" value="` + c.lang + `">`,
				`name="first_name" type="text" value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`,
				`<input id="f-email" name="email" type="email" value="ana@example" aria-invalid="true" aria-describedby="err-email"><p class="field-error" id="err-email">` + c.emailError + `</p>`,
				`name="consent_updates" value="on" checked>`,
				`name="address.city" type="text" value="Laval">`,
				`<button type="submit">` + c.submit + `</button>`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %s\n%s", want, page)
				}
			}
			for _, never := range []string{"<script>", "tok-123", `name="website"`, `name="cf-turnstile-response"`} {
				if strings.Contains(page, never) {
					t.Errorf("page holds %s\n%s", never, page)
				}
			}
		})
	}
	t.Run("a JSON post is answered in JSON", func(t *testing.T) {
		w := serve("application/json", `{"campaign":"appeal","frequency":"once","first_name":"Ana","email":"x"}`)
		if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != "application/json; charset=utf-8" || strings.Contains(w.Body.String(), "<form") {
			t.Errorf("%d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	})
	t.Run("a form body that cannot be read has no form to show", func(t *testing.T) {
		w := serve("application/x-www-form-urlencoded", "first_name=%zz")
		if w.Code != http.StatusBadRequest || strings.Contains(w.Body.String(), "<form") {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("a valid post goes on", func(t *testing.T) {
		w := serve("application/x-www-form-urlencoded", "campaign=a&frequency=once&first_name=Ana&email=ana%40example.org")
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/thanks" {
			t.Errorf("%d %v", w.Code, w.Header())
		}
	})
}
