// Package donate is the POST /donations flow: the request and its rules, the pending
// donation, and the Stripe Checkout session that collects it.
package donate

import (
	"errors"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/money"
	"github.com/solidarity/solidarity/shared/request"
)

// Request is the body of POST /donations (docs/api.md).
type Request struct {
	Campaign       string           `json:"campaign" validate:"required,max=100"`
	AmountCents    int64            `json:"amount_cents"`
	Frequency      string           `json:"frequency" validate:"required,oneof=once monthly"`
	FirstName      string           `json:"first_name" validate:"required,max=100,singleline,personname"`
	LastName       string           `json:"last_name" validate:"required,max=100,singleline,personname"`
	Email          string           `json:"email" validate:"required,max=254,email"`
	Language       string           `json:"language" validate:"omitempty,oneof=en fr"`
	CoverFees      bool             `json:"cover_fees"`
	Anonymous      bool             `json:"anonymous"`
	ConsentUpdates bool             `json:"consent_updates"`
	Address        *address.Address `json:"address"`
	// Website is the honeypot: people never see it, bots fill it in.
	Website string `json:"website"`
	// OtherAmount is the form's "other amount" box, in dollars as the request's language
	// writes them (money.ParseDollars: "25", "25,50", "1 250,50", "$1,250.00"): when
	// given it is the amount, for forms that cannot compute cents without a script.
	OtherAmount string `json:"other_amount" validate:"max=20"`
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

// Check validates r against the campaign it names (nil when none is open under that
// slug) and normalizes it, collecting every problem with its field key. lang is the
// request's language, which decides how other_amount is read.
func (r *Request) Check(c *campaign.Campaign, now time.Time, lang i18n.Lang) httpapi.FieldErrors {
	fields := httpapi.FieldErrors{}
	r.Language = strings.ToLower(r.Language)
	r.Frequency = strings.ToLower(r.Frequency)
	request.Validate(r, fields)
	if r.Address != nil {
		r.Address.Normalize("address.", fields)
	}
	if _, bad := fields["campaign"]; !bad && (c == nil || !c.Accepting(now)) {
		fields.Add("campaign", i18n.M("field.campaign"))
	}
	amountKey := "amount_cents"
	if other := strings.TrimSpace(r.OtherAmount); other != "" {
		amountKey = "other_amount"
		cents, err := money.ParseDollars(other, lang)
		var refused *money.Error
		if errors.As(err, &refused) {
			fields.Add(amountKey, refused.Message())
			return fields
		}
		r.AmountCents = cents
	}
	minCents, maxCents := int64(campaign.DefaultMinCents), int64(campaign.DefaultMaxCents)
	if c != nil {
		minCents, maxCents = c.MinCents, c.MaxCents
	}
	switch {
	case r.AmountCents < minCents:
		fields.Add(amountKey, i18n.M("field.amount_min", i18n.Cents(minCents)))
	case r.AmountCents > maxCents:
		fields.Add(amountKey, i18n.M("field.amount_max", i18n.Cents(maxCents)))
	}
	return fields
}
