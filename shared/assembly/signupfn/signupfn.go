// Package signupfn builds the signup function: POST /members, the confirmation link and
// the "check your inbox" page.
package signupfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/signup"
)

// New is the signup function's handler.
func New(ctx context.Context, e assembly.Env) (signup.Handler, error) {
	db := e.DB()
	g, err := forms.Guard(ctx, e, db, "members")
	if err != nil {
		return signup.Handler{}, err
	}
	// The "check your inbox" page's notices, under a key of their own derived from it.
	key, err := forms.HashKey(ctx, e)
	if err != nil {
		return signup.Handler{}, err
	}
	return signup.Handler{Service: signup.Service{Store: e.Store(db), Now: e.Clock()}, Guard: g,
		Notices: signup.NewNotices(key)}, nil
}
