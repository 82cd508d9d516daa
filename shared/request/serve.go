package request

import (
	"net/http"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Languaged is a form endpoint's request: it names the language it asked for, if any.
type Languaged interface {
	AskedLanguage() string
}

// Outcome is what a form endpoint did: the JSON answer, and the page a plain HTML form
// goes to next.
type Outcome struct {
	JSON any
	Next string
}

// Serve runs a form endpoint: it decodes r into req, picks the language (the body's
// field, else Accept-Language), and answers do's outcome — status with the JSON, or for a
// plain form a 303 to Next — or do's error in the contract's shape (an HTML page for a
// form).
func Serve(w http.ResponseWriter, r *http.Request, req Languaged, status int, do func(lang i18n.Lang) (Outcome, error)) {
	body, err := Decode(r, req)
	lang := i18n.Negotiate(req.AskedLanguage(), r.Header.Get("Accept-Language"))
	var out Outcome
	if err == nil {
		out, err = do(lang)
	}
	if err != nil {
		httpapi.WriteError(w, r, lang, body == Form, err)
		return
	}
	if body == Form {
		http.Redirect(w, r, out.Next, http.StatusSeeOther)
		return
	}
	httpapi.WriteJSON(w, status, out.JSON)
}
