package localpay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// PlanSession implements the subscribe Checkout: stripe-mock validates the parameters,
// and the payer goes to the local page of the subscription.
func (c Checkout) PlanSession(ctx context.Context, s subscription.Subscription, p plan.Plan) (donation.Session, error) {
	if _, err := c.Stripe.PlanSession(ctx, s, p); err != nil {
		return donation.Session{}, err
	}
	return donation.Session{ID: "cs_local_" + s.ID, URL: c.BaseURL + "/_local/plan/" + url.PathEscape(s.ID)}, nil
}

// Keys of the Stripe objects of a subscription, made up the same way every time.
func PlanStripeID(s subscription.Subscription) string { return "sub_local_" + s.ID }
func PlanCustomerID(s subscription.Subscription) string {
	// A new customer for each Checkout session, as Stripe makes one for a session given
	// only customer_email; no address in the id.
	sum := sha256.Sum256([]byte(s.ID))
	return "cus_local_" + hex.EncodeToString(sum[:8])
}

func planMeta(s subscription.Subscription) map[string]string {
	return payment.Metadata(s.Kind, s.ID, map[string]string{"plan": s.Plan})
}

// Period returns the n-th (from 1) billing period of s on plan p, counted from its creation.
func Period(s subscription.Subscription, p plan.Plan, n int) (time.Time, time.Time) {
	step := func(k int) time.Time {
		if p.Interval == "year" {
			return s.CreatedAt.AddDate(k, 0, 0)
		}
		return s.CreatedAt.AddDate(0, k, 0)
	}
	return step(n - 1), step(n)
}

func shippingObject(sh subscription.Shipping) map[string]any {
	return map[string]any{"name": sh.Name, "address": map[string]any{"line1": sh.Line1, "line2": sh.Line2,
		"city": sh.City, "state": sh.State, "postal_code": sh.PostalCode, "country": sh.Country}}
}

// PlanSessionCompleted is the checkout.session.completed object of a subscription, with
// the shipping address the payer gave (nil for a plan that mails nothing).
func PlanSessionCompleted(s subscription.Subscription, sh *subscription.Shipping) Object {
	o := Object{
		"id": "cs_local_" + s.ID, "object": "checkout.session", "mode": "subscription", "status": "complete",
		"payment_status": "paid", "client_reference_id": s.ID, "metadata": planMeta(s),
		"subscription": PlanStripeID(s), "customer": PlanCustomerID(s), "customer_details": map[string]any{"email": s.Email},
	}
	if sh != nil {
		o["shipping_details"] = shippingObject(*sh)
	}
	return o
}

// PlanPaymentIntentID is the payment intent of the paid invoice of period n of s.
func PlanPaymentIntentID(s subscription.Subscription, n int) string {
	return fmt.Sprintf("pi_local_%s_%d", s.ID, n)
}

// PlanInvoice is the invoice of period n (from 1) of s: paid, or open after a failed attempt.
func PlanInvoice(s subscription.Subscription, p plan.Plan, n int, paid bool) Object {
	from, to := Period(s, p, n)
	reason := "subscription_cycle"
	if n == 1 {
		reason = "subscription_create"
	}
	o := Object{
		"id": fmt.Sprintf("in_local_%s_%d", s.ID, n), "object": "invoice", "status": "open",
		"amount_due": p.AmountCents, "amount_paid": 0, "currency": p.Currency, "billing_reason": reason,
		"subscription": PlanStripeID(s), "customer": PlanCustomerID(s), "customer_email": s.Email,
		"subscription_details": map[string]any{"metadata": planMeta(s)},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{
			"id": fmt.Sprintf("il_local_%s_%d", s.ID, n), "object": "line_item", "amount": p.AmountCents,
			"currency": p.Currency, "metadata": planMeta(s), "period": map[string]any{"start": from.Unix(), "end": to.Unix()},
		}}},
	}
	if paid {
		o["status"], o["amount_paid"] = "paid", p.AmountCents
		o["payment_intent"] = PlanPaymentIntentID(s, n)
	}
	return o
}

// UpcomingInvoice is the invoice.upcoming object before period n of s (it has no id yet).
func UpcomingInvoice(s subscription.Subscription, p plan.Plan, n int) Object {
	o := PlanInvoice(s, p, n, false)
	delete(o, "id")
	o["status"] = "draft"
	return o
}

// PlanSubscription is the customer.subscription.* object of s.
func PlanSubscription(s subscription.Subscription, status string, cancelAtPeriodEnd bool) Object {
	return Object{
		"id": PlanStripeID(s), "object": "subscription", "status": status, "customer": PlanCustomerID(s),
		"cancel_at_period_end": cancelAtPeriodEnd, "metadata": planMeta(s),
	}
}

// CustomerWithShipping is the customer.updated object after the person changed their
// shipping address in the portal.
func CustomerWithShipping(s subscription.Subscription, sh subscription.Shipping) Object {
	return Object{"id": PlanCustomerID(s), "object": "customer", "email": s.Email, "shipping": shippingObject(sh)}
}
