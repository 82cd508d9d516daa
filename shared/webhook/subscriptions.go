package webhook

import (
	"context"
	"errors"
	"log/slog"
	"time"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Subscriptions is what the webhook needs to follow subscriptions and dues.
type Subscriptions interface {
	ApplySubscriptionEvent(ctx context.Context, ev donation.Event, id string, c subscription.Change, plans plan.Catalogue) error
	SubscriptionsOfCustomer(ctx context.Context, customerID string) ([]string, error)
	// HoldCustomerChange keeps a change of a Stripe customer no subscription knows yet
	// (an address change before the Checkout that links it): the subscription's event
	// that learns its customer applies it.
	HoldCustomerChange(ctx context.Context, c subscription.Change, plans plan.Catalogue) error
}

// planRecord finds our subscription id in Stripe metadata (docs/api.md: kind subscription or
// dues, record_id).
func planRecord(meta map[string]string) (string, bool) {
	kind := meta["kind"]
	return meta["record_id"], (kind == plan.KindSubscription || kind == plan.KindDues) && meta["record_id"] != ""
}

// invoiceMeta is the metadata Stripe snapshots on a subscription's invoice.
func invoiceMeta(inv stripe.Invoice) map[string]string {
	if inv.SubscriptionDetails != nil && inv.SubscriptionDetails.Metadata["kind"] != "" {
		return inv.SubscriptionDetails.Metadata
	}
	if inv.Lines != nil {
		for _, line := range inv.Lines.Data {
			if line.Metadata["kind"] != "" {
				return line.Metadata
			}
		}
	}
	return nil
}

// invoicePeriod is the period an invoice's subscription line pays for (the invoice's own
// period_start/end name the previous one).
func invoicePeriod(inv stripe.Invoice) (time.Time, time.Time) {
	if inv.Lines != nil {
		for _, line := range inv.Lines.Data {
			if line.Period != nil && line.Period.End > 0 {
				return time.Unix(line.Period.Start, 0).UTC(), time.Unix(line.Period.End, 0).UTC()
			}
		}
	}
	return time.Time{}, time.Time{}
}

func shippingOf(d *stripe.ShippingDetails) *subscription.Shipping {
	if d == nil || d.Address == nil {
		return nil
	}
	a := d.Address
	return &subscription.Shipping{Name: d.Name, Line1: a.Line1, Line2: a.Line2, City: a.City, State: a.State,
		PostalCode: a.PostalCode, Country: a.Country}
}

// applyPlanEvent handles the events of subscriptions and dues. handled is false for an
// event that is not about one of ours.
func (h Handler) applyPlanEvent(ctx context.Context, ev stripe.Event) (handled bool, err error) {
	ref := donation.Event{ID: ev.ID, Type: string(ev.Type)}
	c := subscription.Change{EventID: ev.ID, Type: string(ev.Type), Created: ev.Created}
	var id string
	var ok bool
	switch ev.Type {
	case "checkout.session.completed":
		var s stripe.CheckoutSession
		if err := decode(ev, &s); err != nil {
			return true, err
		}
		if id, ok = planRecord(s.Metadata); !ok {
			return false, nil
		}
		c.StripeID, c.CustomerID, c.Shipping = subscriptionOf(s.Subscription), customerOf(s.Customer), shippingOf(s.ShippingDetails)
	case "invoice.paid", "invoice.payment_failed", "invoice.upcoming":
		var inv stripe.Invoice
		if err := decode(ev, &inv); err != nil {
			return true, err
		}
		if id, ok = planRecord(invoiceMeta(inv)); !ok {
			return false, nil
		}
		c.StripeID, c.CustomerID, c.InvoiceID = subscriptionOf(inv.Subscription), customerOf(inv.Customer), inv.ID
		c.Currency = string(inv.Currency)
		c.PeriodStart, c.PeriodEnd = invoicePeriod(inv)
		c.AmountCents = inv.AmountPaid
		if ev.Type != "invoice.paid" {
			c.AmountCents = inv.AmountDue
		}
		c.PaymentKey, c.PaidAt = invoicePayment(ev, inv)
	case "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := decode(ev, &sub); err != nil {
			return true, err
		}
		if id, ok = planRecord(sub.Metadata); !ok {
			return false, nil
		}
		c.StripeID, c.CustomerID = sub.ID, customerOf(sub.Customer)
		c.Status, c.CancelAtPeriodEnd = string(sub.Status), sub.CancelAtPeriodEnd
	case "customer.updated":
		var cust stripe.Customer
		if err := decode(ev, &cust); err != nil {
			return true, err
		}
		c.CustomerID, c.Shipping = cust.ID, shippingOf(cust.Shipping)
		if c.Shipping == nil {
			return true, nil
		}
		ids, err := h.Subscriptions.SubscriptionsOfCustomer(ctx, cust.ID)
		if err != nil {
			return true, err
		}
		if len(ids) == 0 {
			// No subscription knows the customer yet (its Checkout's event may still be on
			// its way), or it is not ours: kept, acknowledged.
			slog.InfoContext(ctx, "stripe customer unknown, kept for its subscription", "event_id", ev.ID, "customer_id", cust.ID)
			if err := h.Subscriptions.HoldCustomerChange(ctx, c, h.Plans); err != nil {
				return true, err
			}
			return true, ErrHeld
		}
		for _, id := range ids {
			if err := h.applyOne(ctx, ref, id, c); err != nil && !errors.Is(err, donation.ErrDuplicate) {
				return true, err
			}
		}
		return true, nil
	default:
		return false, nil
	}
	return true, h.applyOne(ctx, ref, id, c)
}

func (h Handler) applyOne(ctx context.Context, ref donation.Event, id string, c subscription.Change) error {
	err := h.Subscriptions.ApplySubscriptionEvent(ctx, ref, id, c, h.Plans)
	if errors.Is(err, subscription.ErrNotFound) {
		// Not a record of ours (another environment's, or erased): nothing to change.
		slog.WarnContext(ctx, "stripe event for an unknown subscription", "event_id", ref.ID, "type", ref.Type)
		return nil
	}
	return err
}
