package signup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// Outcomes of a confirmation link, each its own page.
const (
	// Confirmable is a link that can confirm: following it shows the button that does.
	Confirmable   = "confirm_ask"
	Confirmed     = "confirmed"
	AlreadyActive = "already"
	LinkUsed      = "link_used"
	LinkExpired   = "link_expired"
	LinkInvalid   = "link_invalid"
)

// Outcome is what a confirmation link did, in the language the person signed up in.
type Outcome struct {
	Result     string
	Lang       i18n.Lang
	BranchName string
	// Form is, for a Confirmable link, what its application holds that its page shows, so
	// that the address's owner can tell the link of their own post from a stranger's.
	Form Form
}

// Form is what a confirmation page shows of the application its link confirms: enough
// for its poster to recognise it, and no phone, street or message.
type Form struct {
	FirstName   string
	City        string
	PostalStart string // the postal code's first three characters
	SubmittedAt time.Time
	// News: the application asks for news, so confirming subscribes the address to it.
	News bool
	// Resubscribes: News, and the address unsubscribed from news earlier (confirming
	// subscribes it again).
	Resubscribes bool
}

// Check reads what a confirmation link would do, and writes nothing: Confirmable if it
// can confirm (with the branch of the application it confirms, for the page to name), else
// the outcome it gets (unknown, used, expired, already a member). Mail scanners follow
// every link, so following one only checks.
func (s Service) Check(ctx context.Context, raw string) (Outcome, error) {
	l, out, err := s.inspect(ctx, raw, s.Now().UTC())
	if err != nil || out.Result != "" {
		return out, err
	}
	out.Result, out.BranchName = Confirmable, l.branch.Name(out.Lang)
	a := l.app
	out.Form = Form{FirstName: a.FirstName, City: a.Address.City, PostalStart: postalStart(a.Address.PostalCode),
		SubmittedAt: a.SubmittedAt, News: a.NewsRequested}
	if a.NewsRequested {
		st, ok, err := s.Store.News(ctx, a.Email)
		if err != nil {
			return Outcome{}, fmt.Errorf("load news state: %w", err)
		}
		out.Form.Resubscribes = ok && !st.Subscribed
	}
	return out, nil
}

// postalStart is the first three letters and digits of a postal code, in capitals.
func postalStart(code string) string {
	var r []rune
	for _, c := range strings.ToUpper(code) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			r = append(r, c)
		}
		if len(r) == 3 {
			break
		}
	}
	return string(r)
}

// link is what a confirmation link that can confirm would confirm: the pending member as
// it would become (its application's details) and the application's branch.
type link struct {
	tok    token.Token
	app    member.Application
	member member.Member
	branch branch.Branch
}

// inspect loads a confirmation link's token, member and application. An outcome with a
// Result is the answer of a link that cannot confirm. A link confirms the application of
// the post that sent it (its token's Ref), never another's: one without (sent before
// applications were) or whose application is gone (erased, expired, or dropped when the
// address was confirmed) is not valid.
func (s Service) inspect(ctx context.Context, raw string, now time.Time) (link, Outcome, error) {
	if !token.WellFormed(raw) {
		return link{}, Outcome{Result: LinkInvalid}, nil
	}
	tok, err := s.Store.Token(ctx, token.Hash(raw))
	if errors.Is(err, token.ErrNotFound) || (err == nil && tok.Purpose != token.Confirm) {
		return link{}, Outcome{Result: LinkInvalid}, nil
	}
	if err != nil {
		return link{}, Outcome{}, fmt.Errorf("load token: %w", err)
	}
	out := Outcome{Lang: i18n.Negotiate(tok.Language, "")}
	m, err := s.Store.Member(ctx, tok.Subject)
	switch {
	case errors.Is(err, member.ErrNotFound):
		out.Result = LinkInvalid // the member was erased since
	case err != nil:
		return link{}, Outcome{}, fmt.Errorf("load member: %w", err)
	case tok.UsedAt != nil:
		out.Result = LinkUsed
	case m.Status == member.StatusActive: // confirmed by another of the links sent
		out.Result = AlreadyActive
	case tok.Expired(now):
		out.Result = LinkExpired
	case tok.Ref == "":
		out.Result = LinkInvalid
	}
	if out.Result != "" {
		return link{}, out, nil
	}
	app, err := s.Store.Application(ctx, tok.Subject, tok.Ref)
	if errors.Is(err, member.ErrNotFound) {
		return link{}, Outcome{Lang: out.Lang, Result: LinkInvalid}, nil
	}
	if err != nil {
		return link{}, Outcome{}, fmt.Errorf("load application: %w", err)
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return link{}, Outcome{}, err
	}
	m = m.With(app)
	b, ok := dir.Get(m.Branch)
	if !ok { // the branch was closed since the signup
		if b, m.RoutedBy, err = dir.Route(branch.Where{City: m.Address.City, Province: m.Address.Province, PostalCode: m.Address.PostalCode}); err != nil {
			return link{}, Outcome{}, err
		}
		m.Branch = b.Slug
	}
	return link{tok: tok, app: app, member: m, branch: b}, out, nil
}

// Confirm acts on a confirmation link (the button of its page): an unknown, used or
// expired one changes nothing; a good one makes the member active with exactly the
// details of the application the link was sent for, and owes the welcome email and a
// notice to each of that branch's organizers, all written at once. The address's other
// applications then go: their links confirm nothing any more.
func (s Service) Confirm(ctx context.Context, raw string, from consent.Origin) (Outcome, error) {
	now := s.Now().UTC()
	l, out, err := s.inspect(ctx, raw, now)
	if err != nil || out.Result != "" {
		return out, err
	}
	m, b := l.member, l.branch
	m.Status, m.ConfirmedAt, m.News, m.Application = member.StatusActive, &now, m.NewsRequested, ""
	c := member.Confirmation{TokenHash: l.tok.Hash, Application: l.app.ID, Member: m,
		Emails: append([]outbox.Email{member.Welcome(m, b)}, member.Notices(m, b, time.Time{})...)}
	if m.NewsRequested {
		rec := consent.Grant(m.Email, m.Language, "membership_confirmation", m.ID, from, now)
		c.Consent = &rec
	}
	switch err := s.Store.Confirm(ctx, c); {
	case errors.Is(err, member.ErrLinkUsed):
		out.Result = LinkUsed
	case errors.Is(err, member.ErrAlreadyActive):
		out.Result = AlreadyActive
	case errors.Is(err, member.ErrNotFound):
		out.Result = LinkInvalid
	case err != nil:
		return Outcome{}, fmt.Errorf("confirm member: %w", err)
	default:
		out.Result, out.BranchName = Confirmed, b.Name(out.Lang)
	}
	return out, nil
}
