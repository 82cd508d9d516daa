package signup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/member"
)

// Service signs members up and confirms them.
type Service struct {
	Store member.Store
	Now   func() time.Time
}

// Signup handles a valid-or-not request: it checks req (Request.Check), then joins
// (Join). Validation problems come back as an *httpapi.Error.
func (s Service) Signup(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) error {
	if err := req.Check().Err(); err != nil {
		return err
	}
	return s.Join(ctx, req, lang, from)
}

// Join handles a request that Check accepted. Whatever the address's state, the caller
// answers the same: a new address gets a pending member and a confirmation link; a
// pending one a new link; an active one a "you are already a member" note — the last two
// at most as often as NextNotice allows. Nothing of an existing member is changed.
func (s Service) Join(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) error {
	email := contact.CanonicalEmail(req.Email)
	now := s.Now().UTC()
	existing, err := s.Store.Member(ctx, email)
	switch {
	case errors.Is(err, member.ErrNotFound):
		err = s.create(ctx, req, email, lang, from, now)
		if !errors.Is(err, member.ErrExists) {
			return err
		}
		// Another request created it a moment ago; it sent the email.
		return nil
	case err != nil:
		return fmt.Errorf("load member: %w", err)
	case now.Before(existing.NextNotice()):
		return nil // asked again too soon: the last email is still fresh
	}
	return s.renotify(ctx, existing, now)
}

func (s Service) directory(ctx context.Context) (*branch.Directory, error) {
	bs, err := s.Store.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("load branches: %w", err)
	}
	return branch.NewDirectory(bs), nil
}

func (s Service) create(ctx context.Context, req Request, email string, lang i18n.Lang, from consent.Origin, now time.Time) error {
	dir, err := s.directory(ctx)
	if err != nil {
		return err
	}
	a := *req.Address
	b, how, err := dir.Route(branch.Where{Choice: req.Branch, City: a.City, Province: a.Province, PostalCode: a.PostalCode})
	if err != nil {
		return err
	}
	m := member.Member{
		ID: ids.New("mem"), Email: email, FirstName: req.FirstName, LastName: req.LastName,
		Phone: req.Phone, Address: a, Branch: b.Slug, RoutedBy: how, Language: string(lang),
		Message: req.Message, NewsRequested: req.ConsentUpdates, Status: member.StatusPending,
		CreatedAt: now, NoticeSentAt: now, Notices: 1,
	}
	var rec *consent.Record
	if req.ConsentUpdates {
		r := consent.Grant(email, m.Language, "membership_form", m.ID, from, now)
		rec = &r
	}
	return s.Store.CreateMember(ctx, m, member.ConfirmEmail(m, b), rec)
}

func (s Service) renotify(ctx context.Context, m member.Member, now time.Time) error {
	dir, err := s.directory(ctx)
	if err != nil {
		return err
	}
	b, ok := dir.Get(m.Branch)
	if !ok {
		b, _, _ = dir.Route(branch.Where{City: m.Address.City, Province: m.Address.Province, PostalCode: m.Address.PostalCode})
	}
	prev := m.NoticeSentAt
	m.NoticeSentAt, m.Notices = now, m.Notices+1
	e := member.ConfirmEmail(m, b)
	if m.Status == member.StatusActive {
		e = member.Already(m, b)
	}
	err = s.Store.Renotify(ctx, m, prev, e)
	if errors.Is(err, member.ErrConflict) {
		return nil // another signup of the same address just sent one
	}
	return err
}
