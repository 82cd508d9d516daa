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

// Dispute is a chargeback opened on a payment.
type Dispute struct {
	Event       Event
	ID          string
	PaymentKey  string
	ChargeID    string
	AmountCents int64
	Reason      string
	Status      string
	CreatedAt   time.Time
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
	RecordDispute(ctx context.Context, d Dispute) error
}
