// Package unsubscribefn builds the unsubscribe function: GET and POST /unsubscribe, the
// link and the one-click button of every news email, and GET and POST /news/confirm, the
// link that lets a person who opted out have news again (package consent owns both).
package unsubscribefn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/consent"
)

// New is the unsubscribe function's handler.
func New(_ context.Context, e assembly.Env) (consent.Unsubscribe, error) {
	store := e.Store(e.DB())
	return consent.Unsubscribe{Store: store, Now: e.Clock(), Again: store}, nil
}
