package payment

import (
	"context"
	"fmt"
	"net/url"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// PlanThanksQuery is the query of the page Checkout returns a subscriber to: the
// language, the subscription's id and the Checkout session's, which Stripe fills in (the
// page restates the subscription only for its own session).
func PlanThanksQuery(s subscription.Subscription) string {
	q := returnQuery(s)
	q.Set("subscription", s.ID)
	return q.Encode() + "&session_id={CHECKOUT_SESSION_ID}"
}

// returnQuery is what both pages Checkout returns a subscriber to are told: the
// language, and for members' dues their kind, so that even the plain pages speak of dues
// and lead back to them.
func returnQuery(s subscription.Subscription) url.Values {
	q := url.Values{"lang": {s.Language}}
	if s.Kind == plan.KindDues {
		q.Set("kind", plan.KindDues)
	}
	return q
}

// ShippingCountries are where the paper can be mailed.
var ShippingCountries = []string{"CA", "US"}

// PlanSession opens a Checkout session in subscription mode for s on plan p, with the
// plan's price as price data. A mailed plan collects a shipping address. Checkout creates
// a new Stripe customer for the address typed (customer_email): a public form proves
// nothing about that address, so no existing customer — their name, billing and shipping
// address, saved cards — is ever handed to the sender, or overwritten by what they type.
func (c Checkout) PlanSession(ctx context.Context, s subscription.Subscription, p plan.Plan) (donation.Session, error) {
	meta := Metadata(p.Kind, s.ID, map[string]string{"plan": p.Slug})
	q := returnQuery(s)
	params := &stripe.CheckoutSessionParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		ClientReferenceID: stripe.String(s.ID),
		Locale:            stripe.String(stripeLocale(s.Language)),
		Metadata:          meta,
		SubscriptionData:  &stripe.CheckoutSessionSubscriptionDataParams{Metadata: meta},
		SuccessURL:        stripe.String(httpapi.Absolute(ctx, c.PublicURL+"/subscriptions/thanks?"+PlanThanksQuery(s))),
		CancelURL:         stripe.String(httpapi.Absolute(ctx, c.PublicURL+"/subscriptions/cancelled?"+q.Encode())),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(p.Currency),
				UnitAmount:  stripe.Int64(p.AmountCents),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(p.Name(lang(s.Language)))},
				Recurring:   &stripe.CheckoutSessionLineItemPriceDataRecurringParams{Interval: stripe.String(p.Interval)},
			},
		}},
	}
	params.CustomerEmail = stripe.String(s.Email)
	if p.Mailed {
		params.ShippingAddressCollection = &stripe.CheckoutSessionShippingAddressCollectionParams{
			AllowedCountries: stripe.StringSlice(ShippingCountries),
		}
	}
	params.Context = ctx
	params.SetIdempotencyKey("checkout-" + s.ID)
	sess, err := c.Sessions.New(params)
	if err != nil {
		return donation.Session{}, fmt.Errorf("stripe checkout: %w", Redacted(err))
	}
	return donation.Session{ID: sess.ID, URL: sess.URL}, nil
}
