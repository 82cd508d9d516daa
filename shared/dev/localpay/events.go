// Package localpay stands in for Stripe's hosted pages when the API is stripe-mock, which
// keeps no state and sends no webhooks: a local checkout page whose "Pay" sends the
// correctly signed events Stripe would, to the real webhook endpoint. Its event builders
// also serve the tests, so tests and local development speak the same events.
package localpay

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/payment"
)

// Object is a Stripe API object as JSON fields.
type Object map[string]any

// Event wraps obj in an event of type typ, as Stripe would send it to an endpoint of
// our API version. Each call makes a new event id.
func Event(typ string, obj Object, created time.Time) []byte {
	ev := map[string]any{
		"id": ids.New("evt"), "object": "event", "api_version": payment.APIVersion,
		"created": created.Unix(), "type": typ, "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("localpay: marshal event: %v", err)) // only maps of plain values
	}
	return b
}

// Sign returns the Stripe-Signature header for payload signed with secret at t.
func Sign(payload []byte, secret string, t time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: payload, Secret: secret, Timestamp: t,
	}).Header
}

// Keys of the Stripe objects of a donation, made up the same way every time, so local
// events about one donation agree with each other.
func SessionID(d donation.Donation) string       { return "cs_local_" + d.ID }
func PaymentIntentID(d donation.Donation) string { return "pi_local_" + d.ID }
func SubscriptionID(d donation.Donation) string  { return "sub_local_" + d.ID }
func CustomerID(d donation.Donation) string      { return "cus_local_" + d.ID }

// InvoicePaymentIntentID is the payment intent of the n-th month (from 1) of a monthly gift.
func InvoicePaymentIntentID(d donation.Donation, n int) string {
	return fmt.Sprintf("pi_local_%s_%d", d.ID, n)
}

func metadata(d donation.Donation) map[string]string {
	return payment.Metadata("donation", d.ID, map[string]string{"campaign": d.Campaign})
}

// SessionCompleted is the checkout.session.completed object of a paid donation.
func SessionCompleted(d donation.Donation) Object {
	o := Object{
		"id": SessionID(d), "object": "checkout.session", "status": "complete",
		"payment_status": "paid", "amount_total": d.ChargeCents, "amount_subtotal": d.ChargeCents,
		"currency": d.Currency, "client_reference_id": d.ID, "metadata": metadata(d),
		"customer_details": map[string]any{"email": d.Email},
	}
	if d.Frequency == donation.Monthly {
		o["mode"] = "subscription"
		o["subscription"] = SubscriptionID(d)
		o["customer"] = CustomerID(d)
	} else {
		o["mode"] = "payment"
		o["payment_intent"] = PaymentIntentID(d)
	}
	return o
}

// InvoicePaid is the invoice.paid object of month n (from 1) of a monthly gift.
func InvoicePaid(d donation.Donation, n int, paidAt time.Time) Object {
	reason := "subscription_cycle"
	if n == 1 {
		reason = "subscription_create"
	}
	return Object{
		"id": fmt.Sprintf("in_local_%s_%d", d.ID, n), "object": "invoice", "status": "paid",
		"amount_paid": d.ChargeCents, "amount_due": d.ChargeCents, "currency": d.Currency,
		"billing_reason": reason, "subscription": SubscriptionID(d), "customer": CustomerID(d),
		"customer_email": d.Email, "payment_intent": InvoicePaymentIntentID(d, n),
		"subscription_details": map[string]any{"metadata": metadata(d)},
		"status_transitions":   map[string]any{"paid_at": paidAt.Unix()},
	}
}

// ChargeRefunded is the charge.refunded object of the payment paymentIntent, refunded
// refundedTotal cents so far in all.
func ChargeRefunded(paymentIntent string, amount, refundedTotal int64, currency string) Object {
	return Object{
		"id": "ch_" + paymentIntent[3:], "object": "charge", "amount": amount, "currency": currency,
		"amount_refunded": refundedTotal, "refunded": refundedTotal >= amount, "paid": true,
		"payment_intent": paymentIntent, "status": "succeeded",
	}
}

// DisputeCreated is the charge.dispute.created object of a chargeback on paymentIntent,
// before Stripe withdraws its money.
func DisputeCreated(paymentIntent string, amount int64, currency string, created time.Time) Object {
	return Dispute(paymentIntent, amount, currency, created, DisputeOpened)
}

// Stages of a chargeback's life, as its events report the dispute object.
type DisputeStage int

const (
	DisputeOpened     DisputeStage = iota // charge.dispute.created: needs_response, no money moved yet
	DisputeWithdrawn                      // charge.dispute.funds_withdrawn: Stripe took the money
	DisputeLost                           // charge.dispute.closed, lost: the money stays taken
	DisputeReinstated                     // charge.dispute.funds_reinstated: Stripe gave it back
	DisputeWon                            // charge.dispute.closed, won
)

// DisputeEvent is the event type that reports stage.
func DisputeEvent(stage DisputeStage) string {
	return [...]string{"charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed",
		"charge.dispute.funds_reinstated", "charge.dispute.closed"}[stage]
}

// Dispute is the dispute object on paymentIntent's charge at stage, with the balance
// transactions Stripe makes: a withdrawal of amount and the dispute fee, and after a win
// their reinstatement.
func Dispute(paymentIntent string, amount int64, currency string, created time.Time, stage DisputeStage) Object {
	id := "dp_" + paymentIntent[3:]
	status := [...]string{"needs_response", "under_review", "lost", "under_review", "won"}[stage]
	bt := func(n int, cents int64, fee int64, category string) Object {
		return Object{"id": fmt.Sprintf("txn_%s_%d", id[3:], n), "object": "balance_transaction", "amount": cents,
			"fee": fee, "net": cents - fee, "currency": currency, "reporting_category": category,
			"type": "adjustment", "source": id}
	}
	bts := []Object{}
	if stage >= DisputeWithdrawn {
		bts = append(bts, bt(1, -amount, 1500, "dispute"))
	}
	if stage >= DisputeReinstated {
		bts = append(bts, bt(2, amount, -1500, "dispute_reversal"))
	}
	return Object{
		"id": id, "object": "dispute", "amount": amount, "currency": currency,
		"charge": "ch_" + paymentIntent[3:], "payment_intent": paymentIntent, "balance_transactions": bts,
		"reason": "fraudulent", "status": status, "created": created.Unix(), "livemode": false,
	}
}

// SessionAsyncFailed is the checkout.session.async_payment_failed object of a donation.
func SessionAsyncFailed(d donation.Donation) Object {
	o := SessionCompleted(d)
	o["payment_status"] = "unpaid"
	return o
}

// InvoicePaymentFailed is the invoice.payment_failed object of month n of a monthly gift.
func InvoicePaymentFailed(d donation.Donation, n int) Object {
	o := InvoicePaid(d, n, time.Time{})
	o["status"], o["amount_paid"] = "open", 0
	delete(o, "status_transitions")
	delete(o, "payment_intent")
	return o
}

// MonthlySubscription is the customer.subscription.* object of a monthly gift.
func MonthlySubscription(d donation.Donation, status string) Object {
	return Object{"id": SubscriptionID(d), "object": "subscription", "status": status, "customer": CustomerID(d),
		"metadata": metadata(d)}
}
