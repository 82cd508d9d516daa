package portal

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

type fakeStore struct {
	tok   token.Token
	spent int
}

func (f *fakeStore) RecurringCustomer(context.Context, string) (string, error) { return "", nil }
func (f *fakeStore) RequestPortal(context.Context, string, outbox.Email) (bool, error) {
	return false, nil
}
func (f *fakeStore) Token(_ context.Context, hash string) (token.Token, error) {
	if hash != f.tok.Hash {
		return token.Token{}, token.ErrNotFound
	}
	return f.tok, nil
}
func (f *fakeStore) SpendToken(context.Context, string) error { f.spent++; return nil }

type fakeSessions struct {
	params []*stripe.BillingPortalSessionParams
	err    error
}

func (f *fakeSessions) New(p *stripe.BillingPortalSessionParams) (*stripe.BillingPortalSession, error) {
	f.params = append(f.params, p)
	return &stripe.BillingPortalSession{URL: "https://billing.stripe.com/p/session/test"}, f.err
}

func TestFollow(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	raw, tok := token.Mint(token.Portal, "cus_1", "fr", now, 24*time.Hour)
	get := func(h Handler) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.follow(w, httptest.NewRequest(http.MethodGet, "/portal?token="+raw, nil))
		return w
	}
	t.Run("a good link opens a session for its customer", func(t *testing.T) {
		store, sessions := &fakeStore{tok: tok}, &fakeSessions{}
		w := get(Handler{Store: store, Sessions: sessions, PublicURL: "https://api.example.org", Now: func() time.Time { return now }})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "https://billing.stripe.com/p/session/test" || store.spent != 1 {
			t.Fatalf("%d %v spent %d", w.Code, w.Header(), store.spent)
		}
		p := sessions.params[0]
		if *p.Customer != "cus_1" || *p.Locale != "fr-CA" || *p.IdempotencyKey != "portal-"+tok.Hash[:32] ||
			*p.ReturnURL != "https://api.example.org/subscriptions/thanks?lang=fr" {
			t.Fatalf("params %+v", p)
		}
	})
	t.Run("an expired link opens nothing", func(t *testing.T) {
		store, sessions := &fakeStore{tok: tok}, &fakeSessions{}
		w := get(Handler{Store: store, Sessions: sessions, Now: func() time.Time { return now.Add(25 * time.Hour) }})
		if w.Code != http.StatusGone || len(sessions.params) != 0 || store.spent != 0 {
			t.Fatalf("%d sessions %d spent %d", w.Code, len(sessions.params), store.spent)
		}
	})
	t.Run("another purpose's link opens nothing", func(t *testing.T) {
		other := tok
		other.Purpose = token.Unsubscribe
		sessions := &fakeSessions{}
		if w := get(Handler{Store: &fakeStore{tok: other}, Sessions: sessions, Now: func() time.Time { return now }}); w.Code != http.StatusGone || len(sessions.params) != 0 {
			t.Fatalf("%d", w.Code)
		}
	})
	t.Run("a Stripe failure keeps the link for another try", func(t *testing.T) {
		store := &fakeStore{tok: tok}
		w := get(Handler{Store: store, Sessions: &fakeSessions{err: errors.New("stripe down")}, Now: func() time.Time { return now }})
		if w.Code != http.StatusInternalServerError || store.spent != 0 {
			t.Fatalf("%d spent %d", w.Code, store.spent)
		}
	})
}
