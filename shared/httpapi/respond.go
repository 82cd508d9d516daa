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
		writeErrorPage(w, r, lang, e.Status, body)
		return
	}
	WriteJSON(w, e.Status, body)
}

//go:embed pages/*.html
var pageFS embed.FS

var pages = template.Must(template.ParseFS(pageFS, "pages/*.html"))

type fieldProblem struct{ Field, Label, Text string }

func writeErrorPage(w http.ResponseWriter, r *http.Request, lang i18n.Lang, status int, body errorBody) {
	problems := make([]fieldProblem, 0, len(body.Fields))
	for k, v := range body.Fields {
		label := i18n.Text(lang, i18n.M("label."+k))
		if label == "label."+k {
			label = k // a field with no label of its own, such as an unknown one
		}
		problems = append(problems, fieldProblem{Field: k, Label: label, Text: v})
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Field < problems[j].Field })
	back := r.Header.Get("Referer")
	WritePage(w, status, "errors.html", map[string]any{
		"Lang":     lang,
		"Title":    i18n.Text(lang, i18n.M("page.errors.title")),
		"Message":  body.Message,
		"Problems": problems,
		"Back":     back,
		"BackText": i18n.Text(lang, i18n.M("page.errors.back")),
	})
}

// WritePage renders one of the embedded pages with data.
func WritePage(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
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
