package httpapi

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/redact"
)

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode response", "err", redact.Error(err))
		status, body = http.StatusInternalServerError, []byte(`{"error":"internal"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// WriteError answers err in the contract's shape: a JSON body, or for a plain HTML form
// post a small localized page listing the problems. Errors that are not *Error are logged
// (without request data) and shown as "internal".
func WriteError(w http.ResponseWriter, r *http.Request, lang i18n.Lang, asHTML bool, err error) {
	writeError(w, r, lang, asHTML, nil, err)
}

// writeError is WriteError, with the form to show again on the page (WriteFormError).
func writeError(w http.ResponseWriter, r *http.Request, lang i18n.Lang, asHTML bool, form *Form, err error) {
	e, known := AsError(err)
	if !known {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", redact.Error(err))
	}
	if e.Status == http.StatusTooManyRequests {
		secs := 60
		var wait interface{ Wait() time.Duration }
		if errors.As(err, &wait) {
			secs = max(1, int(math.Ceil(wait.Wait().Seconds())))
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	body := errorBody{Error: e.Code, Message: i18n.Text(lang, e.Message)}
	if m, ok := waitMessage(err); ok {
		body.Message = i18n.Text(lang, m) // how long, in minutes, by the guard's clock
	}
	if len(e.Fields) > 0 {
		body.Fields = make(map[string]string, len(e.Fields))
		for k, m := range e.Fields {
			body.Fields[k] = i18n.Text(lang, m)
		}
	}
	if asHTML {
		writeErrorPage(w, r, lang, e.Status, body, form)
		return
	}
	WriteJSON(w, e.Status, body)
}

//go:embed pages/*.html
var pageFS embed.FS

// pages are parsed on the first page, not at every cold start: a JSON answer never
// needs them.
var pages = sync.OnceValue(func() *template.Template { return template.Must(template.ParseFS(pageFS, "pages/*.html")) })

type fieldProblem struct{ Field, Label, Text, Anchor string }

func writeErrorPage(w http.ResponseWriter, r *http.Request, lang i18n.Lang, status int, body errorBody, form *Form) {
	fields := formFields(lang, form, body.Fields)
	problems := make([]fieldProblem, 0, len(body.Fields))
	for k, v := range body.Fields {
		problems = append(problems, fieldProblem{Field: k, Label: fieldLabel(lang, k), Text: v, Anchor: fields.anchor(k)})
	}
	// In the form's order where it is shown, then by name.
	order := func(p fieldProblem) int {
		if fields != nil {
			for i, f := range fields.Fields {
				if f.Name == p.Field {
					return i
				}
			}
		}
		return 1 << 20 // not on the form: after those that are
	}
	sort.Slice(problems, func(i, j int) bool {
		if oi, oj := order(problems[i]), order(problems[j]); oi != oj {
			return oi < oj
		}
		return problems[i].Field < problems[j].Field
	})
	// "Please correct the form" only when something in it is wrong; a refusal of another
	// kind (too many attempts, another site) has its own heading and asks for no change.
	title, again := "page.errors.title", "page.errors.again"
	if body.Error != CodeValidation {
		title, again = "page.refused.title", "page.refused.again"
	}
	if body.Error == CodeRateLimited {
		title = "page.rate_limited.title"
	}
	back, formAction := r.Header.Get("Referer"), "'self'"
	if form != nil {
		back = "" // the form is on the page, filled in; a link back leads to an empty one
		// The form posts to us, and a browser holds the redirect that answers it to the
		// page's form-action too: Stripe Checkout's page (checkout.stripe.com, or the
		// account's own domain) for a gift or a subscription.
		formAction = "'self' https:"
	}
	w.Header().Set("Cache-Control", "no-store") // it may hold what was typed
	writePage(w, r, status, "errors.html", map[string]any{
		"Lang":     lang,
		"Title":    PageText(r, lang, i18n.M(title)),
		"Message":  organization.FromContext(r.Context()).Fill(lang, body.Message),
		"Problems": problems,
		"Back":     back,
		"BackText": i18n.Text(lang, i18n.M("page.errors.back")),
		"Form":     fields,
		"Again":    i18n.Text(lang, i18n.M(again)),
		"Submit":   i18n.Text(lang, i18n.M("page.errors.submit")),
	}, formAction)
}

// fieldLabel is a field's catalogue label (label.<name>), or its name when it has none,
// such as an unknown field.
func fieldLabel(lang i18n.Lang, name string) string {
	if label := i18n.Text(lang, i18n.M("label."+name)); label != "label."+name {
		return label
	}
	return name
}

// WritePage renders one of the embedded pages with data, under the header and footer of
// the organization r's context carries (organization.FromContext), in data's "Lang".
func WritePage(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	writePage(w, r, status, name, data, "'self'")
}

// writePage is WritePage, with the CSP's form-action sources.
func writePage(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any, formAction string) {
	org := organization.FromContext(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", pagePolicy(org)+"; form-action "+formAction)
	w.WriteHeader(status)
	renderPage(w, name, org, data)
}

// renderPage executes the page name with data and the organization's header and footer
// in data's "Lang" (data["Org"]).
func renderPage(w http.ResponseWriter, name string, org organization.Identity, data map[string]any) {
	lang, _ := data["Lang"].(i18n.Lang)
	data["Org"] = pageOrg{
		Name: org.Name.In(lang), Logo: org.LogoURL, Accent: org.Accent(),
		Address: org.MailingAddress.In(lang), Email: org.Email, Phone: org.Phone, Website: org.Website.In(lang),
		Privacy: org.PrivacyURL.In(lang), PrivacyText: i18n.Text(lang, i18n.M("org.privacy")),
	}
	if err := pages().ExecuteTemplate(w, name, data); err != nil {
		slog.Error("render page", "page", name, "err", redact.Error(err))
	}
}

// pageOrg is the organization as a page's header and footer show it, in the page's
// language.
type pageOrg struct {
	Name, Logo, Accent, Address, Email, Phone, Website string
	Privacy, PrivacyText                               string // the privacy policy's URL and link text
}

// pagePolicy is the start of every page's Content-Security-Policy: nothing but inline
// style, and the logo's origin for images when the organization has a logo.
func pagePolicy(org organization.Identity) string {
	p := "default-src 'none'; style-src 'unsafe-inline'"
	if o := org.LogoOrigin(); o != "" {
		p += "; img-src " + o
	}
	return p
}

// PageText is m in lang as the pages show it: the organization's name of r's context in
// place of the catalogue's "{org}". Consent records store the words the person saw with
// it.
func PageText(r *http.Request, lang i18n.Lang, m i18n.Message) string {
	return organization.FromContext(r.Context()).Fill(lang, i18n.Text(lang, m))
}

// WriteMessage answers the localized page of catalogue entries page.<name>.title and
// page.<name>.body (formatted with args), with the page's next steps (PageSteps).
func WriteMessage(w http.ResponseWriter, r *http.Request, status int, lang i18n.Lang, name string, args ...any) {
	WriteResult(w, r, status, lang, Result{Name: name, Args: args})
}

// MessagePage is a handler for WriteMessage's page name, in the language of the lang
// query parameter or the Accept-Language header.
func MessagePage(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteMessage(w, r, http.StatusOK, i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language")), name)
	})
}
