// Unsubscribing withdraws consent to news emails from the link every news email carries:
// GET from a click, POST from a mail client's one-click button (RFC 8058).

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
}

// Unsubscribe is the unsubscribe function's handler: it answers GET and POST
// /unsubscribe?token=….
type Unsubscribe struct {
	Store Store
	Now   func() time.Time
}

// ServeHTTP withdraws the consent the link stands for and answers a localized page. A
// second use changes nothing and answers the same page.
func (h Unsubscribe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	raw := r.URL.Query().Get("token")
	tok, err := h.lookup(r.Context(), raw)
	if errors.Is(err, token.ErrNotFound) {
		httpapi.WriteMessage(w, http.StatusNotFound, lang, "unsub_invalid")
		return
	}
	if err != nil {
		httpapi.WriteError(w, r, lang, true, err)
		return
	}
	lang = i18n.Negotiate(tok.Language, "")
	_, err = h.Store.Withdraw(r.Context(), Record{
		Email: tok.Subject, Purpose: News, Granted: false, Version: Version,
		Language: tok.Language, Source: unsubscribeSource(r), SourceID: token.Hash(raw)[:16],
		IP: httpapi.ClientIP(r), UserAgent: OriginOf(r).UserAgent, At: h.Now().UTC(),
	})
	if err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("withdraw consent: %w", err))
		return
	}
	httpapi.WriteMessage(w, http.StatusOK, lang, "unsubscribed")
}

// lookup finds the token of an unexpired unsubscribe link, or token.ErrNotFound.
func (h Unsubscribe) lookup(ctx context.Context, raw string) (token.Token, error) {
	if !token.WellFormed(raw) {
		return token.Token{}, token.ErrNotFound
	}
	tok, err := h.Store.Token(ctx, token.Hash(raw))
	if err != nil {
		return tok, err
	}
	if tok.Purpose != token.Unsubscribe || tok.Expired(h.Now()) {
		return tok, token.ErrNotFound
	}
	return tok, nil
}

func unsubscribeSource(r *http.Request) string {
	if r.Method == http.MethodPost {
		return "unsubscribe_one_click"
	}
	return "unsubscribe_link"
}

// Routes mounts the unsubscribe function's routes (the same as template.yaml's).
func (h Unsubscribe) Routes(mux *http.ServeMux) {
	mux.Handle("GET /unsubscribe", h)
	mux.Handle("POST /unsubscribe", h)
}
