package donation

import (
	"context"
	"errors"
	"strings"
	"time"
)

// ErrDuplicate means the event, or the payment it reports, was applied before: the
// delivery is acknowledged and nothing changes.
var ErrDuplicate = errors.New("already applied")

// ErrUnknownPayment means an event refers to a payment not recorded yet (events can
// arrive before the one that records it): the webhook answers 5xx so Stripe retries.
var ErrUnknownPayment = errors.New("payment not recorded yet")

// Event identifies the Stripe event behind a change; its id is recorded in the same
// transaction as the change, so a redelivery changes nothing.
type Event struct {
	ID   string
	Type string
}

// Payment is money Stripe confirmed for a donation: a one-time charge or one month of a
// monthly gift. Key is Stripe's payment intent id, which a session, an invoice and a
// charge all name, so the same money reported by two events is counted once.
type Payment struct {
	Event          Event
	Key            string
	DonationID     string
	AmountCents    int64
	Currency       string
	PaidAt         time.Time
	InvoiceID      string
	SubscriptionID string
	CustomerID     string
	// SourceCents and SourceCurrency are what Stripe converted AmountCents from, when it
	// charged the payer in their own currency (Adaptive Pricing's currency_conversion on
	// a Checkout session): the amount in the currency the session was created in. Both
	// are empty for a payment Stripe did not convert.
	SourceCents    int64
	SourceCurrency string
	// SessionID is the Checkout session Stripe reports the payment through; "" for an
	// invoice's.
	SessionID string
}

// In is p's amount in currency, the campaign's or the plan's: Stripe's amount when it
// charged in that currency, or the amount it converted from when it converted from that
// currency. ok is false for money in any other currency, which no total may count.
func (p Payment) In(currency string) (cents int64, ok bool) {
	switch {
	case currency == "":
		return 0, false
	case strings.EqualFold(p.Currency, currency):
		return p.AmountCents, true
	case strings.EqualFold(p.SourceCurrency, currency):
		return p.SourceCents, true
	}
	return 0, false
}

// Refund reports a charge's refunded total so far (Stripe's amount_refunded), which makes
// refunds order-free: the larger total wins and only the difference is subtracted.
type Refund struct {
	Event              Event
	PaymentKey         string
	RefundedTotalCents int64
}

// Dispute is a chargeback as one of Stripe's events reports it: the dispute object at
// that moment (charge.dispute.created, .funds_withdrawn, .funds_reinstated, .updated,
// .closed). Stripe takes the disputed money when it withdraws it, and gives it back when
// it reinstates it after a win; a dispute lost keeps it taken.
type Dispute struct {
	Event      Event
	ID         string
	PaymentKey string
	ChargeID   string
	// AmountCents is the disputed amount, in the charge's currency.
	AmountCents int64
	Reason      string
	Status      string
	CreatedAt   time.Time
	// Withdrawals and Reinstatements count the dispute's balance transactions so far:
	// money Stripe took from the balance (negative amounts) and gave back (positive).
	Withdrawals, Reinstatements int
}

// Dispute statuses that end a dispute (Stripe's).
const (
	DisputeWon           = "won"
	DisputeLost          = "lost"
	DisputeWarningClosed = "warning_closed" // an inquiry closed: no money moved
)

// HeldCents is what the dispute has taken of the charge's money at this moment, in the
// charge's currency: all of it while Stripe holds what it withdrew (for good once the
// dispute is lost), none before it withdraws or once it reinstates. Only the balance
// transactions say so: an inquiry withdraws nothing, nor does a dispute of a charge
// refunded in full, even lost.
func (d Dispute) HeldCents() int64 {
	if d.Withdrawals > d.Reinstatements {
		return d.AmountCents
	}
	return 0
}

// Progress orders the reports of one dispute: a dispute only gains balance transactions
// and, once closed, stays closed, so a report of higher progress is later. Reports of
// equal progress hold the same money (HeldCents), so their order does not matter.
func (d Dispute) Progress() int {
	p := 2 * (d.Withdrawals + d.Reinstatements)
	switch d.Status {
	case DisputeWon, DisputeLost, DisputeWarningClosed:
		p++
	}
	return p
}

// Notices to monthly donors about their subscription.
const (
	NoticePaymentFailed = "payment_failed" // a month's payment failed: fix the card
	NoticeEnded         = "ended"          // the monthly gift has ended
)

// Ledger applies Stripe's confirmations to donations and campaign totals, each in one
// transaction with its event id and the email it owes, so a duplicate event changes
// nothing twice.
type Ledger interface {
	// MonthlyGiftNotice tells a monthly donor what happened to their gift (a Notice…),
	// once per event; NoticeEnded also records the end.
	MonthlyGiftNotice(ctx context.Context, ev Event, donationID, notice string) error
	RecordPayment(ctx context.Context, p Payment) error
	LinkSubscription(ctx context.Context, ev Event, donationID, subscriptionID, customerID string) error
	FailDonation(ctx context.Context, ev Event, donationID string) error
	RecordRefund(ctx context.Context, r Refund) error
	// RecordDispute brings a dispute to the state d reports, unless a later report was
	// applied (Progress), taking from the totals or giving back the difference in
	// HeldCents.
	RecordDispute(ctx context.Context, d Dispute) error
	// HoldEarly keeps a refund or a dispute (one of r, d) of a payment not recorded yet,
	// whose charge does not say whose it is (an invoice's): the payment's own event
	// applies it when it comes. It is in no total until then.
	HoldEarly(ctx context.Context, r *Refund, d *Dispute) error
}
