package request

import (
	"context"
	"net/http"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Languaged is a form endpoint's request: it names the language it asked for, if any,
// and the sender's email address, if any (for per-address rate limits). SenderEmail is
// empty for a post that tripped the honeypot: such a post does nothing, so it must not
// count against the address it names, or a stranger could lock that person out.
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

// Guard decides whether a request may go on, before anything is stored or sent, in two
// phases around validation (docs/api.md, Guards). Client counts every request of the
// client at ip, whatever it holds (the per-IP limit: what stops a bot); Admit decides on a
// request that passed validation (the bot check, then the per-address limit), so neither
// a person correcting a form nor a bot sending junk tokens in their name is counted
// against their address, and a validation error does not spend the single-use Turnstile
// token. Their errors are answered in the contract's shape (429 rate_limited with
// Retry-After, for one).
type Guard interface {
	Client(ctx context.Context, ip string) error
	Admit(ctx context.Context, s Sender) error
}

// Outcome is what a form endpoint did: the JSON answer, and the page a plain HTML form
// goes to next (Next: a 303 there) or is shown (Message: the message page of that name,
// with the endpoint's status).
type Outcome struct {
	JSON    any
	Next    string
	Message string
}

// Steps are a form endpoint's steps after decoding: Validate checks and normalizes the
// decoded request (nil: valid; field problems as an *httpapi.Error), Do acts on a valid
// one. Either may be nil.
type Steps struct {
	Validate func(lang i18n.Lang) error
	Do       func(lang i18n.Lang) (Outcome, error)
}

// Serve runs a form endpoint, in this order: it decodes r into req and picks the
// language (the body's field, else Accept-Language); counts the client (guard.Client),
// whether or not the body could be decoded; validates (f.Validate); admits the sender
// (guard.Admit); and answers f.Do's outcome — status with the JSON, or for a plain form a
// 303 to Next or the Message page — or the first error in the contract's shape (an HTML
// page for a form), the client's limit before a decoding error. guard may be nil.
func Serve(w http.ResponseWriter, r *http.Request, req Languaged, status int, guard Guard, f Steps) {
	body, err := Decode(r, req)
	lang := i18n.Negotiate(req.AskedLanguage(), r.Header.Get("Accept-Language"))
	ip := httpapi.ClientIP(r)
	// Every post counts against its client, malformed, oversize (413) or of another media
	// type (415) too: a bot posting junk spends its allowance like any other.
	if guard != nil {
		if cerr := guard.Client(r.Context(), ip); cerr != nil {
			err = cerr
		}
	}
	steps := []func() error{
		func() error {
			if f.Validate == nil {
				return nil
			}
			return f.Validate(lang)
		},
		func() error {
			if guard == nil {
				return nil
			}
			return guard.Admit(r.Context(), Sender{IP: ip, Email: contact.CanonicalEmail(req.SenderEmail()), BotToken: req.BotToken()})
		},
	}
	for _, step := range steps {
		if err != nil {
			break
		}
		err = step()
	}
	var out Outcome
	if err == nil && f.Do != nil {
		out, err = f.Do(lang)
	}
	if err != nil {
		WriteError(w, r, lang, body, req, err) // a plain form's error page shows it again, filled in
		return
	}
	switch {
	case body == Form && out.Message != "":
		httpapi.WriteMessage(w, r, status, lang, out.Message)
	case body == Form:
		http.Redirect(w, r, out.Next, http.StatusSeeOther)
	default:
		httpapi.WriteJSON(w, status, out.JSON)
	}
}
