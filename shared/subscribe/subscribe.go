// Package subscribe is POST /subscriptions: a solidarity subscription to the paper, or
// members' dues, through Stripe Checkout in subscription mode.
package subscribe

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Request is the body of POST /subscriptions (docs/api.md).
type Request struct {
	Plan           string `json:"plan" validate:"required,max=60"`
	FirstName      string `json:"first_name" validate:"required,max=100,singleline,personname"`
	LastName       string `json:"last_name" validate:"required,max=100,singleline,personname"`
	Email          string `json:"email" validate:"required,max=254,email"`
	Language       string `json:"language" validate:"omitempty,oneof=en fr"`
	ConsentUpdates bool   `json:"consent_updates"`
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

// Check validates r against the plans on offer.
func (r *Request) Check(plans plan.Catalogue) httpapi.FieldErrors {
	fields := httpapi.FieldErrors{}
	r.Language = strings.ToLower(r.Language)
	r.Plan = strings.ToLower(r.Plan)
	request.Validate(r, fields)
	if _, bad := fields["plan"]; !bad {
		if _, ok := plans[r.Plan]; !ok {
			fields.Add("plan", i18n.M("field.plan", strings.Join(plans.Slugs(), ", ")))
		}
	}
	return fields
}

// Store is what subscribing needs of the table.
type Store interface {
	CreateSubscription(ctx context.Context, s subscription.Subscription, c *consent.Record) error
}

// Checkout opens the Stripe session.
type Checkout interface {
	PlanSession(ctx context.Context, s subscription.Subscription, p plan.Plan) (donation.Session, error)
}

// Service creates subscriptions.
type Service struct {
	Store    Store
	Checkout Checkout
	Plans    plan.Catalogue
	Now      func() time.Time
}

// Create validates req, opens the Checkout session and stores the pending subscription —
// in that order, so a Stripe failure stores nothing. The session never names an existing
// Stripe customer: this request proves nothing about the address typed, and Checkout
// would show that customer's name, address and saved card to whoever sent it.
func (s Service) Create(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) (subscription.Subscription, donation.Session, error) {
	if err := req.Check(s.Plans).Err(); err != nil {
		return subscription.Subscription{}, donation.Session{}, err
	}
	p := s.Plans[req.Plan]
	now := s.Now().UTC()
	sub := subscription.Subscription{
		ID: ids.New("subs"), Plan: p.Slug, Kind: p.Kind, Email: contact.CanonicalEmail(req.Email),
		FirstName: req.FirstName, LastName: req.LastName, Language: string(lang), Status: subscription.StatusPending,
		Currency: p.Currency, ConsentUpdates: req.ConsentUpdates, CreatedAt: now,
	}
	sess, err := s.Checkout.PlanSession(ctx, sub, p)
	if err != nil {
		return subscription.Subscription{}, donation.Session{}, fmt.Errorf("checkout session: %w", err)
	}
	sub.CheckoutID = sess.ID
	var rec *consent.Record
	if req.ConsentUpdates {
		r := consent.Grant(sub.Email, sub.Language, p.Kind+"_form", sub.ID, from, now)
		rec = &r
	}
	if err := s.Store.CreateSubscription(ctx, sub, rec); err != nil {
		return subscription.Subscription{}, donation.Session{}, fmt.Errorf("store subscription: %w", err)
	}
	return sub, sess, nil
}

// Handler answers POST /subscriptions: 201 with the Checkout URL for JSON, 303 to it for
// a plain form post.
type Handler struct {
	Service Service
	// Guard, if set, runs before anything is stored or sent (rate limits, bot checks):
	// the per-IP limit before validation, the rest after it.
	Guard request.Guard
	// ThanksURL is where a form post that tripped the honeypot is sent.
	ThanksURL string
	// Subscriptions, if set, is where the thank-you page reads the subscription it
	// restates.
	Subscriptions Subscriptions
}

type created struct {
	SubscriptionID string `json:"subscription_id"`
	CheckoutURL    string `json:"checkout_url"`
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	request.Serve(w, r, &req, http.StatusCreated, h.Guard, request.Steps{
		Validate: func(i18n.Lang) error {
			if req.Website != "" {
				return nil // a bot: nothing will be done, so nothing to check
			}
			return req.Check(h.Service.Plans).Err() // Create checks again: cheap, and idempotent
		},
		Do: func(lang i18n.Lang) (request.Outcome, error) {
			// A bot (the honeypot filled in) is answered like a payer, and nothing is done.
			res := created{SubscriptionID: ids.New("subs"), CheckoutURL: httpapi.Absolute(r.Context(), h.ThanksURL+"?lang="+string(lang))}
			if req.Website == "" {
				sub, sess, err := h.Service.Create(r.Context(), req, lang, consent.OriginOf(r))
				if err != nil {
					return request.Outcome{}, err
				}
				res = created{SubscriptionID: sub.ID, CheckoutURL: sess.URL}
			}
			return request.Outcome{JSON: res, Next: res.CheckoutURL}, nil
		},
	})
}

// Routes mounts the subscribe function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST /subscriptions", h)
	mux.HandleFunc("GET /subscriptions/thanks", h.thanks)
	mux.HandleFunc("GET /subscriptions/cancelled", func(w http.ResponseWriter, r *http.Request) {
		lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
		httpapi.WriteResult(w, r, http.StatusOK, lang, httpapi.Result{Name: plainPage(r, "cancel")})
	})
}
