// Package subscription follows recurring plans — solidarity subscriptions to the paper and
// members' dues — through Stripe Billing: the record, and how each Stripe event changes
// it. Apply is a pure function of the record and one event, built so that the final state
// does not depend on the order or the number of deliveries: money and paid-through only
// grow, once per invoice; status, cancellation and the shipping address each take the
// newest Stripe event's word; a cancelled subscription stays cancelled.
package subscription

import (
	"errors"
	"slices"
	"strings"
	"time"
)

// Statuses: ours before Checkout completes, then Stripe's subscription statuses.
const (
	StatusPending  = "pending" // Checkout opened, not completed
	StatusActive   = "active"
	StatusPastDue  = "past_due"
	StatusUnpaid   = "unpaid"
	StatusCanceled = "canceled" // lapsed: ended by Stripe, for good
)

// Subscription is one person's recurring plan.
type Subscription struct {
	ID         string    `dynamodbav:"id"`
	Plan       string    `dynamodbav:"plan"`
	Kind       string    `dynamodbav:"kind"` // plan.KindSubscription or plan.KindDues
	Email      string    `dynamodbav:"email"`
	FirstName  string    `dynamodbav:"first_name"`
	LastName   string    `dynamodbav:"last_name"`
	Language   string    `dynamodbav:"language"`
	Status     string    `dynamodbav:"status"`
	CheckoutID string    `dynamodbav:"checkout_id,omitempty"`
	StripeID   string    `dynamodbav:"stripe_subscription_id,omitempty"`
	CustomerID string    `dynamodbav:"stripe_customer_id,omitempty"`
	Shipping   *Shipping `dynamodbav:"shipping,omitempty"`
	// PaidFrom and PaidThrough bound the periods paid for (UTC); the printer's list uses
	// them. PaidCents is the sum of the distinct invoices paid, whose ids are Invoices.
	PaidFrom          time.Time `dynamodbav:"paid_from,omitempty"`
	PaidThrough       time.Time `dynamodbav:"paid_through,omitempty"`
	PaidCents         int64     `dynamodbav:"paid_cents"`
	Currency          string    `dynamodbav:"currency"`
	Invoices          []string  `dynamodbav:"invoices,stringset,omitempty"`
	CancelAtPeriodEnd bool      `dynamodbav:"cancel_at_period_end"`
	// Versions: the Stripe event time (epoch seconds) behind the status, the
	// cancellation flag and the shipping address, so an older event never overrides.
	StatusAt   int64 `dynamodbav:"status_at"`
	CancelAt   int64 `dynamodbav:"cancel_flag_at"`
	ShippingAt int64 `dynamodbav:"shipping_at"`
	// ConsentUpdates: the person ticked the news box on the form.
	ConsentUpdates bool      `dynamodbav:"consent_updates"`
	CreatedAt      time.Time `dynamodbav:"created_at"`
	// Rev counts the changes, for optimistic concurrency.
	Rev int64 `dynamodbav:"rev"`
	// Erased marks a record whose person was erased (staff privacy erase): it keeps its
	// ids and money, and no later event gives it back a name, an address or an email
	// address, nor sends it mail.
	Erased bool `dynamodbav:"erased,omitempty"`
	// ForeignCents is the money of invoices paid in another currency than the plan's, by
	// currency: recorded, and in no total (PaidCents counts the plan's currency only).
	ForeignCents map[string]int64 `dynamodbav:"foreign_cents,omitempty"`
	// RefundedCents and DisputedCents are what refunds gave back and disputes hold now of
	// its invoices' money (the plan's currency): the net paid is PaidCents less both.
	// The ledger changes them (dynamo.RecordRefund, RecordDispute), not Apply.
	RefundedCents int64 `dynamodbav:"refunded_cents,omitempty"`
	DisputedCents int64 `dynamodbav:"disputed_cents,omitempty"`
}

// NetCents is the money of s's invoices Stripe kept: paid, less refunds and disputes.
func (s Subscription) NetCents() int64 { return s.PaidCents - s.RefundedCents - s.DisputedCents }

// ErasedEmail stands for an erased person's address in the records that keep money.
const ErasedEmail = "erased"

// IsErased reports whether s's person was erased. Records erased before the mark
// existed carry only the placeholder address.
func (s Subscription) IsErased() bool { return s.Erased || s.Email == ErasedEmail }

// Shipping is the address the paper is mailed to, as Checkout or the portal collected it.
type Shipping struct {
	Name       string `dynamodbav:"name" json:"name"`
	Line1      string `dynamodbav:"line1" json:"line1"`
	Line2      string `dynamodbav:"line2,omitempty" json:"line2"`
	City       string `dynamodbav:"city" json:"city"`
	State      string `dynamodbav:"state" json:"state"`
	PostalCode string `dynamodbav:"postal_code" json:"postal_code"`
	Country    string `dynamodbav:"country" json:"country"`
}

// ActiveOn reports whether s's paper goes out for an issue dated day (a calendar date,
// UTC): a paid period covers some of that day.
func (s Subscription) ActiveOn(day time.Time) bool {
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	return !s.PaidFrom.IsZero() && s.PaidFrom.Before(start.AddDate(0, 0, 1)) && s.PaidThrough.After(start)
}

// Renews reports whether Stripe will try to renew s.
func (s Subscription) Renews() bool {
	return s.Status == StatusActive && !s.CancelAtPeriodEnd
}

// Errors of the store.
var (
	ErrNotFound = errors.New("subscription not found")
	ErrConflict = errors.New("subscription changed meanwhile")
)

// Event types Apply understands.
const (
	Completed      = "checkout.session.completed"
	InvoicePaid    = "invoice.paid"
	PaymentFailed  = "invoice.payment_failed"
	Upcoming       = "invoice.upcoming"
	Updated        = "customer.subscription.updated"
	Deleted        = "customer.subscription.deleted"
	ShippingChange = "customer.updated"
)

// Change is one Stripe event about a subscription, as the webhook reads it.
type Change struct {
	EventID    string
	Type       string
	Created    int64 // the event's time, epoch seconds
	StripeID   string
	CustomerID string
	// Status and CancelAtPeriodEnd, from subscription objects.
	Status            string
	CancelAtPeriodEnd bool
	// The invoice of invoice.* events: its id, amount, and the period it pays for.
	InvoiceID   string
	AmountCents int64
	Currency    string
	PeriodStart time.Time
	PeriodEnd   time.Time
	// PaymentKey is the paid invoice's payment intent (else the invoice's id), which its
	// charge's refunds and disputes name; PaidAt is when it was paid.
	PaymentKey string
	PaidAt     time.Time
	Shipping   *Shipping
}

// Effect is what an event changed, for the store and the emails.
type Effect struct {
	Subscription Subscription
	// Paid is set when the event paid an invoice not counted before.
	Paid bool
	// Foreign is set when that invoice was paid in another currency than the plan's:
	// its money is in ForeignCents, not PaidCents.
	Foreign bool
	// Notify is the email the event owes the person, if any ("" for none): one of the
	// outbox subscription templates.
	Notify string
}

// Apply returns s as c leaves it, and what c owes. It is a pure function: the same events
// in any order, each applied once, end in the same subscription.
func Apply(s Subscription, c Change) Effect {
	if s.StripeID == "" && c.StripeID != "" {
		s.StripeID = c.StripeID
	}
	if s.CustomerID == "" && c.CustomerID != "" {
		s.CustomerID = c.CustomerID
	}
	setStatus := func(status string) {
		if s.Status == StatusCanceled || c.Created < s.StatusAt {
			return // lapsed for good, or an older word
		}
		s.Status, s.StatusAt = status, c.Created
	}
	e := Effect{}
	switch c.Type {
	case Completed:
		setStatus(StatusActive)
		s.setShipping(c)
		e.Notify = "welcome"
	case InvoicePaid:
		if c.InvoiceID == "" || slices.Contains(s.Invoices, c.InvoiceID) {
			break // this invoice was counted already
		}
		s.Invoices = append(s.Invoices, c.InvoiceID)
		slices.Sort(s.Invoices)
		if s.Currency == "" {
			s.Currency = c.Currency
		}
		if strings.EqualFold(c.Currency, s.Currency) {
			s.PaidCents += c.AmountCents
		} else {
			// Paid, in another currency than the plan's: the period is paid for and
			// receipted, and the money recorded by its currency, in no total.
			if s.ForeignCents == nil {
				s.ForeignCents = map[string]int64{}
			}
			s.ForeignCents[strings.ToLower(c.Currency)] += c.AmountCents
			e.Foreign = true
		}
		if !c.PeriodStart.IsZero() && (s.PaidFrom.IsZero() || c.PeriodStart.Before(s.PaidFrom)) {
			s.PaidFrom = c.PeriodStart.UTC()
		}
		if c.PeriodEnd.After(s.PaidThrough) {
			s.PaidThrough = c.PeriodEnd.UTC()
		}
		setStatus(StatusActive)
		e.Paid, e.Notify = true, "receipt"
	case PaymentFailed:
		setStatus(StatusPastDue)
		e.Notify = "payment_failed"
	case Upcoming:
		e.Notify = "renewal_reminder"
	case Updated:
		if c.Status != "" {
			setStatus(c.Status)
		}
		if c.Created >= s.CancelAt {
			s.CancelAtPeriodEnd, s.CancelAt = c.CancelAtPeriodEnd, c.Created
		}
	case Deleted:
		s.Status, s.StatusAt = StatusCanceled, max(s.StatusAt, c.Created)
		e.Notify = "lapsed"
	case ShippingChange:
		s.setShipping(c)
	}
	if s.IsErased() {
		// The money and the dates still count; nothing personal comes back, and no one
		// is written to.
		s.Email, s.FirstName, s.LastName, s.Shipping, s.Erased = ErasedEmail, "", "", nil, true
		e.Notify = ""
	}
	e.Subscription = s
	return e
}

func (s *Subscription) setShipping(c Change) {
	if c.Shipping != nil && c.Created >= s.ShippingAt {
		sh := *c.Shipping
		s.Shipping, s.ShippingAt = &sh, c.Created
	}
}
