// Package portal is self-service for subscriptions and monthly gifts: POST /portal emails
// a single-use, expiring link, and GET /portal?token=… follows it to a fresh Stripe
// customer-portal session. The answer to POST is the same whether or not the address has
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
	// RecurringCustomer is the Stripe customer of an address's subscriptions or monthly
	// gifts, or "".
	RecurringCustomer(ctx context.Context, email string) (string, error)
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

// Handler answers POST and GET /portal.
type Handler struct {
	Store    Store
	Sessions Sessions
	// PublicURL is where the portal's "return" button leads (PUBLIC_URL).
	PublicURL string
	Now       func() time.Time
}

// Request is the body of POST /portal.
type Request struct {
	Email    string `json:"email" validate:"required,max=254,email"`
	Language string `json:"language" validate:"omitempty,oneof=en fr"`
}

func (h Handler) request(w http.ResponseWriter, r *http.Request) {
	var req Request
	body, err := request.Decode(r, &req)
	lang := i18n.Negotiate(req.Language, r.Header.Get("Accept-Language"))
	if err == nil {
		fields := httpapi.FieldErrors{}
		request.Validate(&req, fields)
		err = fields.Err()
	}
	if err == nil {
		err = h.send(r.Context(), contact.CanonicalEmail(req.Email), lang)
	}
	if err != nil {
		httpapi.WriteError(w, r, lang, body == request.Form, err)
		return
	}
	if body == request.Form {
		httpapi.WriteMessage(w, http.StatusAccepted, lang, "portal_sent")
		return
	}
	httpapi.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "sent_if_known"})
}

// send writes the portal email if the address has something to manage.
func (h Handler) send(ctx context.Context, email string, lang i18n.Lang) error {
	customer, err := h.Store.RecurringCustomer(ctx, email)
	if err != nil || customer == "" {
		return err
	}
	e := outbox.Email{ID: ids.New("portal"), Template: outbox.PortalLink, Language: string(lang), To: email,
		Links: []outbox.Link{subscription.PortalLink(customer)}}
	_, err = h.Store.RequestPortal(ctx, email, e)
	return err
}

// follow answers GET /portal?token=…: 303 to a new portal session, once.
func (h Handler) follow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	raw := r.URL.Query().Get("token")
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
	if err == nil {
		var sess *stripe.BillingPortalSession
		params := &stripe.BillingPortalSessionParams{
			Customer:  stripe.String(tok.Subject),
			ReturnURL: stripe.String(h.PublicURL + "/subscriptions/thanks?" + url.Values{"lang": {string(lang)}}.Encode()),
			Locale:    stripe.String(map[i18n.Lang]string{i18n.FR: "fr-CA", i18n.EN: "en"}[lang]),
		}
		params.Context = r.Context()
		// The same link opens the same session if the request is retried.
		params.SetIdempotencyKey("portal-" + tok.Hash[:32])
		if sess, err = h.Sessions.New(params); err == nil {
			if err = h.Store.SpendToken(r.Context(), tok.Hash); err == nil {
				http.Redirect(w, r, sess.URL, http.StatusSeeOther)
				return
			}
		} else {
			err = fmt.Errorf("portal session: %w", payment.Redacted(err))
		}
	}
	switch {
	case errors.Is(err, token.ErrNotFound), errors.Is(err, token.ErrUsed):
		httpapi.WriteMessage(w, http.StatusGone, lang, "portal_invalid")
	default:
		httpapi.WriteError(w, r, lang, true, err)
	}
}

// Routes mounts the portal function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portal", h.request)
	mux.HandleFunc("GET /portal", h.follow)
}
