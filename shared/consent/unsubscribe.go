// Unsubscribing withdraws consent to news emails from the link every news email carries.
// Following the link (GET) only shows a page with the button that unsubscribes, since mail
// scanners and previews follow every link; the button, or a mail client's one-click
// button (RFC 8058), posts. The page that follows offers a way back: the same link's
// secret, while it is good, subscribes the person again.

package consent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/token"
)

// Store is what unsubscribing needs of the table.
type Store interface {
	// Token reads a stored token by hash, or token.ErrNotFound.
	Token(ctx context.Context, hash string) (token.Token, error)
	// Withdraw records a withdrawal and makes the person's news state "unsubscribed",
	// unless it is already: then it writes nothing and reports false.
	Withdraw(ctx context.Context, rec Record) (bool, error)
	// Resubscribe records a grant and makes the person's news state "subscribed", unless
	// it is already: then it writes nothing and reports false.
	Resubscribe(ctx context.Context, rec Record) (bool, error)
}

// Unsubscribe is the unsubscribe function's handler: GET and POST /unsubscribe, and POST
// /unsubscribe/undo.
type Unsubscribe struct {
	Store Store
	Now   func() time.Time
}

// Sources of the records written from the link.
const (
	SourceOneClick    = "unsubscribe_one_click" // a mail client's List-Unsubscribe-Post
	SourceButton      = "unsubscribe_button"    // the button of the link's page
	SourceResubscribe = "resubscribe_link"      // the way back, on the page that follows
)

// ResubscribeVersion is the wording of the way back (page.unsubscribed.note and .button
// in the catalogue), as Version is the checkboxes'. Change it when that wording changes.
const ResubscribeVersion = "resubscribe-2026-12"

// page answers GET /unsubscribe?token=…: the button that unsubscribes, or the
// invalid-link page. It changes nothing.
func (h Unsubscribe) page(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := r.URL.Query().Get("token")
	_, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	httpapi.WriteActionPage(w, http.StatusOK, lang, "unsub_ask", httpapi.Action{Path: "unsubscribe", Token: raw})
}

// withdraw answers POST /unsubscribe: the page's button (the token in its form) or a mail
// client's one-click post (the token in the query, List-Unsubscribe=One-Click in the
// body). It withdraws the consent the link stands for, once; the page that answers offers
// to subscribe again.
func (h Unsubscribe) withdraw(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := httpapi.ActionToken(w, r)
	source := SourceOneClick
	if r.PostForm.Get("token") != "" && r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		source = SourceButton
	}
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	_, err := h.Store.Withdraw(r.Context(), Record{
		Email: tok.Subject, Purpose: News, Granted: false, Version: Version,
		Language: tok.Language, Source: source, SourceID: tok.Hash[:16],
		IP: httpapi.ClientIP(r), UserAgent: OriginOf(r).UserAgent, At: h.Now().UTC(),
	})
	if err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("withdraw consent: %w", err))
		return
	}
	httpapi.WriteActionPage(w, http.StatusOK, lang, "unsubscribed", httpapi.Action{Path: "unsubscribe/undo", Token: raw})
}

// resubscribe answers POST /unsubscribe/undo, the button of the page that follows
// unsubscribing: the same link, while it is good, records a new yes to news, once.
func (h Unsubscribe) resubscribe(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := httpapi.ActionToken(w, r)
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	from := OriginOf(r)
	from.FormURL = "" // the link's page, whose address holds its secret
	rec := Grant(tok.Subject, string(lang), SourceResubscribe, tok.Hash[:16], from, h.Now().UTC())
	// The person agreed to the words of the button, not to the forms' checkbox.
	rec.Version = ResubscribeVersion
	rec.Wording = i18n.Text(lang, i18n.M("page.unsubscribed.note")) + " [" + i18n.Text(lang, i18n.M("page.unsubscribed.button")) + "]"
	if _, err := h.Store.Resubscribe(r.Context(), rec); err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("resubscribe: %w", err))
		return
	}
	httpapi.WriteMessage(w, http.StatusOK, lang, "resubscribed")
}

// lookup finds the token of an unexpired unsubscribe link and its language; else it
// answers the invalid-link page (or an error) and reports false.
func (h Unsubscribe) lookup(w http.ResponseWriter, r *http.Request, raw string) (token.Token, i18n.Lang, bool) {
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	tok, err := token.Token{}, error(token.ErrNotFound)
	if token.WellFormed(raw) {
		tok, err = h.Store.Token(r.Context(), token.Hash(raw))
	}
	if err == nil && (tok.Purpose != token.Unsubscribe || tok.Expired(h.Now())) {
		err = token.ErrNotFound
	}
	switch {
	case errors.Is(err, token.ErrNotFound):
		httpapi.WriteMessage(w, http.StatusNotFound, lang, "unsub_invalid")
		return tok, lang, false
	case err != nil:
		httpapi.WriteError(w, r, lang, true, err)
		return tok, lang, false
	}
	return tok, i18n.Negotiate(tok.Language, ""), true
}

// noStore keeps a page that follows a secret link out of caches and Referer headers.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// Routes mounts the unsubscribe function's routes (the same as template.yaml's).
func (h Unsubscribe) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /unsubscribe", h.page)
	mux.HandleFunc("POST /unsubscribe", h.withdraw)
	mux.HandleFunc("POST /unsubscribe/undo", h.resubscribe)
}
