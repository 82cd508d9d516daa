// Package payment talks to Stripe: it opens Checkout sessions for our records and reads
// the signed webhook events Stripe sends back. Only the stripe-go sub-packages it needs
// are imported, to keep each Lambda binary small.
package payment

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/checkout/session"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/stripeapi"
)

// APIVersion is the Stripe API version this code and stripe-go v76 speak; the webhook
// endpoint must be created with the same version.
const APIVersion = stripe.APIVersion

// Backend builds a stripe-go backend for the API at baseURL ("" for Stripe itself,
// stripe-mock's address locally), without the library's global state (stripeapi.Backend).
func Backend(baseURL string) stripe.Backend { return stripeapi.Backend(baseURL) }

// Checkout opens Checkout sessions with an injected client (never the global key).
type Checkout struct {
	Sessions session.Client
	// PublicURL is the base of the pages Checkout returns the payer to.
	PublicURL string
}

// NewCheckout returns a Checkout using key against backend.
func NewCheckout(backend stripe.Backend, key, publicURL string) Checkout {
	return Checkout{Sessions: session.Client{B: backend, Key: key}, PublicURL: publicURL}
}

// Metadata is what every session carries so webhooks can find our record (docs/api.md).
func Metadata(kind, recordID string, extra map[string]string) map[string]string {
	m := map[string]string{"kind": kind, "record_id": recordID}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func lang(s string) i18n.Lang {
	l, _ := i18n.Parse(s)
	return l
}

// stripeLocale is the Checkout locale for a language.
func stripeLocale(lang string) string {
	if lang == string(i18n.FR) {
		return "fr-CA"
	}
	return "en"
}

// DonationSession opens a Checkout session for d: payment mode for a one-time gift,
// subscription mode with a monthly price for a monthly one. The idempotency key is derived
// from the donation id, so a retried request never opens a second session.
//
// Adaptive Pricing (Stripe charging the payer in their local currency) is switched off in
// the dashboard, not here: the per-session adaptive_pricing[enabled]=false came with API
// version 2024-11-20, and stripe-mock v0.180.0 (our 2023-10-16 spec) refuses it in strict
// mode. Whatever Stripe does, the webhook counts a payment in the campaign's currency only
// (donation.Payment.In).
func (c Checkout) DonationSession(ctx context.Context, d donation.Donation, camp campaign.Campaign) (donation.Session, error) {
	lang := i18n.Lang(d.Language)
	meta := Metadata("donation", d.ID, map[string]string{"campaign": d.Campaign})
	productKey := "donation.product"
	if d.Frequency == donation.Monthly {
		productKey = "donation.product_mo"
	}
	price := &stripe.CheckoutSessionLineItemPriceDataParams{
		Currency:   stripe.String(d.Currency),
		UnitAmount: stripe.Int64(d.ChargeCents),
		ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{
			Name: stripe.String(i18n.Text(lang, i18n.M(productKey, camp.Title(lang)))),
		},
	}
	q := url.Values{"lang": {d.Language}}
	params := &stripe.CheckoutSessionParams{
		ClientReferenceID: stripe.String(d.ID),
		CustomerEmail:     stripe.String(d.Email),
		Locale:            stripe.String(stripeLocale(d.Language)),
		Metadata:          meta,
		SuccessURL:        stripe.String(httpapi.Absolute(ctx, c.PublicURL+"/donations/thanks?"+ThanksQuery(d))),
		CancelURL:         stripe.String(httpapi.Absolute(ctx, c.PublicURL+"/donations/cancelled?"+q.Encode())),
		LineItems:         []*stripe.CheckoutSessionLineItemParams{{PriceData: price, Quantity: stripe.Int64(1)}},
	}
	if d.Frequency == donation.Monthly {
		params.Mode = stripe.String(string(stripe.CheckoutSessionModeSubscription))
		price.Recurring = &stripe.CheckoutSessionLineItemPriceDataRecurringParams{Interval: stripe.String("month")}
		params.SubscriptionData = &stripe.CheckoutSessionSubscriptionDataParams{Metadata: meta}
	} else {
		params.Mode = stripe.String(string(stripe.CheckoutSessionModePayment))
		params.SubmitType = stripe.String(string(stripe.CheckoutSessionSubmitTypeDonate))
		params.PaymentIntentData = &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: meta}
	}
	params.Context = ctx
	params.SetIdempotencyKey("checkout-" + d.ID)
	s, err := c.Sessions.New(params)
	if err != nil {
		return donation.Session{}, fmt.Errorf("stripe checkout: %w", Redacted(err))
	}
	return donation.Session{ID: s.ID, URL: s.URL}, nil
}

// ThanksQuery is the query of a gift's thank-you page, where Checkout returns its donor:
// the language, the gift's id, and its session's, which Stripe puts in place of
// {CHECKOUT_SESSION_ID} (the page restates the gift only for its own session).
func ThanksQuery(d donation.Donation) string {
	return url.Values{"lang": {d.Language}, "gift": {d.ID}}.Encode() + "&session_id={CHECKOUT_SESSION_ID}"
}

// redactedError is a Stripe error reduced to what is safe to log: its type, code, the
// parameter it names and the request id, without the message (which can quote values).
type redactedError struct{ summary string }

func (e redactedError) Error() string { return e.summary }

// Redacted reduces a Stripe error to a loggable summary; other errors pass unchanged.
func Redacted(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return err
	}
	return redactedError{fmt.Sprintf("stripe %s error %s (param %q, status %d, request %s)",
		se.Type, se.Code, se.Param, se.HTTPStatusCode, se.RequestID)}
}
