package portal

import (
	"context"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

type fakeStore struct {
	tok   token.Token
	spent int
}

func (f *fakeStore) RecurringCustomers(context.Context, string) ([]string, error) { return nil, nil }
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
