// Unsubscribing withdraws consent to news emails from the link every news email carries.
// Following the link (GET) only shows a page with the button that unsubscribes, since mail
// scanners and previews follow every link; the button, or a mail client's one-click
// button (RFC 8058), posts. The page that follows offers a way back for an hour
// (UndoWindow): the same link undoes its own withdrawal, and nothing else, so that a
// forwarded news email cannot re-grant a consent its reader withdrew long ago.

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
	// News reads a person's news state; ok is false when they have none.
	News(ctx context.Context, email string) (st State, ok bool, err error)
	// Withdraw records a withdrawal and makes the person's news state "unsubscribed",
	// unless it is already: then it writes nothing and reports false.
	Withdraw(ctx context.Context, rec Record) (bool, error)
	// Resubscribe records a grant and makes the person's news state "subscribed", only
	// if the state is still undo, as read (the withdrawal it undoes): else it writes
	// nothing and reports false.
	Resubscribe(ctx context.Context, rec Record, undo State) (bool, error)
}

// Unsubscribe is the unsubscribe function's handler: GET and POST /unsubscribe, and GET
// and POST /unsubscribe/undo.
type Unsubscribe struct {
	Store Store
	Now   func() time.Time
	// Again, if set, is the store of the news-confirm link (NewsConfirm), whose routes
	// the unsubscribe function serves too: it owns news consent.
	Again AgainStore
}

// Sources of the records written from the link.
const (
	SourceOneClick    = "unsubscribe_one_click" // a mail client's List-Unsubscribe-Post
	SourceButton      = "unsubscribe_button"    // the button of the link's page
	SourceResubscribe = "resubscribe_link"      // the way back, on the page that follows
)

// ResubscribeVersion is the wording of the way back (page.unsubscribed.note and .button
// in the catalogue), as Version is the checkboxes'. Change it when that wording changes
// (TestUnsubscribe holds its words); a record's Wording holds it as the page showed it.
const ResubscribeVersion = "resubscribe-2026-12-org" // naming the organization whose news it is

// UndoWindow is how long after a withdrawal made with a link the same link may undo it.
const UndoWindow = time.Hour

// Undoable reports whether the way back of link tok may undo the news state st at now:
// st is a withdrawal made with that very link (its SourceID) less than UndoWindow ago.
// An older opt-out, or one made otherwise, is the person's to reverse on a form.
func Undoable(st State, tok token.Token, now time.Time) bool {
	return !st.Subscribed && (st.Source == SourceButton || st.Source == SourceOneClick) &&
		st.SourceID != "" && st.SourceID == sourceID(tok) && now.Before(st.ChangedAt.Add(UndoWindow))
}

// sourceID is what the records written from link tok name it by: its hash's prefix.
func sourceID(tok token.Token) string { return tok.Hash[:16] }

// page answers GET /unsubscribe?token=…: the button that unsubscribes, or, once the
// person is unsubscribed, the page that says so; or the invalid-link page. It changes
// nothing.
func (h Unsubscribe) page(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := r.URL.Query().Get("token")
	if tok, lang, ok := h.lookup(w, r, raw); ok {
		h.show(w, r, tok, lang, raw, "")
	}
}

// undoPage answers GET /unsubscribe/undo (the way back's address, from a browser's
// history) as GET /unsubscribe does. It changes nothing.
func (h Unsubscribe) undoPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := r.URL.Query().Get("token")
	if tok, lang, ok := h.lookup(w, r, raw); ok {
		h.show(w, r, tok, lang, raw, "../")
	}
}

// show answers the page of the person's news state for link tok (secret raw): "you are
// unsubscribed", with the way back while it is open, or the button that unsubscribes.
// up leads the buttons' relative paths from the page's address to the API's root.
func (h Unsubscribe) show(w http.ResponseWriter, r *http.Request, tok token.Token, lang i18n.Lang, raw, up string) {
	st, found, err := h.Store.News(r.Context(), tok.Subject)
	switch {
	case err != nil:
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
	case found && !st.Subscribed && Undoable(st, tok, h.Now()):
		httpapi.WriteActionPage(w, r, http.StatusOK, lang, "unsubscribed", httpapi.Action{Path: up + "unsubscribe/undo", Token: raw})
	case found && !st.Subscribed:
		httpapi.WriteMessage(w, r, http.StatusOK, lang, "unsubscribed_closed")
	default:
		httpapi.WriteActionPage(w, r, http.StatusOK, lang, "unsub_ask", httpapi.Action{Path: up + "unsubscribe", Token: raw})
	}
}

// oneClick reports whether a post's body is exactly RFC 8058's, List-Unsubscribe=One-Click
// (URL-encoded or multipart), read into r.PostForm by httpapi.ButtonToken.
func oneClick(r *http.Request) bool {
	v := r.PostForm["List-Unsubscribe"]
	return len(r.PostForm) == 1 && len(v) == 1 && v[0] == "One-Click" &&
		(r.MultipartForm == nil || len(r.MultipartForm.File) == 0)
}

// withdraw answers POST /unsubscribe: the page's button (the token in its form) or a mail
// client's one-click post (the token in the query, exactly List-Unsubscribe=One-Click in
// the body). It withdraws the consent the link stands for, once; the page that answers
// offers to subscribe again. Any other post (a scanner's, to the List-Unsubscribe
// address) acts as a GET: it shows the page and changes nothing.
func (h Unsubscribe) withdraw(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw, source := httpapi.ButtonToken(w, r), SourceButton
	if raw == "" { // the link's own address: RFC 8058 one-click, or a scanner's post
		raw, source = r.URL.Query().Get("token"), ""
		if oneClick(r) {
			source = SourceOneClick
		}
	}
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	if source == "" {
		h.show(w, r, tok, lang, raw, "")
		return
	}
	changed, err := h.Store.Withdraw(r.Context(), Record{
		Email: tok.Subject, Purpose: News, Granted: false, Version: Version,
		Language: tok.Language, Source: source, SourceID: sourceID(tok),
		IP: httpapi.ClientIP(r), UserAgent: OriginOf(r).UserAgent, At: h.Now().UTC(),
	})
	if err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("withdraw consent: %w", err))
		return
	}
	if !changed { // unsubscribed already: say so, with the way back if it is still open
		h.show(w, r, tok, lang, raw, "")
		return
	}
	httpapi.WriteActionPage(w, r, http.StatusOK, lang, "unsubscribed", httpapi.Action{Path: "unsubscribe/undo", Token: raw})
}

// resubscribe answers POST /unsubscribe/undo, the button of the page that follows
// unsubscribing: the same link, within UndoWindow of the withdrawal it made, records a
// new yes to news, once. Past that, or for a withdrawal the link did not make, it
// changes nothing and says how to subscribe again (a form's news box).
func (h Unsubscribe) resubscribe(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := httpapi.ButtonToken(w, r)
	if raw == "" { // not the button: a post of the page's address acts as its GET
		h.undoPage(w, r)
		return
	}
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	now := h.Now()
	st, found, err := h.Store.News(r.Context(), tok.Subject)
	if err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
		return
	}
	if found && Undoable(st, tok, now) {
		from := OriginOf(r)
		from.FormURL = "" // the link's page, whose address holds its secret
		rec := Grant(tok.Subject, string(lang), SourceResubscribe, sourceID(tok), from, now.UTC())
		// The person agreed to the words of the button, not to the forms' checkbox, as the
		// page showed them.
		rec.Version = ResubscribeVersion
		rec.Wording = httpapi.PageText(r, lang, i18n.M("page.unsubscribed.note")) + " [" + httpapi.PageText(r, lang, i18n.M("page.unsubscribed.button")) + "]"
		changed, err := h.Store.Resubscribe(r.Context(), rec, st)
		if err != nil {
			httpapi.WriteError(w, r, lang, true, fmt.Errorf("resubscribe: %w", err))
			return
		}
		if changed {
			httpapi.WriteMessage(w, r, http.StatusOK, lang, "resubscribed")
			return
		}
		// The state moved since it was read (a second press, say): read it again.
		if st, found, err = h.Store.News(r.Context(), tok.Subject); err != nil {
			httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
			return
		}
	}
	if found && st.Subscribed { // subscribed already: a second press
		httpapi.WriteMessage(w, r, http.StatusOK, lang, "resubscribed")
		return
	}
	httpapi.WriteMessage(w, r, http.StatusGone, lang, "resubscribe_closed")
}

// lookup finds the token of an unexpired unsubscribe link and its language; else it
// answers the invalid-link page (or an error) and reports false.
func (h Unsubscribe) lookup(w http.ResponseWriter, r *http.Request, raw string) (token.Token, i18n.Lang, bool) {
	return findLink(w, r, h.Store, raw, token.Unsubscribe, h.Now(), "unsub_invalid")
}

// findLink finds the token of an unexpired link of purpose and the language it was sent
// in; else it answers the page invalid (or an error) and reports false.
func findLink(w http.ResponseWriter, r *http.Request, tokens interface {
	Token(ctx context.Context, hash string) (token.Token, error)
}, raw, purpose string, now time.Time, invalid string) (token.Token, i18n.Lang, bool) {
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	tok, err := token.Token{}, error(token.ErrNotFound)
	if token.WellFormed(raw) {
		tok, err = tokens.Token(r.Context(), token.Hash(raw))
	}
	if err == nil && (tok.Purpose != purpose || tok.Expired(now)) {
		err = token.ErrNotFound
	}
	switch {
	case errors.Is(err, token.ErrNotFound):
		httpapi.WriteMessage(w, r, http.StatusNotFound, lang, invalid)
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
	mux.HandleFunc("GET /unsubscribe/undo", h.undoPage)
	mux.HandleFunc("POST /unsubscribe/undo", h.resubscribe)
	if h.Again != nil {
		NewsConfirm{Store: h.Again, Now: h.Now}.Routes(mux)
	}
}
