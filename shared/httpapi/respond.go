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
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
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

var pages = template.Must(template.ParseFS(pageFS, "pages/*.html"))

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
	back, formAction := r.Header.Get("Referer"), "'self'"
	if form != nil {
		back = "" // the form is on the page, filled in; a link back leads to an empty one
		// The form posts to us, and a browser holds the redirect that answers it to the
		// page's form-action too: Stripe Checkout's page (checkout.stripe.com, or the
		// account's own domain) for a gift or a subscription.
		formAction = "'self' https:"
	}
	w.Header().Set("Cache-Control", "no-store") // it may hold what was typed
	writePage(w, status, "errors.html", map[string]any{
		"Lang":     lang,
		"Title":    i18n.Text(lang, i18n.M(title)),
		"Message":  body.Message,
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

// WritePage renders one of the embedded pages with data.
func WritePage(w http.ResponseWriter, status int, name string, data any) {
	writePage(w, status, name, data, "'self'")
}

// writePage is WritePage, with the CSP's form-action sources.
func writePage(w http.ResponseWriter, status int, name string, data any, formAction string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction)
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		slog.Error("render page", "page", name, "err", redact.Error(err))
	}
}

// WriteMessage answers the localized page of catalogue entries page.<name>.title and
// page.<name>.body (formatted with args).
func WriteMessage(w http.ResponseWriter, status int, lang i18n.Lang, name string, args ...any) {
	WritePage(w, status, "message.html", map[string]any{
		"Lang":  lang,
		"Title": i18n.Text(lang, i18n.M("page."+name+".title")),
		"Body":  i18n.Text(lang, i18n.M("page."+name+".body", args...)),
	})
}

// MessagePage is a handler for WriteMessage's page name, in the language of the lang
// query parameter or the Accept-Language header.
func MessagePage(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteMessage(w, http.StatusOK, i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language")), name)
	})
}
