package staff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/solidarity/solidarity/shared/reconcile"
)

// reconcileStripe runs `staff reconcile [-days N | -since DATE] [-dry-run]`: Stripe's
// events and charges of the window, applied and compared (package reconcile). It prints
// one line per difference (ids and cents) and the summary; differences that remain are
// an error (exit status 1), and logged with the alarm unless -dry-run.
func reconcileStripe(ctx context.Context, src Sources, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("reconcile")
	days := fs.Int("days", 0, "")
	since := fs.String("since", "", "")
	dryRun := fs.Bool("dry-run", false, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected %q", ErrUsage, fs.Arg(0))
	}
	w, err := reconcileWindow(*days, *since, now)
	if err != nil || checking(ctx) {
		return err
	}
	if src.Reconcile == nil {
		return errors.New("this staff tool cannot reach Stripe")
	}
	rc, err := src.Reconcile(ctx)
	if err != nil {
		return err
	}
	rep, err := rc.Run(ctx, w, reconcile.Options{DryRun: *dryRun})
	rep.Print(out)
	if errors.Is(err, reconcile.ErrDifferences) && !*dryRun {
		return fmt.Errorf("%d differences remain after applying Stripe's events: each is listed above (a run by hand raises no alarm: the daily function's do)", len(rep.Differences))
	}
	if errors.Is(err, reconcile.ErrDifferences) {
		return fmt.Errorf("%d differences (a dry run: run without -dry-run to apply the events first)", len(rep.Differences))
	}
	return err
}

// reconcileWindow is the window of -days or -since (a date, from its midnight UTC) up to
// now: the last reconcile.DefaultWindow when neither is given, never more than Stripe's
// 30 days.
func reconcileWindow(days int, since string, now time.Time) (reconcile.Window, error) {
	maxDays := int(reconcile.Retention / (24 * time.Hour))
	switch {
	case days != 0 && since != "":
		return reconcile.Window{}, fmt.Errorf("%w: give -days or -since, not both", ErrUsage)
	case since != "":
		from, err := time.Parse(time.DateOnly, since)
		if err != nil {
			return reconcile.Window{}, fmt.Errorf("%w: -since must be a date like 2026-11-20", ErrUsage)
		}
		w := reconcile.Window{From: from, To: now}
		if err := w.Check(now); err != nil {
			return reconcile.Window{}, fmt.Errorf("%w: -since %s: %v", ErrUsage, since, err)
		}
		return w, nil
	case days < 0 || days > maxDays:
		return reconcile.Window{}, fmt.Errorf("%w: -days must be 1 to %d (Stripe keeps events %d days)", ErrUsage, maxDays, maxDays)
	case days > 0:
		return reconcile.Last(now, time.Duration(days)*24*time.Hour), nil
	}
	return reconcile.Last(now, reconcile.DefaultWindow), nil
}
