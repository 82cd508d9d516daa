// Package portal is self-service for subscriptions and monthly gifts: POST /portal emails
// a single-use, expiring link; GET /portal?token=… shows its button, and the button's
// POST /portal/open spends it on a fresh Stripe customer-portal session. The answer to POST is the same whether or not the address has
// anything to manage.
package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/billingportal/session"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
)

// Store is what the portal needs of the table.
type Store interface {
	// RecurringCustomers are the Stripe customers of an address's subscriptions and
	// monthly gifts (each Checkout makes one), or none.
	RecurringCustomers(ctx context.Context, email string) ([]string, error)
	// RequestPortal writes the email unless one went to the address very recently.
	RequestPortal(ctx context.Context, email string, e outbox.Email) (bool, error)
	Token(ctx context.Context, hash string) (token.Token, error)
	// SpendToken marks a link used; token.ErrUsed if it was, or has expired.
	SpendToken(ctx context.Context, hash string) error
}

// Sessions opens customer-portal sessions.
type Sessions interface {
	New(params *stripe.BillingPortalSessionParams) (*stripe.BillingPortalSession, error)
}

// NewSessions returns the Stripe client for portal sessions, with key against backend.
func NewSessions(backend stripe.Backend, key string) Sessions {
	return &session.Client{B: backend, Key: key}
}

// Handler answers POST and GET /portal, and POST /portal/open.
type Handler struct {
	Store    Store
	Sessions Sessions
	// Guard, if set, runs before anything is stored or sent (rate limits, bot checks):
	// the per-IP limit before validation, the rest after it.
	Guard request.Guard
	// PublicURL is where the portal's "return" button leads (PUBLIC_URL).
	PublicURL string
	Now       func() time.Time
}

// Request is the body of POST /portal.
type Request struct {
	Email    string `json:"email" validate:"required,max=254,email"`
	Language string `json:"language" validate:"omitempty,oneof=en fr"`
	// Website is the honeypot: people never see it, bots fill it in.
	Website string `json:"website"`
	// Turnstile is the token of Cloudflare's bot check, when the form has its widget.
	Turnstile string `json:"cf-turnstile-response"`
}

// AskedLanguage implements request.Languaged.
func (r *Request) AskedLanguage() string { return r.Language }

// SenderEmail implements request.Languaged: empty for a post that tripped the honeypot,
// which does nothing and so must not count against the address it names.
func (r *Request) SenderEmail() string {
	if r.Website != "" {
		return ""
	}
	return r.Email
}

// BotToken implements request.Languaged.
func (r *Request) BotToken() string { return r.Turnstile }

// request answers POST /portal: decode, the client's rate limit, validation, the
// address's limit and Turnstile (request.Serve), then the email if the address has
// something to manage. The answer is the same whatever the address.
func (h Handler) request(w http.ResponseWriter, r *http.Request) {
	var req Request
	request.Serve(w, r, &req, http.StatusAccepted, h.Guard, request.Steps{
		Validate: func(i18n.Lang) error {
			if req.Website != "" {
				return nil // a bot: nothing will be done, so nothing to check
			}
			fields := httpapi.FieldErrors{}
			request.Validate(&req, fields)
			return fields.Err()
		},
		Do: func(lang i18n.Lang) (request.Outcome, error) {
			if req.Website == "" { // else a bot: answer the same, send nothing
				if err := h.send(r.Context(), contact.CanonicalEmail(req.Email), lang); err != nil {
					return request.Outcome{}, err
				}
			}
			return request.Outcome{JSON: map[string]string{"status": "sent_if_known"}, Message: "portal_sent"}, nil
		},
	})
}

// send writes the portal email if the address has something to manage.
func (h Handler) send(ctx context.Context, email string, lang i18n.Lang) error {
	customers, err := h.Store.RecurringCustomers(ctx, email)
	if err != nil || len(customers) == 0 {
		return err
	}
	e := outbox.Email{ID: ids.New("portal"), Template: outbox.PortalLink, Language: string(lang), To: email,
		Links: subscription.PortalLinks(customers)}
	_, err = h.Store.RequestPortal(ctx, email, e)
	return err
}

// follow answers GET /portal?token=…, the emailed link: the page with the button that
// opens the portal, or the page of a link that no longer works. It changes nothing and
// calls no one, since mail scanners and previews follow every link.
func (h Handler) follow(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	if _, lang, ok := h.lookup(w, r, raw); ok {
		httpapi.WriteActionPage(w, r, http.StatusOK, lang, "portal_ask", httpapi.Action{Path: "portal/open", Token: raw,
			RedirectTo: []string{portalOrigins}})
	}
}

// portalOrigins are where the button's post may redirect: the session's address, whose
// host is Stripe's to choose (billing.stripe.com, an account's own domain, stripe-mock's).
const portalOrigins = "https:"

// open answers POST /portal/open, the button of the link's page (the token in its form):
// it spends the link on a new portal session and sends a 303 to it, once.
func (h Handler) open(w http.ResponseWriter, r *http.Request) {
	raw := httpapi.ButtonToken(w, r)
	if raw == "" { // not the button: a post of the link's address acts as its GET
		h.follow(w, r)
		return
	}
	tok, lang, ok := h.lookup(w, r, raw)
	if !ok {
		return
	}
	params := &stripe.BillingPortalSessionParams{
		Customer:  stripe.String(tok.Subject),
		ReturnURL: stripe.String(httpapi.Absolute(r.Context(), h.PublicURL+"/portal/done?"+url.Values{"lang": {string(lang)}}.Encode())),
		Locale:    stripe.String(map[i18n.Lang]string{i18n.FR: "fr-CA", i18n.EN: "en"}[lang]),
	}
	params.Context = r.Context()
	// The same link opens the same session if the request is retried.
	params.SetIdempotencyKey("portal-" + tok.Hash[:32])
	sess, err := h.Sessions.New(params)
	if err == nil {
		if err = h.Store.SpendToken(r.Context(), tok.Hash); err == nil {
			http.Redirect(w, r, sess.URL, http.StatusSeeOther)
			return
		}
	} else {
		err = fmt.Errorf("portal session: %w", payment.Redacted(err))
	}
	if errors.Is(err, token.ErrUsed) { // spent by another post a moment ago
		httpapi.WriteMessage(w, r, http.StatusGone, lang, "portal_invalid")
		return
	}
	httpapi.WriteError(w, r, lang, true, err)
}

// lookup finds the token of a portal link that can still open a session, and its
// language; else it answers the page that says the link no longer works (or an error)
// and reports false.
func (h Handler) lookup(w http.ResponseWriter, r *http.Request, raw string) (token.Token, i18n.Lang, bool) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	var tok token.Token
	err := token.ErrNotFound
	if token.WellFormed(raw) {
		tok, err = h.Store.Token(r.Context(), token.Hash(raw))
	}
	if err == nil && tok.Language != "" {
		lang = i18n.Negotiate(tok.Language, "") // the language the link was sent in
	}
	if err == nil && (tok.Purpose != token.Portal || tok.UsedAt != nil || tok.Expired(h.Now())) {
		err = token.ErrUsed
	}
	switch {
	case err == nil:
		return tok, lang, true
	case errors.Is(err, token.ErrNotFound), errors.Is(err, token.ErrUsed):
		httpapi.WriteMessage(w, r, http.StatusGone, lang, "portal_invalid")
	default:
		httpapi.WriteError(w, r, lang, true, err)
	}
	return tok, lang, false
}

// Routes mounts the portal function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portal", h.request)
	mux.HandleFunc("GET /portal", h.follow)
	mux.HandleFunc("POST /portal/open", h.open)
	mux.Handle("GET /portal/done", httpapi.MessagePage("portal_done"))
}
