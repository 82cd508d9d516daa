package signup

import (
	"context"
	"fmt"
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

// memTable is a member table in memory that keeps the store's conditions (member.Store's
// contract), so that whole sequences of posts and clicks can run without the emulator.
type memTable struct {
	fakeStore
	members map[string]member.Member
	apps    map[string]map[string]member.Application
	tokens  map[string]token.Token
	sent    []outbox.Email
}

func newMemTable() *memTable {
	t := &memTable{members: map[string]member.Member{}, apps: map[string]map[string]member.Application{}, tokens: map[string]token.Token{}}
	t.MemberFn = func(email string) (member.Member, error) {
		m, ok := t.members[email]
		if !ok {
			return m, member.ErrNotFound
		}
		return m, nil
	}
	t.CreateMemberFn = func(m member.Member, e outbox.Email, _ *consent.Record) error {
		if _, ok := t.members[m.Email]; ok {
			return member.ErrExists
		}
		t.members[m.Email] = m
		t.putApp(member.ApplicationOf(m, m.Application))
		t.sent = append(t.sent, e)
		return nil
	}
	t.RenotifyFn = func(m member.Member, prev time.Time, e outbox.Email) error {
		old := t.members[m.Email]
		if !old.NoticeSentAt.Equal(prev) {
			return member.ErrConflict
		}
		old.NoticeSentAt, old.Notices = m.NoticeSentAt, m.Notices
		t.members[m.Email] = old
		t.sent = append(t.sent, e)
		return nil
	}
	t.ReapplyFn = func(m member.Member, prev time.Time, a member.Application, e outbox.Email, _ *consent.Record) error {
		old, ok := t.members[m.Email]
		if !ok || old.Status != member.StatusPending || old.ID != m.ID || !old.NoticeSentAt.Equal(prev) {
			return member.ErrConflict
		}
		t.members[m.Email] = m
		t.putApp(a)
		if e.To != "" { // else held back: stored, nothing sent
			t.sent = append(t.sent, e)
		}
		return nil
	}
	t.ApplicationsFn = func(email string) ([]member.Application, error) {
		var out []member.Application
		for _, a := range t.apps[email] {
			out = append(out, a)
		}
		return out, nil
	}
	t.ApplicationFn = func(email, id string) (member.Application, error) {
		a, ok := t.apps[email][id]
		if !ok {
			return a, member.ErrNotFound
		}
		return a, nil
	}
	t.TokenFn = func(hash string) (token.Token, error) {
		tok, ok := t.tokens[hash]
		if !ok {
			return tok, token.ErrNotFound
		}
		return tok, nil
	}
	t.ConfirmFn = func(c member.Confirmation) error {
		tok := t.tokens[c.TokenHash]
		m := c.Member
		old, ok := t.members[m.Email]
		switch {
		case tok.UsedAt != nil:
			return member.ErrLinkUsed
		case t.apps[m.Email][c.Application].ID == "":
			return member.ErrNotFound
		case !ok || old.Status != member.StatusPending || old.ID != m.ID:
			return member.ErrAlreadyActive
		}
		used := now
		tok.UsedAt = &used
		t.tokens[c.TokenHash] = tok
		t.members[m.Email] = m
		delete(t.apps, m.Email) // the confirmed one, and the others, void now
		t.sent = append(t.sent, c.Emails...)
		return nil
	}
	return t
}

func (t *memTable) putApp(a member.Application) {
	if t.apps[a.Email] == nil {
		t.apps[a.Email] = map[string]member.Application{}
	}
	t.apps[a.Email][a.ID] = a
}

// link mints the confirmation link of a sent email, as the mailer does.
func (t *memTable) link(e outbox.Email) string {
	l := e.Links[0]
	raw, tok := token.Mint(l.Purpose, l.Subject, e.Language, now, time.Duration(l.TTLSecs)*time.Second)
	tok.Ref = l.Ref
	t.tokens[tok.Hash] = tok
	return raw
}

// Branches: the fake's, plus Gatineau.
func (t *memTable) Branches(ctx context.Context) ([]branch.Branch, error) {
	bs, _ := t.fakeStore.Branches(ctx)
	return append(bs, branch.Branch{Slug: "gatineau", NameEN: "Gatineau branch", NameFR: "Section de Gatineau", City: "Gatineau",
		Province: "QC", Prefixes: []string{"J8"}, Organizers: []string{"gatineau@example.org"}, Language: "fr"}), nil
}

// stranger is a post with the victim's address and everything else the stranger's.
func stranger() Request {
	return Request{FirstName: "Mallory", LastName: "Stranger", Email: "ana@example.org", Phone: "+18195550100",
		Address: &address.Address{Line1: "1 rue du Squat", City: "Gatineau", Province: "QC", PostalCode: "J8X 1A1"},
		Branch:  "gatineau", Message: "Call me", ConsentUpdates: false}
}

func TestSquattedAddress(t *testing.T) {
	ctx := context.Background()
	clock := now
	setup := func() (*memTable, Service) {
		clock = now
		tb := newMemTable()
		return tb, Service{Store: tb, Now: func() time.Time { return clock }}
	}
	join := func(t *testing.T, s Service, req Request) {
		t.Helper()
		if err := s.Signup(ctx, req, i18n.EN, consent.Origin{}); err != nil {
			t.Fatal(err)
		}
	}
	confirm := func(t *testing.T, s Service, raw string) Outcome {
		t.Helper()
		out, err := s.Confirm(ctx, raw, consent.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	notified := func(tb *memTable) []string {
		var to []string
		for _, e := range tb.sent {
			if e.Template == outbox.BranchNotice {
				to = append(to, e.To)
			}
		}
		return to
	}

	t.Run("the owner's later post gets its own link at once, which confirms the owner's details only", func(t *testing.T) {
		tb, s := setup()
		join(t, s, stranger())
		clock = now.Add(time.Minute) // well within the resend pace
		join(t, s, valid())
		if len(tb.sent) != 2 {
			t.Fatalf("%d emails, want the stranger's post's and the owner's", len(tb.sent))
		}
		strangers, owners := tb.link(tb.sent[0]), tb.link(tb.sent[1])
		if tb.sent[0].Links[0].Ref == tb.sent[1].Links[0].Ref {
			t.Fatal("both links name the same application")
		}
		// Each link's page names the branch its own post chose.
		if out, _ := s.Check(ctx, strangers); out.Result != Confirmable || out.BranchName != "Gatineau branch" {
			t.Fatalf("the stranger's link shows %+v", out)
		}
		if out, _ := s.Check(ctx, owners); out.Result != Confirmable || out.BranchName != "Montreal branch" {
			t.Fatalf("the owner's link shows %+v", out)
		}
		if out := confirm(t, s, owners); out.Result != Confirmed {
			t.Fatalf("owner's link: %+v", out)
		}
		m := tb.members["ana@example.org"]
		if m.Status != member.StatusActive || m.FirstName != "Ana" || m.LastName != "Roy" || m.Phone != "" || m.Message != "" ||
			m.Branch != "montreal" || m.Address.City != "Montréal" || !m.News || m.Application != "" {
			t.Fatalf("member %+v", m)
		}
		if to := notified(tb); len(to) != 2 || to[0] != "mtl@example.org" || to[1] != "mtl2@example.org" {
			t.Fatalf("organizers told: %v", to)
		}
		// The stranger's link, pressed now, confirms nothing.
		if out := confirm(t, s, strangers); out.Result != AlreadyActive {
			t.Fatalf("stranger's link: %+v", out)
		}
		if m2 := tb.members["ana@example.org"]; m2 != m || len(notified(tb)) != 2 {
			t.Fatalf("the stranger's link changed the member: %+v", m2)
		}
	})

	t.Run("the stranger's link, if pressed first, confirms its own post's details, never the owner's", func(t *testing.T) {
		tb, s := setup()
		join(t, s, stranger())
		join(t, s, valid())
		strangers, owners := tb.link(tb.sent[0]), tb.link(tb.sent[1])
		if out := confirm(t, s, strangers); out.Result != Confirmed || out.BranchName != "Gatineau branch" {
			t.Fatalf("stranger's link: %+v", out)
		}
		if m := tb.members["ana@example.org"]; m.FirstName != "Mallory" || m.Branch != "gatineau" || m.News {
			t.Fatalf("member %+v", m)
		}
		if out := confirm(t, s, owners); out.Result != AlreadyActive {
			t.Fatalf("owner's link after: %+v", out)
		}
		if to := notified(tb); len(to) != 1 || to[0] != "gatineau@example.org" {
			t.Fatalf("organizers told: %v", to)
		}
	})

	t.Run("the same post again waits for the resend pace, then re-sends that application's link", func(t *testing.T) {
		tb, s := setup()
		join(t, s, valid())
		join(t, s, valid())
		if len(tb.sent) != 1 {
			t.Fatalf("%d emails for a repeated post", len(tb.sent))
		}
		clock = now.Add(member.FirstResendAfter)
		join(t, s, valid())
		if len(tb.sent) != 2 || tb.sent[1].Links[0].Ref != tb.sent[0].Links[0].Ref || len(tb.apps["ana@example.org"]) != 1 {
			t.Fatalf("re-sent %+v, %d applications", tb.sent, len(tb.apps["ana@example.org"]))
		}
		if a := tb.apps["ana@example.org"][tb.sent[0].Links[0].Ref]; !a.SentAt.Equal(clock) || !a.SubmittedAt.Equal(now) {
			t.Fatalf("re-sent application %+v", a)
		}
		// Alternating details is no way around the pace: a known application waits.
		join(t, s, stranger())
		join(t, s, valid())
		join(t, s, stranger())
		if len(tb.sent) != 3 {
			t.Fatalf("%d emails, want one more for the one new application", len(tb.sent))
		}
	})

	t.Run("new applications flood no inbox: three links at once, then the pace; every application is kept", func(t *testing.T) {
		tb, s := setup()
		for i := range 50 { // one character of the message varied each time
			req := stranger()
			req.Message = fmt.Sprintf("Call me %d", i)
			join(t, s, req)
			clock = clock.Add(time.Second)
		}
		if len(tb.sent) != member.FreshLinks || len(tb.apps["ana@example.org"]) != 50 {
			t.Fatalf("%d emails, %d applications; want %d emails, 50 kept", len(tb.sent), len(tb.apps["ana@example.org"]), member.FreshLinks)
		}
		// The owner posts now: stored, not sent (the page says "check your inbox" either way).
		join(t, s, valid())
		if len(tb.sent) != member.FreshLinks || len(tb.apps["ana@example.org"]) != 51 {
			t.Fatalf("%d emails, %d applications after the owner's post", len(tb.sent), len(tb.apps["ana@example.org"]))
		}
		m := tb.members["ana@example.org"]
		if m.FirstName != "Mallory" || m.Notices != member.FreshLinks {
			t.Fatalf("a held post changed the pending member: %+v", m)
		}
		// Posting the same form again before the pace allows sends nothing; once it does, its link.
		clock = m.NextNotice().Add(-time.Second)
		join(t, s, valid())
		if len(tb.sent) != member.FreshLinks {
			t.Fatalf("sent before the pace allowed: %d", len(tb.sent))
		}
		clock = m.NextNotice()
		join(t, s, valid())
		if len(tb.sent) != member.FreshLinks+1 || len(tb.apps["ana@example.org"]) != 51 {
			t.Fatalf("%d emails, %d applications after the pace", len(tb.sent), len(tb.apps["ana@example.org"]))
		}
		owners := tb.link(tb.sent[member.FreshLinks])
		if out, _ := s.Check(ctx, owners); out.Result != Confirmable || out.Form.FirstName != "Ana" || out.Form.City != "Montréal" ||
			out.Form.PostalStart != "H2X" || !out.Form.News || !out.Form.SubmittedAt.Equal(now.Add(50*time.Second)) {
			t.Fatalf("the owner's link shows %+v", out)
		}
		// Another new application right after waits for the (doubled) pace again.
		join(t, s, stranger())
		if len(tb.sent) != member.FreshLinks+1 {
			t.Fatalf("%d emails", len(tb.sent))
		}
		if out := confirm(t, s, owners); out.Result != Confirmed || tb.members["ana@example.org"].FirstName != "Ana" {
			t.Fatalf("owner's link: %+v %+v", out, tb.members["ana@example.org"])
		}
	})

	t.Run("a day after, new applications get their links at once again, three at most", func(t *testing.T) {
		tb, s := setup()
		for i := range 5 {
			req := stranger()
			req.Message = fmt.Sprintf("Call me %d", i)
			join(t, s, req)
		}
		clock = now.Add(member.FreshWindow)
		for i := range 5 {
			req := stranger()
			req.Message = fmt.Sprintf("Again %d", i)
			join(t, s, req)
		}
		// 3 at once; a day later the pace (40 min after the third) allows one, and the
		// window is empty again: 3 more at once.
		if len(tb.sent) != 2*member.FreshLinks || len(tb.apps["ana@example.org"]) != 10 {
			t.Fatalf("%d emails, %d applications", len(tb.sent), len(tb.apps["ana@example.org"]))
		}
	})

	t.Run("a stranger's post for an active member changes nothing and tells only the member", func(t *testing.T) {
		tb, s := setup()
		join(t, s, valid())
		confirm(t, s, tb.link(tb.sent[0]))
		before, sent := tb.members["ana@example.org"], len(tb.sent)
		clock = now.Add(time.Hour)
		join(t, s, stranger())
		if m := tb.members["ana@example.org"]; m.FirstName != "Ana" || m.Branch != "montreal" || len(tb.apps["ana@example.org"]) != 0 ||
			m.Notices != before.Notices+1 {
			t.Fatalf("member %+v, %d applications", m, len(tb.apps["ana@example.org"]))
		}
		if len(tb.sent) != sent+1 || tb.sent[sent].Template != outbox.MemberAlready || tb.sent[sent].To != "ana@example.org" ||
			tb.sent[sent].Data["first_name"] != "Ana" || tb.sent[sent].Data["branch_name"] != "Montreal branch" {
			t.Fatalf("sent %+v", tb.sent[sent:])
		}
	})

	t.Run("a link without an application, or whose application is gone, confirms nothing", func(t *testing.T) {
		tb, s := setup()
		join(t, s, valid())
		raw := tb.link(tb.sent[0])
		tok := tb.tokens[token.Hash(raw)]
		tok.Ref = ""
		tb.tokens[tok.Hash] = tok // a link sent before applications were
		if out := confirm(t, s, raw); out.Result != LinkInvalid {
			t.Fatalf("a link without an application: %+v", out)
		}
		raw = tb.link(tb.sent[0])
		delete(tb.apps, "ana@example.org") // erased, or expired
		if out, _ := s.Check(ctx, raw); out.Result != LinkInvalid {
			t.Fatalf("a link whose application is gone: %+v", out)
		}
		if m := tb.members["ana@example.org"]; m.Status != member.StatusPending {
			t.Fatalf("member %+v", m)
		}
	})
}
