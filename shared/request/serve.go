package request

import (
	"context"
	"net/http"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Languaged is a form endpoint's request: it names the language it asked for, if any,
// and the sender's email address, if any (for per-address rate limits).
type Languaged interface {
	AskedLanguage() string
	SenderEmail() string
	BotToken() string
}

// Sender is who sent a form, as guards see them.
type Sender struct {
	IP       string // as the edge saw it
	Email    string // canonical, or empty
	BotToken string // the Turnstile widget's token, if any
}

// Guard decides whether a request may go on, before anything is stored or sent: rate
// limits per client IP and per email address, a bot check. Its errors are answered in
// the contract's shape (429 rate_limited with Retry-After, for one).
type Guard func(ctx context.Context, s Sender) error

// Guards runs guards in order; the first error stops.
func Guards(gs ...Guard) Guard {
	return func(ctx context.Context, s Sender) error {
		for _, g := range gs {
			if g == nil {
				continue
			}
			if err := g(ctx, s); err != nil {
				return err
			}
		}
		return nil
	}
}

// Outcome is what a form endpoint did: the JSON answer, and the page a plain HTML form
// goes to next.
type Outcome struct {
	JSON any
	Next string
}

// Serve runs a form endpoint: it decodes r into req, picks the language (the body's
// field, else Accept-Language), asks guard (if any), and answers do's outcome — status with the JSON, or for a
// plain form a 303 to Next — or do's error in the contract's shape (an HTML page for a
// form).
func Serve(w http.ResponseWriter, r *http.Request, req Languaged, status int, guard Guard, do func(lang i18n.Lang) (Outcome, error)) {
	body, err := Decode(r, req)
	lang := i18n.Negotiate(req.AskedLanguage(), r.Header.Get("Accept-Language"))
	if err == nil && guard != nil {
		err = guard(r.Context(), Sender{IP: httpapi.ClientIP(r), Email: contact.CanonicalEmail(req.SenderEmail()), BotToken: req.BotToken()})
	}
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
