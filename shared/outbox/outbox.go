// Package outbox holds the emails a handler owes. Each is written in the same DynamoDB
// transaction as the change that owes it; the mailer (package mail) renders and sends it
// from the table's stream. Kept apart from the mailer so that writers do not link SES.
package outbox

import (
	"time"
)

// Key names one outbox email's item in the table. Its parts are the store's to fill in
// and to read: to others it only travels from the item that was read to the writes that
// claim and mark it.
type Key struct{ Partition, Sort string }

// ClaimOutcome is what an attempt to claim an outbox email for one sender found.
type ClaimOutcome int

// Outcomes of a claim.
const (
	// ClaimTaken: the claimant holds the email now, and may send it.
	ClaimTaken ClaimOutcome = iota
	// ClaimSent: the email went out already; there is nothing to send.
	ClaimSent
	// ClaimHeld: another claimant's claim, not yet stale, holds the email.
	ClaimHeld
	// ClaimEnded: the email ended unsent (StatusFailed, StatusSuppressed or
	// StatusSkipped); there is nothing to send, now or later.
	ClaimEnded
)

// Email statuses in the outbox.
const (
	StatusPending = "pending"
	StatusSending = "sending"
	StatusSent    = "sent"
	// StatusFailed: SES refused the email for good (a permanent error: the address is
	// malformed or unverified in the sandbox, the message rejected). Final: neither the
	// stream's retries nor a redrive send it; staff see it in the failed-emails report.
	StatusFailed = "failed"
	// StatusSuppressed: the address bounced for good or complained (package
	// suppression), so the email was not sent. Final, and not an alarm.
	StatusSuppressed = "suppressed"
	// StatusSkipped: a broadcast email not sent because, at send time, the person was no
	// longer subscribed to news (reason "unsubscribed") or the broadcast was cancelled
	// (reason "cancelled"). Final, and not an alarm.
	StatusSkipped = "skipped"
)

// Templates the mailer knows.
const (
	DonationReceipt = "donation_receipt"
	DonationFailed  = "donation_failed"
	// Monthly gifts: a month's payment failed, or the gift ended (donation.Notice…).
	DonationPaymentFailed = "donation_payment_failed"
	DonationEnded         = "donation_ended"
	MemberConfirm         = "member_confirm" // the double opt-in link
	MemberWelcome         = "member_welcome" // after confirming: the branch and its contact
	MemberAlready         = "member_already" // a second signup of an active member
	BranchNotice          = "branch_notice"  // to the branch organizer: a new or transferred member

	// Subscriptions and dues (Notify values of package subscription, prefixed "plan_").
	PlanWelcome         = "plan_welcome"          // Checkout completed
	PlanReceipt         = "plan_receipt"          // an invoice paid: a sale or dues, not a donation
	PlanPaymentFailed   = "plan_payment_failed"   // with a link to fix the card
	PlanRenewalReminder = "plan_renewal_reminder" // before a yearly renewal
	PlanLapsed          = "plan_lapsed"           // Stripe ended the subscription
	PortalLink          = "portal_link"           // a single-use link to the customer portal
	// NewsConfirm asks a person who opted out of news, and whose address a form asked
	// news for, to confirm with its link (token.NewsConfirm) that they want it again.
	NewsConfirm = "news_confirm"
	// Broadcast is one recipient's copy of a broadcast (package broadcast): Data
	// {"broadcast": id} names it; the mailer renders the broadcast's message itself.
	Broadcast = "broadcast"
)

// Email is one outbox item: what to send to whom, in which language. The body is
// rendered when it is sent, from Template and Data.
type Email struct {
	ID       string            `dynamodbav:"id"`
	Template string            `dynamodbav:"template"`
	Language string            `dynamodbav:"language"`
	To       string            `dynamodbav:"to"`
	Data     map[string]string `dynamodbav:"data"`
	// Links are secret links the mailer mints when it sends, so that no secret is ever
	// stored in the table: only the token's hash is.
	Links []Link `dynamodbav:"links,omitempty"`
	// News marks an email that is news, or that goes to a person subscribed to news (a
	// member's welcome): it carries an unsubscribe link and one-click unsubscribe headers
	// (RFC 8058). Receipts, confirmations and notices to organizers do not.
	News      bool      `dynamodbav:"news,omitempty"`
	Status    string    `dynamodbav:"status"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	Attempts  int       `dynamodbav:"attempts"`
}

// Link is a secret link to mint when sending: its URL becomes Data[Name].
type Link struct {
	Name    string `dynamodbav:"name"`    // the template's data key, e.g. confirm_url
	Purpose string `dynamodbav:"purpose"` // a token purpose (package token)
	Path    string `dynamodbav:"path"`    // the API path the link opens, e.g. /members/confirm
	Subject string `dynamodbav:"subject"` // the canonical email address it acts for
	// Ref, if set, names the record of the subject's that the link acts on (a membership
	// application): the token keeps it, so the link acts on that record only.
	Ref     string `dynamodbav:"ref,omitempty"`
	TTLSecs int64  `dynamodbav:"ttl_seconds"`
}
