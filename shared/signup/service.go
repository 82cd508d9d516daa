package signup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
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
	_, err := s.Join(ctx, req, lang, from)
	return err
}

// Join handles a request that Check accepted. Whatever the address's state, the caller
// answers the same. Each post is an application of its own, bound to its own link:
//   - a new address gets a pending member holding the application, and its link;
//   - a pending address with a new application (details no earlier post of it gave) gets
//     the application stored and its own link at once while fewer than member.FreshLinks
//     of its applications had a link sent in the last member.FreshWindow, or once
//     NextNotice allows (the owner of the address may be signing up after a stranger
//     typed it): the older links still confirm only their own posts' details, and the
//     newest is the pending member's. Otherwise the new application is still stored
//     (with its consent record), but its link is held back: the same form posted again
//     once NextNotice allows gets it (the next case), so varying a form floods no inbox;
//   - a pending address posting an application it has already gets that application's
//     link again, at most as often as NextNotice allows (its earlier link confirms the
//     very same details meanwhile);
//   - an active address gets a "you are already a member" note, at most as often as
//     NextNotice allows, and nothing of the member changes.
//
// routed is the slug of the branch the post routes to, whatever the address's state
// (the "check your inbox" page names it): the branch directory is read once for both.
func (s Service) Join(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) (routed string, err error) {
	email := contact.CanonicalEmail(req.Email)
	dir, err := s.directory(ctx)
	if err != nil {
		return "", err
	}
	routed = routedTo(dir, req)
	// A concurrent post for the same address makes a write fail its condition: read again
	// and decide again, so that neither post's application is lost.
	for attempt := 1; ; attempt++ {
		err := s.join(ctx, req, email, lang, from, dir)
		if !errors.Is(err, member.ErrConflict) && !errors.Is(err, member.ErrExists) {
			return routed, err
		}
		if attempt == joinAttempts {
			return routed, fmt.Errorf("join: the address kept changing: %w", err)
		}
	}
}

// joinAttempts bounds the reads and writes of one Join racing other posts of the address.
const joinAttempts = 4

func (s Service) join(ctx context.Context, req Request, email string, lang i18n.Lang, from consent.Origin, dir *branch.Directory) error {
	now := s.Now().UTC()
	existing, err := s.Store.Member(ctx, email)
	switch {
	case errors.Is(err, member.ErrNotFound):
		return s.create(ctx, req, email, lang, from, now, dir)
	case err != nil:
		return fmt.Errorf("load member: %w", err)
	case existing.Status == member.StatusActive:
		if now.Before(existing.NextNotice()) {
			return nil // asked again too soon: the last email is still fresh
		}
		return s.already(ctx, existing, now, dir)
	}
	app, b, err := application(req, email, lang, dir, now)
	if err != nil {
		return err
	}
	apps, err := s.Store.Applications(ctx, email)
	if err != nil {
		return fmt.Errorf("load applications: %w", err)
	}
	var rec *consent.Record
	if i := slices.IndexFunc(apps, app.Same); i >= 0 {
		if now.Before(existing.NextNotice()) {
			return nil // its link went out a moment ago (or is held back), and confirms exactly this
		}
		app.ID, app.SubmittedAt = apps[i].ID, apps[i].SubmittedAt
	} else {
		if req.ConsentUpdates {
			r := consent.Grant(email, app.Language, "membership_form", existing.ID, from, now)
			rec = &r
		}
		if freshLinks(apps, now) >= member.FreshLinks && now.Before(existing.NextNotice()) {
			// Held back: kept, with no link yet and the pending member as it is.
			app.SentAt = time.Time{}
			return s.Store.Reapply(ctx, existing, existing.NoticeSentAt, app, outbox.Email{}, rec)
		}
	}
	prev := existing.NoticeSentAt
	m := existing.With(app)
	m.NoticeSentAt, m.Notices = now, existing.Notices+1
	return s.Store.Reapply(ctx, m, prev, app, member.ConfirmEmail(m, b), rec)
}

// freshLinks counts the applications whose link was sent within member.FreshWindow
// before now.
func freshLinks(apps []member.Application, now time.Time) int {
	n := 0
	for _, a := range apps {
		if !a.SentAt.IsZero() && now.Sub(a.SentAt) < member.FreshWindow {
			n++
		}
	}
	return n
}

func (s Service) directory(ctx context.Context) (*branch.Directory, error) {
	bs, err := s.Store.Branches(ctx)
	if err != nil {
		return nil, fmt.Errorf("load branches: %w", err)
	}
	return branch.NewDirectory(bs), nil
}

// application is what req asks for, routed to its branch, as a new application.
func application(req Request, email string, lang i18n.Lang, dir *branch.Directory, now time.Time) (member.Application, branch.Branch, error) {
	a := *req.Address
	b, how, err := dir.Route(branch.Where{Choice: req.Branch, City: a.City, Province: a.Province, PostalCode: a.PostalCode})
	if err != nil {
		return member.Application{}, b, err
	}
	return member.Application{
		ID: ids.New("app"), Email: email, FirstName: req.FirstName, LastName: req.LastName, Phone: req.Phone,
		Address: a, Branch: b.Slug, RoutedBy: how, Language: string(lang), Message: req.Message,
		NewsRequested: req.ConsentUpdates, SubmittedAt: now, SentAt: now,
	}, b, nil
}

func (s Service) create(ctx context.Context, req Request, email string, lang i18n.Lang, from consent.Origin, now time.Time, dir *branch.Directory) error {
	app, b, err := application(req, email, lang, dir, now)
	if err != nil {
		return err
	}
	m := member.Member{ID: ids.New("mem"), Email: email, Status: member.StatusPending, CreatedAt: now, NoticeSentAt: now, Notices: 1}.With(app)
	var rec *consent.Record
	if req.ConsentUpdates {
		r := consent.Grant(email, m.Language, "membership_form", m.ID, from, now)
		rec = &r
	}
	return s.Store.CreateMember(ctx, m, member.ConfirmEmail(m, b), rec)
}

// already sends an active member the note that they are one; nothing of theirs changes.
func (s Service) already(ctx context.Context, m member.Member, now time.Time, dir *branch.Directory) error {
	b, ok := dir.Get(m.Branch)
	if !ok {
		b, _, _ = dir.Route(branch.Where{City: m.Address.City, Province: m.Address.Province, PostalCode: m.Address.PostalCode})
	}
	prev := m.NoticeSentAt
	m.NoticeSentAt, m.Notices = now, m.Notices+1
	err := s.Store.Renotify(ctx, m, prev, member.Already(m, b))
	if errors.Is(err, member.ErrConflict) {
		return nil // another signup of the same address just sent one
	}
	return err
}
