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
	// The hashing key, read once: the rate limits' and the "check your inbox" page's
	// notices', each under a key of its own derived from it.
	key, err := forms.HashKey(ctx, e)
	if err != nil {
		return signup.Handler{}, err
	}
	g, err := forms.Guard(ctx, forms.WithHashKey(e, key), db, "members")
	if err != nil {
		return signup.Handler{}, err
	}
	return signup.Handler{Service: signup.Service{Store: e.Store(db), Now: e.Clock()}, Guard: g,
		Notices: signup.NewNotices(key)}, nil
}
