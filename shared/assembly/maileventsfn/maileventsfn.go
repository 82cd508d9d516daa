// Package maileventsfn builds the mail-events function: SES's bounce and complaint
// notifications, delivered by the stack's SNS topic, become suppressions the mailer
// checks before each send.
package maileventsfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/suppression"
)

// New is the handler. It needs only the table (TABLE_NAME).
func New(_ context.Context, e assembly.Env) (suppression.Handler, error) {
	return suppression.Handler{Store: e.Store(e.DB()), Now: e.Clock()}, nil
}
