package signup

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// fakeStore is a member.Store of function fields, for the races the emulator cannot stage.
type fakeStore struct {
	MemberFn       func(email string) (member.Member, error)
	CreateMemberFn func(m member.Member, e outbox.Email, c *consent.Record) error
	RenotifyFn     func(m member.Member, prev time.Time, e outbox.Email) error
	ReapplyFn      func(m member.Member, prev time.Time, a member.Application, e outbox.Email, c *consent.Record) error
	ApplicationsFn func(email string) ([]member.Application, error)
	ApplicationFn  func(email, id string) (member.Application, error)
	TokenFn        func(hash string) (token.Token, error)
	ConfirmFn      func(c member.Confirmation) error
	NewsFn         func(email string) (consent.State, bool, error) // none if nil
}

var _ member.Store = (*fakeStore)(nil)

func (f *fakeStore) Branches(context.Context) ([]branch.Branch, error) {
	return []branch.Branch{
		{Slug: "montreal", NameEN: "Montreal branch", NameFR: "Section de Montréal", City: "Montréal", Province: "QC",
			Prefixes: []string{"H"}, Organizers: []string{"mtl@example.org", "mtl2@example.org"}, Language: "fr"},
		{Slug: "at-large", NameEN: "At large", NameFR: "Hors section", AtLarge: true, Organizers: []string{"all@example.org"}, Language: "en"},
	}, nil
}
func (f *fakeStore) Member(_ context.Context, email string) (member.Member, error) {
	return f.MemberFn(email)
}
func (f *fakeStore) CreateMember(_ context.Context, m member.Member, e outbox.Email, c *consent.Record) error {
	return f.CreateMemberFn(m, e, c)
}
func (f *fakeStore) Renotify(_ context.Context, m member.Member, prev time.Time, e outbox.Email) error {
	return f.RenotifyFn(m, prev, e)
}
func (f *fakeStore) Reapply(_ context.Context, m member.Member, prev time.Time, a member.Application, e outbox.Email, c *consent.Record) error {
	return f.ReapplyFn(m, prev, a, e, c)
}
func (f *fakeStore) Applications(_ context.Context, email string) ([]member.Application, error) {
	return f.ApplicationsFn(email)
}
func (f *fakeStore) Application(_ context.Context, email, id string) (member.Application, error) {
	return f.ApplicationFn(email, id)
}
func (f *fakeStore) Token(_ context.Context, hash string) (token.Token, error) {
	return f.TokenFn(hash)
}
func (f *fakeStore) Confirm(_ context.Context, c member.Confirmation) error { return f.ConfirmFn(c) }
func (f *fakeStore) News(_ context.Context, email string) (consent.State, bool, error) {
	if f.NewsFn == nil {
		return consent.State{}, false, nil
	}
	return f.NewsFn(email)
}

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func valid() Request {
	return Request{FirstName: "Ana", LastName: "Roy", Email: "Ana@Example.org",
		Address: &address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4"}, ConsentUpdates: true}
}

func TestSignup(t *testing.T) {
	t.Run("new address: pending member, confirmation with a link, consent record", func(t *testing.T) {
		var got member.Member
		var mail outbox.Email
		var rec *consent.Record
		s := Service{Now: func() time.Time { return now }, Store: &fakeStore{
			MemberFn: func(string) (member.Member, error) { return member.Member{}, member.ErrNotFound },
			CreateMemberFn: func(m member.Member, e outbox.Email, c *consent.Record) error {
				got, mail, rec = m, e, c
				return nil
			},
		}}
		if err := s.Signup(context.Background(), valid(), i18n.FR, consent.Origin{IP: "203.0.113.7"}); err != nil {
			t.Fatal(err)
		}
		if got.Email != "ana@example.org" || got.Status != member.StatusPending || got.Branch != "montreal" || got.Notices != 1 || !got.NewsRequested || got.News {
			t.Fatalf("member %+v", got)
		}
		if !strings.HasPrefix(got.Application, "app_") || got.FirstName != "Ana" {
			t.Fatalf("member %+v holds no application", got)
		}
		if mail.Template != outbox.MemberConfirm || mail.To != "ana@example.org" || len(mail.Links) != 1 || mail.Links[0].Ref != got.Application ||
			mail.Links[0].Purpose != token.Confirm || mail.Links[0].TTLSecs != 7*24*3600 || mail.Data["branch_name"] != "Section de Montréal" {
			t.Fatalf("email %+v", mail)
		}
		if rec == nil || rec.Source != "membership_form" || rec.IP != "203.0.113.7" || rec.Wording != consent.Wording["fr"] {
			t.Fatalf("consent %+v", rec)
		}
	})
	t.Run("created meanwhile by another post with other details: this post's application is stored too", func(t *testing.T) {
		other := member.Member{ID: "mem_1", Email: "ana@example.org", FirstName: "Mallory", Branch: "at-large", Status: member.StatusPending,
			Language: "en", CreatedAt: now, NoticeSentAt: now, Notices: 1, Application: "app_other"}
		created := false
		var got member.Member
		var app member.Application
		var mail outbox.Email
		s := Service{Now: func() time.Time { return now }, Store: &fakeStore{
			MemberFn: func(string) (member.Member, error) {
				if !created {
					return member.Member{}, member.ErrNotFound
				}
				return other, nil
			},
			CreateMemberFn: func(member.Member, outbox.Email, *consent.Record) error { created = true; return member.ErrExists },
			ApplicationsFn: func(string) ([]member.Application, error) {
				return []member.Application{member.ApplicationOf(other, other.Application)}, nil
			},
			ReapplyFn: func(m member.Member, prev time.Time, a member.Application, e outbox.Email, _ *consent.Record) error {
				got, app, mail = m, a, e
				return nil
			},
		}}
		if err := s.Signup(context.Background(), valid(), i18n.EN, consent.Origin{}); err != nil {
			t.Fatal(err)
		}
		// Within the resend pace, yet a new application: its own link goes at once.
		if app.FirstName != "Ana" || app.Branch != "montreal" || app.ID == other.Application || got.Application != app.ID ||
			got.FirstName != "Ana" || got.Notices != 2 || got.ID != "mem_1" || len(mail.Links) != 1 || mail.Links[0].Ref != app.ID {
			t.Fatalf("reapplied %+v %+v %+v", got, app, mail)
		}
	})
	t.Run("renotified meanwhile by another request: the same answer", func(t *testing.T) {
		calls := 0
		s := Service{Now: func() time.Time { return now }, Store: &fakeStore{
			MemberFn: func(string) (member.Member, error) {
				return member.Member{ID: "mem_1", Email: "ana@example.org", Branch: "montreal", Status: member.StatusActive, Language: "en",
					NoticeSentAt: now.Add(-time.Hour), Notices: 1}, nil
			},
			RenotifyFn: func(m member.Member, prev time.Time, e outbox.Email) error {
				calls++
				if e.Template != outbox.MemberAlready || m.Notices != 2 || !prev.Equal(now.Add(-time.Hour)) || e.ID != "member_already_mem_1_2" {
					t.Errorf("renotify %+v %v %+v", m, prev, e)
				}
				return member.ErrConflict
			},
		}}
		if err := s.Signup(context.Background(), valid(), i18n.EN, consent.Origin{}); err != nil || calls != 1 {
			t.Fatal(err, calls)
		}
	})
	t.Run("a store failure is an error", func(t *testing.T) {
		s := Service{Now: func() time.Time { return now }, Store: &fakeStore{
			MemberFn: func(string) (member.Member, error) { return member.Member{}, errors.New("throttled") },
		}}
		if err := s.Signup(context.Background(), valid(), i18n.EN, consent.Origin{}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestConfirmRaces(t *testing.T) {
	raw, tok := token.Mint(token.Confirm, "ana@example.org", "fr", now, token.ConfirmTTL)
	tok.Ref = "app_1"
	pending := member.Member{ID: "mem_1", Email: "ana@example.org", FirstName: "Ana", Branch: "closed-branch", Status: member.StatusPending,
		Language: "fr", NewsRequested: true, Address: address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4"}, Application: "app_1"}
	for _, tt := range []struct {
		storeErr error
		want     string
	}{{nil, Confirmed}, {member.ErrLinkUsed, LinkUsed}, {member.ErrAlreadyActive, AlreadyActive}, {member.ErrNotFound, LinkInvalid}} {
		var c member.Confirmation
		s := Service{Now: func() time.Time { return now.Add(time.Hour) }, Store: &fakeStore{
			TokenFn:  func(string) (token.Token, error) { return tok, nil },
			MemberFn: func(string) (member.Member, error) { return pending, nil },
			ApplicationFn: func(_, id string) (member.Application, error) {
				return member.ApplicationOf(pending, id), nil
			},
			ConfirmFn: func(got member.Confirmation) error { c = got; return tt.storeErr },
		}}
		out, err := s.Confirm(context.Background(), raw, consent.Origin{})
		if err != nil || out.Result != tt.want || out.Lang != i18n.FR {
			t.Fatalf("store %v: %+v %v", tt.storeErr, out, err)
		}
		// The member's branch was closed since: routed again, by postal code.
		m := c.Member
		if m.Branch != "montreal" || m.Status != member.StatusActive || !m.News || c.TokenHash != tok.Hash || c.Application != "app_1" ||
			m.Application != "" || c.Consent == nil ||
			c.Consent.Source != "membership_confirmation" || len(c.Emails) != 3 || c.Emails[0].Template != outbox.MemberWelcome ||
			!c.Emails[0].News || c.Emails[1].To != "mtl@example.org" || c.Emails[2].To != "mtl2@example.org" {
			t.Fatalf("confirmation %+v", c)
		}
	}
}
