// Package unsubscribefn builds the unsubscribe function: GET and POST /unsubscribe, the
// link and the one-click button of every news email.
package unsubscribefn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/consent"
)

// New is the unsubscribe function's handler.
func New(_ context.Context, e assembly.Env) (consent.Unsubscribe, error) {
	return consent.Unsubscribe{Store: e.Store(e.DB()), Now: e.Clock()}, nil
}
