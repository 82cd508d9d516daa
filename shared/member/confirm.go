package member

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// Outcomes of following a confirmation link, each its own page.
const (
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

// Confirm follows a confirmation link: an unknown, used or expired one changes nothing;
// a good one makes the member active and owes the welcome email and a notice to each of
// the branch's organizers, all written at once.
func (s Service) Confirm(ctx context.Context, raw string, from consent.Origin) (Outcome, error) {
	now := s.Now().UTC()
	if !token.WellFormed(raw) {
		return Outcome{Result: LinkInvalid}, nil
	}
	tok, err := s.Store.Token(ctx, token.Hash(raw))
	if errors.Is(err, token.ErrNotFound) || (err == nil && tok.Purpose != token.Confirm) {
		return Outcome{Result: LinkInvalid}, nil
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("load token: %w", err)
	}
	out := Outcome{Lang: i18n.Negotiate(tok.Language, "")}
	m, err := s.Store.Member(ctx, tok.Subject)
	switch {
	case errors.Is(err, ErrNotFound):
		out.Result = LinkInvalid // the member was erased since
		return out, nil
	case err != nil:
		return Outcome{}, fmt.Errorf("load member: %w", err)
	case tok.UsedAt != nil:
		out.Result = LinkUsed
		return out, nil
	case m.Status == StatusActive: // confirmed by another of the links sent
		out.Result = AlreadyActive
		return out, nil
	case tok.Expired(now):
		out.Result = LinkExpired
		return out, nil
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
	m.Status, m.ConfirmedAt, m.News = StatusActive, &now, m.NewsRequested
	c := Confirmation{TokenHash: tok.Hash, Member: m, Emails: append([]outbox.Email{welcome(m, b)}, Notices(m, b, time.Time{})...)}
	if m.NewsRequested {
		rec := consent.Grant(m.Email, m.Language, "membership_confirmation", m.ID, from, now)
		c.Consent = &rec
	}
	switch err := s.Store.Confirm(ctx, c); {
	case errors.Is(err, ErrLinkUsed):
		out.Result = LinkUsed
	case errors.Is(err, ErrAlreadyActive):
		out.Result = AlreadyActive
	case err != nil:
		return Outcome{}, fmt.Errorf("confirm member: %w", err)
	default:
		out.Result, out.BranchName = Confirmed, b.Name(out.Lang)
	}
	return out, nil
}

func welcome(m Member, b branch.Branch) outbox.Email {
	return outbox.Email{
		ID: outbox.MemberWelcome + "_" + m.ID, Template: outbox.MemberWelcome, Language: m.Language, To: m.Email,
		News: m.News, Data: map[string]string{
			"first_name": m.FirstName, "branch_name": b.Name(lang(m)), "branch_contact": strings.Join(b.Organizers, ", "),
		},
	}
}

// Notices are the emails telling each of b's organizers, in the branch's language, about
// m: a newly confirmed member, or one that staff transferred to b at movedAt (not zero).
func Notices(m Member, b branch.Branch, movedAt time.Time) []outbox.Email {
	bl, _ := i18n.Parse(b.Language)
	kind := "new"
	if !movedAt.IsZero() {
		kind = "moved" + strconv.FormatInt(movedAt.Unix(), 10)
	}
	confirmed := ""
	if m.ConfirmedAt != nil {
		confirmed = m.ConfirmedAt.UTC().Format(time.RFC3339)
	}
	data := map[string]string{
		"member_name": m.FirstName + " " + m.LastName, "email": m.Email, "phone": m.Phone,
		"city": m.Address.City, "province": m.Address.Province, "postal_code": m.Address.PostalCode,
		"member_language": m.Language, "confirmed_at": confirmed, "routed_by": m.RoutedBy,
		"news": strconv.FormatBool(m.News), "message": m.Message, "branch_name": b.Name(bl),
	}
	if !movedAt.IsZero() {
		data["moved"] = "true"
	}
	out := make([]outbox.Email, 0, len(b.Organizers))
	for i, to := range b.Organizers {
		out = append(out, outbox.Email{
			ID:       fmt.Sprintf("%s_%s_%s_%s_%d", outbox.BranchNotice, kind, m.ID, b.Slug, i),
			Template: outbox.BranchNotice, Language: string(bl), To: to, Data: data,
		})
	}
	return out
}
