package signup

import (
	"context"
	"errors"
	"fmt"
	"time"

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
}

// Check reads what a confirmation link would do, and writes nothing: Confirmable if it
// can confirm, else the outcome it gets (unknown, used, expired, already a member). Mail
// scanners follow every link, so following one only checks.
func (s Service) Check(ctx context.Context, raw string) (Outcome, error) {
	_, _, out, err := s.inspect(ctx, raw, s.Now().UTC())
	if err == nil && out.Result == "" {
		out.Result = Confirmable
	}
	return out, err
}

// inspect loads a confirmation link's token and member. An outcome with a Result is the
// answer of a link that cannot confirm.
func (s Service) inspect(ctx context.Context, raw string, now time.Time) (token.Token, member.Member, Outcome, error) {
	if !token.WellFormed(raw) {
		return token.Token{}, member.Member{}, Outcome{Result: LinkInvalid}, nil
	}
	tok, err := s.Store.Token(ctx, token.Hash(raw))
	if errors.Is(err, token.ErrNotFound) || (err == nil && tok.Purpose != token.Confirm) {
		return token.Token{}, member.Member{}, Outcome{Result: LinkInvalid}, nil
	}
	if err != nil {
		return token.Token{}, member.Member{}, Outcome{}, fmt.Errorf("load token: %w", err)
	}
	out := Outcome{Lang: i18n.Negotiate(tok.Language, "")}
	m, err := s.Store.Member(ctx, tok.Subject)
	switch {
	case errors.Is(err, member.ErrNotFound):
		out.Result = LinkInvalid // the member was erased since
	case err != nil:
		return tok, m, Outcome{}, fmt.Errorf("load member: %w", err)
	case tok.UsedAt != nil:
		out.Result = LinkUsed
	case m.Status == member.StatusActive: // confirmed by another of the links sent
		out.Result = AlreadyActive
	case tok.Expired(now):
		out.Result = LinkExpired
	}
	return tok, m, out, nil
}

// Confirm acts on a confirmation link (the button of its page): an unknown, used or
// expired one changes nothing; a good one makes the member active and owes the welcome
// email and a notice to each of the branch's organizers, all written at once.
func (s Service) Confirm(ctx context.Context, raw string, from consent.Origin) (Outcome, error) {
	now := s.Now().UTC()
	tok, m, out, err := s.inspect(ctx, raw, now)
	if err != nil || out.Result != "" {
		return out, err
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return Outcome{}, err
	}
	b, ok := dir.Get(m.Branch)
	if !ok { // the branch was closed since the signup
		if b, m.RoutedBy, err = dir.Route(branch.Where{City: m.Address.City, Province: m.Address.Province, PostalCode: m.Address.PostalCode}); err != nil {
			return Outcome{}, err
		}
		m.Branch = b.Slug
	}
	m.Status, m.ConfirmedAt, m.News = member.StatusActive, &now, m.NewsRequested
	c := member.Confirmation{TokenHash: tok.Hash, Member: m, Emails: append([]outbox.Email{member.Welcome(m, b)}, member.Notices(m, b, time.Time{})...)}
	if m.NewsRequested {
		rec := consent.Grant(m.Email, m.Language, "membership_confirmation", m.ID, from, now)
		c.Consent = &rec
	}
	switch err := s.Store.Confirm(ctx, c); {
	case errors.Is(err, member.ErrLinkUsed):
		out.Result = LinkUsed
	case errors.Is(err, member.ErrAlreadyActive):
		out.Result = AlreadyActive
	case err != nil:
		return Outcome{}, fmt.Errorf("confirm member: %w", err)
	default:
		out.Result, out.BranchName = Confirmed, b.Name(out.Lang)
	}
	return out, nil
}
