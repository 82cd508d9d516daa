// Package donation holds one-time and monthly gifts as records: the donation, its
// payments, refunds and disputes, the fee gross-up, and the interfaces that store them.
package donation

import (
	"context"
	"errors"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/consent"
)

// Frequencies of a gift.
const (
	Once    = "once"
	Monthly = "monthly"
)

// Statuses of a donation. Only Stripe's confirmation makes one paid.
const (
	StatusPending = "pending"
	StatusPaid    = "paid"
	StatusFailed  = "failed"
)

// ErrNotFound means no donation has that id.
var ErrNotFound = errors.New("donation not found")

// Donation is one gift as stored. For a monthly gift it is the whole series; each
// month's money is a separate payment.
type Donation struct {
	ID             string           `dynamodbav:"id"`
	Campaign       string           `dynamodbav:"campaign"`
	CampaignTitle  string           `dynamodbav:"campaign_title"` // in the donor's language, for receipts
	Currency       string           `dynamodbav:"currency"`
	AmountCents    int64            `dynamodbav:"amount_cents"` // what the donor chose
	ChargeCents    int64            `dynamodbav:"charge_cents"` // what Checkout asks: amount plus covered fees
	CoverFees      bool             `dynamodbav:"cover_fees"`
	Frequency      string           `dynamodbav:"frequency"`
	FirstName      string           `dynamodbav:"first_name"`
	LastName       string           `dynamodbav:"last_name"`
	Email          string           `dynamodbav:"email"`
	Language       string           `dynamodbav:"language"`
	Anonymous      bool             `dynamodbav:"anonymous"`
	ConsentUpdates bool             `dynamodbav:"consent_updates"`
	Address        *address.Address `dynamodbav:"address,omitempty"`
	Status         string           `dynamodbav:"status"`
	CreatedAt      time.Time        `dynamodbav:"created_at"`
	CheckoutID     string           `dynamodbav:"checkout_session_id"`
	SubscriptionID string           `dynamodbav:"stripe_subscription_id,omitempty"`
	CustomerID     string           `dynamodbav:"stripe_customer_id,omitempty"`
	// MonthlyEndedAt is when Stripe ended a monthly gift's subscription.
	MonthlyEndedAt *time.Time `dynamodbav:"monthly_ended_at,omitempty"`
	PaidCents      int64      `dynamodbav:"paid_cents"`
	RefundedCents  int64      `dynamodbav:"refunded_cents"`
	PaymentCount   int64      `dynamodbav:"payment_count"`
	// CounterShards is its campaign's counter items when it was made (the campaign's
	// Shards), which its payments are spread over; zero, the default.
	CounterShards int  `dynamodbav:"counter_shards,omitempty"`
	Disputed      bool `dynamodbav:"disputed,omitempty"`
	// DisputedCents is what its payments' disputes hold now (in the gift's currency).
	DisputedCents int64 `dynamodbav:"disputed_cents,omitempty"`
	// Erased marks a gift whose donor was erased (staff privacy erase): its money counts,
	// and no later event gives it back the donor's identity or writes them an email.
	Erased bool `dynamodbav:"erased,omitempty"`
	// ForeignPayments counts the payments (of PaymentCount) Stripe made in a currency
	// other than the gift's, unconverted: recorded with their own amount and currency,
	// receipted, and in no total (Payment.In).
	ForeignPayments int64 `dynamodbav:"foreign_payment_count,omitempty"`
}

// ErasedEmail stands for an erased donor's address in the gifts that keep money.
const ErasedEmail = "erased"

// IsErased reports whether d's donor was erased. Gifts erased before the mark existed
// carry only the placeholder address.
func (d Donation) IsErased() bool { return d.Erased || d.Email == ErasedEmail }

// Session is a Stripe Checkout session created for a donation.
type Session struct {
	ID  string
	URL string
}

// Checkout creates the Stripe Checkout session that collects a donation.
type Checkout interface {
	DonationSession(ctx context.Context, d Donation, c campaign.Campaign) (Session, error)
}

// Store keeps donations. CreateDonation stores d and, when given, the consent record in
// one transaction.
type Store interface {
	campaign.SettingsStore
	CreateDonation(ctx context.Context, d Donation, c *consent.Record) error
}
