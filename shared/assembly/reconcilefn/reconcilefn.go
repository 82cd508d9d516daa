// Package reconcilefn builds the reconcile function the daily schedule runs, and the
// reconciliation `staff reconcile` runs: Stripe's events and charges of a window,
// applied and compared through the webhook's own path (webhook.Handler.Apply).
package reconcilefn

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/reconcile"
	"github.com/solidarity/solidarity/shared/webhook"
)

// Function is the daily reconciliation: the last reconcile.DefaultWindow, on its clock.
type Function struct {
	Reconciler reconcile.Reconciler
	Now        func() time.Time
}

// New is the reconciliation: Stripe's secret key (STRIPE_SECRET_KEY, else the SSM
// parameter STRIPE_SECRET_KEY_PARAM names) at STRIPE_API_URL, the table, and the
// webhook's handler in the deployment's mode (STRIPE_MODE), without its signing secret:
// events read from Stripe's API with the key need none.
func New(ctx context.Context, e assembly.Env) (Function, error) {
	key, err := secret.StripeKey(ctx, e)
	if err != nil {
		return Function{}, err
	}
	live := e.Config.StripeMode != config.StripeTest // as the webhook's
	if err := reconcile.CheckKeyMode(key, live); err != nil {
		return Function{}, err
	}
	store := e.Store(e.DB())
	h := webhook.Applier(store, store, live)
	return Function{
		Reconciler: reconcile.Reconciler{Stripe: reconcile.NewStripe(e.Config.StripeAPIURL, key), Ledger: store, Apply: h, Live: live},
		Now:        e.Clock(),
	}, nil
}

// Run reconciles the last reconcile.DefaultWindow. Differences that remain are not the
// invocation's failure (they are logged with the alarm, and a retried invocation would
// only log them again); events that could not be applied are, so the schedule's retry
// applies them.
func (f Function) Run(ctx context.Context) (string, error) {
	rep, err := f.Reconciler.Run(ctx, reconcile.Last(f.Now(), reconcile.DefaultWindow), reconcile.Options{})
	if errors.Is(err, reconcile.ErrDifferences) {
		slog.WarnContext(ctx, "reconcile: differences remain", "differences", len(rep.Differences))
		return rep.Summary(), nil
	}
	return rep.Summary(), err
}
