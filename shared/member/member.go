// Package member holds memberships: the member record and its statuses, the pace of the
// emails a repeated signup may send, what the table must do for them, and the emails
// owed to members and to their branch's organizers. The signup flow is package signup.
package member

import (
	"context"
	"errors"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// Member statuses.
const (
	StatusPending = "pending" // signed up, not confirmed by email yet
	StatusActive  = "active"
)

// Member is one person's membership. There is one per canonical email address.
type Member struct {
	ID        string          `dynamodbav:"id"`
	Email     string          `dynamodbav:"email"`
	FirstName string          `dynamodbav:"first_name"`
	LastName  string          `dynamodbav:"last_name"`
	Phone     string          `dynamodbav:"phone,omitempty"`
	Address   address.Address `dynamodbav:"address"`
	Branch    string          `dynamodbav:"branch"`
	RoutedBy  string          `dynamodbav:"routed_by"` // how the branch was chosen (branch.By…, or "staff")
	Language  string          `dynamodbav:"language"`
	Message   string          `dynamodbav:"message,omitempty"`
	// NewsRequested: the person ticked the news box when signing up. News starts only
	// once they confirm (double opt-in); News is the current state, which unsubscribing ends.
	NewsRequested bool       `dynamodbav:"news_requested"`
	News          bool       `dynamodbav:"news"`
	Status        string     `dynamodbav:"status"`
	CreatedAt     time.Time  `dynamodbav:"created_at"`
	ConfirmedAt   *time.Time `dynamodbav:"confirmed_at,omitempty"`
	// NoticeSentAt and Notices rate-limit the emails a signup sends to an address that is
	// already known (a new confirmation link, or "you are already a member").
	NoticeSentAt time.Time `dynamodbav:"notice_sent_at"`
	Notices      int       `dynamodbav:"notices"`
}

// Staff moves a member by hand (RoutedBy).
const ByStaff = "staff"

// First re-send waits this long after the previous email; each further one waits twice
// as long, up to a day, so a form cannot be used to flood someone's inbox.
const (
	FirstResendAfter = 10 * time.Minute
	MaxResendAfter   = 24 * time.Hour
)

// PendingRetention is how long a signup that is never confirmed is kept after its last
// confirmation email: then the table's TTL deletes it, since an unconfirmed person's
// details are not ours to keep.
const PendingRetention = 30 * 24 * time.Hour

// NextNotice is when another email may be sent to m's address because of a new signup.
func (m Member) NextNotice() time.Time {
	wait := FirstResendAfter
	for i := 1; i < m.Notices && wait < MaxResendAfter; i++ {
		wait *= 2
	}
	if wait > MaxResendAfter {
		wait = MaxResendAfter
	}
	return m.NoticeSentAt.Add(wait)
}

// Errors of the store.
var (
	ErrNotFound      = errors.New("member not found")
	ErrExists        = errors.New("member exists")
	ErrConflict      = errors.New("member changed meanwhile")
	ErrLinkUsed      = errors.New("link used")
	ErrAlreadyActive = errors.New("member already active")
)

// Confirmation is everything a confirmed link changes, written at once: the token spent,
// the member active, the welcome and the organizers' notices owed, and the news consent
// confirmed when it was asked for.
type Confirmation struct {
	TokenHash string
	Member    Member // as it becomes
	Emails    []outbox.Email
	Consent   *consent.Record
}

// Store is what signups need of the table.
type Store interface {
	Branches(ctx context.Context) ([]branch.Branch, error)
	// Member reads the member with a canonical email address, or ErrNotFound.
	Member(ctx context.Context, email string) (Member, error)
	// CreateMember stores a new pending member with the confirmation email it owes and
	// the consent record, if any; ErrExists if the address is taken.
	CreateMember(ctx context.Context, m Member, e outbox.Email, c *consent.Record) error
	// Renotify records one more notice (m.NoticeSentAt, m.Notices as they become) and the
	// email, if the member's last notice is still prevSentAt; else ErrConflict.
	Renotify(ctx context.Context, m Member, prevSentAt time.Time, e outbox.Email) error
	// Token reads a stored token by hash, or token.ErrNotFound.
	Token(ctx context.Context, hash string) (token.Token, error)
	// Confirm applies c: ErrLinkUsed if the token was spent or expired meanwhile,
	// ErrAlreadyActive if the member was confirmed meanwhile.
	Confirm(ctx context.Context, c Confirmation) error
}
