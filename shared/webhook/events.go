package webhook

import (
	"slices"

	stripe "github.com/stripe/stripe-go/v76"
)

// APIVersion is the one Stripe API version this handler reads (stripe-go v76's): the
// webhook endpoint must be created with it, since Stripe cannot change the version of an
// existing endpoint, and events of any other version are refused.
const APIVersion = stripe.APIVersion

// handled are the event types the handler acts on, sorted. TestHandledEventsAreTheSwitches
// proves they are exactly the cases of the handler's switches.
var handled = []string{
	"charge.dispute.closed",
	"charge.dispute.created",
	"charge.dispute.funds_reinstated",
	"charge.dispute.funds_withdrawn",
	"charge.refunded",
	"checkout.session.async_payment_failed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.completed",
	"customer.subscription.deleted",
	"customer.subscription.updated",
	"customer.updated",
	"invoice.paid",
	"invoice.payment_failed",
	"invoice.upcoming",
}

// HandledEvents returns the Stripe event types the handler acts on, sorted: exactly the
// events the webhook endpoint is to be sent (staff stripe connect). Other types are
// acknowledged and ignored.
func HandledEvents() []string { return slices.Clone(handled) }

// Handles reports whether the handler acts on events of type t.
func Handles(t string) bool {
	_, ok := slices.BinarySearch(handled, t)
	return ok
}
