// News again, after an opt-out: a form's news box proves nothing about the address it was
// ticked for, so for a person who unsubscribed it only sends them an email (AgainEmail)
// whose link (token.NewsConfirm) shows a page with one button; only that button's post
// makes their news state subscribed again. Following the link changes nothing, since mail
// scanners and previews follow every link.

package consent

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// SourceNewsConfirm is the source of the grant the news-confirm button records.
const SourceNewsConfirm = "news_reconfirm"

// AgainCooldown is how often one address may be sent AgainEmail, however many forms ask:
// so that a form cannot be used to flood an address with our mail.
const AgainCooldown = 24 * time.Hour

// NewsConfirmPath is the address of the link of AgainEmail (the unsubscribe function's).
const NewsConfirmPath = "/news/confirm"

// Asks reports whether a form's record rec, written while the person's news state is st
// (found, or not), must ask them by email to confirm rather than change anything: it
// grants news to an address that opted out. An address with no news state, or a
// subscribed one, needs no confirmation.
func Asks(rec *Record, st State, found bool) bool {
	return rec != nil && rec.Granted && rec.Purpose == News && found && !st.Subscribed
}

// AgainEmail is the email that asks the person of a form's grant rec (which a form
// wrote, under the sort key ref of their partition) to confirm that they want news again.
// It goes to an address nobody has proven, so it carries only the organization's words
// and the link, minted by the mailer; the link's Ref names rec, whose form's page the
// grant the button records names as its origin.
func AgainEmail(rec Record, ref string) outbox.Email {
	lang := string(i18n.Negotiate(rec.Language, ""))
	return outbox.Email{
		ID:       outbox.NewsConfirm + "_" + rec.SourceID + "_" + rec.At.UTC().Format("20060102T150405.000000000"),
		Template: outbox.NewsConfirm, Language: lang, To: rec.Email, Data: map[string]string{},
		Links: []outbox.Link{{Name: "confirm_url", Purpose: token.NewsConfirm, Path: NewsConfirmPath,
			Subject: rec.Email, Ref: ref, TTLSecs: int64(token.NewsConfirmTTL / time.Second)}},
	}
}

// AgainStore is what the news-confirm link needs of the table.
type AgainStore interface {
	// Token reads a stored token by hash, or token.ErrNotFound.
	Token(ctx context.Context, hash string) (token.Token, error)
	// News reads a person's news state; ok is false when they have none.
	News(ctx context.Context, email string) (st State, ok bool, err error)
	// ConsentRecord reads the consent record under sort key ref of a person's
	// partition; ok is false when there is none (erased, or never written).
	ConsentRecord(ctx context.Context, email, ref string) (rec Record, ok bool, err error)
	// ConfirmNews spends the token of hash tokenHash, records the grant rec and makes
	// the person's news state subscribed, in one transaction, unless the token is spent
	// or expired or the state is subscribed already: then it writes nothing and reports
	// false.
	ConfirmNews(ctx context.Context, tokenHash string, rec Record) (bool, error)
}

// NewsConfirm is the handler of AgainEmail's link: GET and POST /news/confirm, served by
// the unsubscribe function, which owns news consent.
type NewsConfirm struct {
	Store AgainStore
	Now   func() time.Time
}

// NewsConfirmVersion is the wording of the page's button (page.news_confirm_ask in the
// catalogue, whose "{org}" is the organization's name), as Version is the checkboxes'.
// Change it when that wording changes; a record's Wording holds it as the page showed it,
// with the name. TestNewsConfirm holds the words of this version.
const NewsConfirmVersion = "news-confirm-2026-12"

// Routes mounts the news-confirm link's routes (the same as template.yaml's).
func (h NewsConfirm) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+NewsConfirmPath, h.page)
	mux.HandleFunc("POST "+NewsConfirmPath, h.confirm)
}

// page answers GET /news/confirm?token=…: the button, or, once the person is subscribed,
// the page that says so; or the invalid-link page. It changes nothing.
func (h NewsConfirm) page(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := r.URL.Query().Get("token")
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	st, found, err := h.Store.News(r.Context(), tok.Subject)
	switch {
	case err != nil:
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
	case found && st.Subscribed:
		httpapi.WriteMessage(w, r, http.StatusOK, lang, "resubscribed")
	case tok.UsedAt != nil: // confirmed, then unsubscribed again: this link is spent
		httpapi.WriteMessage(w, r, http.StatusGone, lang, "news_confirm_used")
	default:
		httpapi.WriteActionPage(w, r, http.StatusOK, lang, "news_confirm_ask", httpapi.Action{Path: "confirm", Token: raw})
	}
}

// confirm answers POST /news/confirm, the page's button: it records the grant and makes
// the person's news state subscribed, once. A second press, or a press once subscribed
// otherwise, changes nothing and says they are subscribed.
func (h NewsConfirm) confirm(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	raw := httpapi.ButtonToken(w, r)
	if raw == "" { // the emailed link's own address, posted by a scanner: its page
		h.page(w, r)
		return
	}
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	ctx := r.Context()
	st, found, err := h.Store.News(ctx, tok.Subject)
	if err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
		return
	}
	if found && st.Subscribed {
		httpapi.WriteMessage(w, r, http.StatusOK, lang, "resubscribed")
		return
	}
	if tok.UsedAt != nil {
		httpapi.WriteMessage(w, r, http.StatusGone, lang, "news_confirm_used")
		return
	}
	from := OriginOf(r)
	from.FormURL = "" // this page's address holds the link's secret: the form's page, where known
	if tok.Ref != "" {
		asked, ok, err := h.Store.ConsentRecord(ctx, tok.Subject, tok.Ref)
		if err != nil {
			httpapi.WriteError(w, r, lang, true, fmt.Errorf("read asking record: %w", err))
			return
		}
		if ok {
			from.FormURL = asked.FormURL
		}
	}
	rec := Grant(tok.Subject, string(lang), SourceNewsConfirm, sourceID(tok), from, h.Now().UTC())
	// The person agreed to the words of the page and its button, not to the checkbox: as
	// the page showed them, with the organization's name.
	rec.Version = NewsConfirmVersion
	rec.Wording = httpapi.PageText(r, lang, i18n.M("page.news_confirm_ask.body")) + " [" + httpapi.PageText(r, lang, i18n.M("page.news_confirm_ask.button")) + "]"
	if _, err := h.Store.ConfirmNews(ctx, tok.Hash, rec); err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("confirm news: %w", err))
		return
	}
	// Changed or not (a second press racing the first), the person is subscribed now,
	// unless the link was spent or expired meanwhile: read it again to say which.
	if st, found, err = h.Store.News(ctx, tok.Subject); err != nil {
		httpapi.WriteError(w, r, lang, true, fmt.Errorf("read news state: %w", err))
		return
	}
	if found && st.Subscribed {
		httpapi.WriteMessage(w, r, http.StatusOK, lang, "resubscribed")
		return
	}
	httpapi.WriteMessage(w, r, http.StatusGone, lang, "news_confirm_used")
}

// lookup finds the token of an unexpired news-confirm link and its language; else it
// answers the invalid-link page (or an error) and reports false.
func (h NewsConfirm) lookup(w http.ResponseWriter, r *http.Request, raw string) (token.Token, i18n.Lang, bool) {
	return findLink(w, r, h.Store, raw, token.NewsConfirm, h.Now(), "news_confirm_invalid")
}
