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
	// Application is, while the member is pending, the id of the application whose link
	// was sent last: the member's fields are that application's. Each signup post is an
	// application of its own, and each confirmation link confirms only its own (Confirm).
	Application string `dynamodbav:"application,omitempty"`
}

// Application is what one signup post asked for: the person's details, the branch it
// was routed to, and whether it asked for news. A pending address may hold several (a
// stranger may have typed the address before its owner did); a confirmation link names
// the one whose email sent it, and confirming makes the member exactly that one. They are
// kept PendingRetention after their newest link, like a pending member, and go once the
// address is confirmed.
type Application struct {
	ID            string          `dynamodbav:"id"`
	Email         string          `dynamodbav:"email"`
	FirstName     string          `dynamodbav:"first_name"`
	LastName      string          `dynamodbav:"last_name"`
	Phone         string          `dynamodbav:"phone,omitempty"`
	Address       address.Address `dynamodbav:"address"`
	Branch        string          `dynamodbav:"branch"`
	RoutedBy      string          `dynamodbav:"routed_by"`
	Language      string          `dynamodbav:"language"`
	Message       string          `dynamodbav:"message,omitempty"`
	NewsRequested bool            `dynamodbav:"news_requested"`
	SubmittedAt   time.Time       `dynamodbav:"submitted_at"`
	SentAt        time.Time       `dynamodbav:"sent_at"` // its newest link; zero while held back (FreshLinks)
}

// Kept is when a's retention starts: its newest link, or its post if no link was sent.
func (a Application) Kept() time.Time {
	if a.SentAt.After(a.SubmittedAt) {
		return a.SentAt
	}
	return a.SubmittedAt
}

// Same reports whether a and b ask for the same membership (everything but their ids
// and times), so a repeated post of the same form is not a new application.
func (a Application) Same(b Application) bool {
	a.ID, a.SubmittedAt, a.SentAt = b.ID, b.SubmittedAt, b.SentAt
	return a == b
}

// ApplicationOf is the application m's fields hold, under id.
func ApplicationOf(m Member, id string) Application {
	return Application{ID: id, Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Phone: m.Phone,
		Address: m.Address, Branch: m.Branch, RoutedBy: m.RoutedBy, Language: m.Language, Message: m.Message,
		NewsRequested: m.NewsRequested, SubmittedAt: m.CreatedAt, SentAt: m.NoticeSentAt}
}

// With is m holding a's details (its id, status and times stay m's).
func (m Member) With(a Application) Member {
	m.FirstName, m.LastName, m.Phone, m.Address = a.FirstName, a.LastName, a.Phone, a.Address
	m.Branch, m.RoutedBy, m.Language, m.Message = a.Branch, a.RoutedBy, a.Language, a.Message
	m.NewsRequested, m.Application = a.NewsRequested, a.ID
	return m
}

// Staff moves a member by hand (RoutedBy).
const ByStaff = "staff"

// First re-send waits this long after the previous email; each further one waits twice
// as long, up to a day, so a form cannot be used to flood someone's inbox.
const (
	FirstResendAfter = 10 * time.Minute
	MaxResendAfter   = 24 * time.Hour
)

// FreshLinks is how many of a pending address's applications may have had their link
// sent within FreshWindow for a new application's link to go out at once. Beyond it, a
// new application is stored and its link waits for NextNotice like a re-send, so that
// varying one character of a form is no way to flood an inbox: the same form posted
// again once the pace allows gets its link (the application is kept meanwhile).
const (
	FreshLinks  = 3
	FreshWindow = 24 * time.Hour
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
	// Application is the id of the application the link confirms: it goes with the
	// confirmation (its details are the member's now), and so do the address's others.
	Application string
	Member      Member // as it becomes: the application's details, active
	Emails      []outbox.Email
	Consent     *consent.Record
}

// Store is what signups need of the table.
type Store interface {
	Branches(ctx context.Context) ([]branch.Branch, error)
	// Member reads the member with a canonical email address, or ErrNotFound.
	Member(ctx context.Context, email string) (Member, error)
	// CreateMember stores a new pending member, with its first application (the member's
	// fields, under m.Application, when that is set), the confirmation email it owes and
	// the consent record, if any; ErrExists if the address is taken.
	CreateMember(ctx context.Context, m Member, e outbox.Email, c *consent.Record) error
	// Renotify records one more notice (m.NoticeSentAt, m.Notices as they become) and the
	// email, if the member's last notice is still prevSentAt; else ErrConflict.
	Renotify(ctx context.Context, m Member, prevSentAt time.Time, e outbox.Email) error
	// Reapply stores the application a (new, or one whose link is sent again) and the
	// pending member m as it becomes (holding a, with one more notice), with the email of
	// a's link and the consent record, if any, if the member is still pending and its last
	// notice still prevSentAt; else ErrConflict. An email with no To is none: a new
	// application held back by the pace is stored (m then unchanged) and nothing is sent.
	Reapply(ctx context.Context, m Member, prevSentAt time.Time, a Application, e outbox.Email, c *consent.Record) error
	// Applications lists the applications an address holds, oldest first.
	Applications(ctx context.Context, email string) ([]Application, error)
	// Application reads one of an address's applications, or ErrNotFound.
	Application(ctx context.Context, email, id string) (Application, error)
	// Token reads a stored token by hash, or token.ErrNotFound.
	Token(ctx context.Context, hash string) (token.Token, error)
	// News reads the address's news state (ok false when it has none), for the
	// confirmation page to say when confirming would subscribe an address that opted out.
	News(ctx context.Context, email string) (st consent.State, ok bool, err error)
	// Confirm applies c: ErrLinkUsed if the token was spent or expired meanwhile,
	// ErrAlreadyActive if the member was confirmed meanwhile, ErrNotFound if the
	// application is gone (erased, or expired).
	Confirm(ctx context.Context, c Confirmation) error
}
