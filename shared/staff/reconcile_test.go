package staff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/reconcile"
)

var reconcileNow = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

func TestReconcileWindow(t *testing.T) {
	for _, tc := range []struct {
		days  int
		since string
		from  time.Time // zero: refused
	}{
		{0, "", reconcileNow.Add(-72 * time.Hour)},
		{1, "", reconcileNow.Add(-24 * time.Hour)},
		{30, "", reconcileNow.Add(-30 * 24 * time.Hour)},
		{31, "", time.Time{}},
		{-1, "", time.Time{}},
		{0, "2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{0, "2026-10-22", time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC)},
		{0, "2026-10-20", time.Time{}}, // more than 30 days ago
		{0, "2026-11-21", time.Time{}}, // after now
		{0, "20/11/2026", time.Time{}},
		{3, "2026-11-01", time.Time{}},
	} {
		w, err := reconcileWindow(tc.days, tc.since, reconcileNow)
		switch {
		case tc.from.IsZero() && (err == nil || !errors.Is(err, ErrUsage)):
			t.Errorf("-days %d -since %q: %v, %v, want a usage error", tc.days, tc.since, w, err)
		case !tc.from.IsZero() && (err != nil || !w.From.Equal(tc.from) || !w.To.Equal(reconcileNow)):
			t.Errorf("-days %d -since %q: %v %v, want from %v", tc.days, tc.since, w, err, tc.from)
		}
	}
}

func FuzzReconcileWindow(f *testing.F) {
	for _, s := range []string{"", "2026-11-01", "2026-02-30", "0000-01-01", "9999-12-31"} {
		f.Add(0, s)
	}
	f.Add(45, "")
	f.Fuzz(func(t *testing.T, days int, since string) {
		w, err := reconcileWindow(days, since, reconcileNow)
		if err != nil {
			return
		}
		if err := w.Check(reconcileNow); err != nil || w.To != reconcileNow {
			t.Fatalf("-days %d -since %q: accepted %v: %v", days, since, w, err)
		}
	})
}

// staff reconcile without Stripe, with a bad flag, or with an unexpected argument.
func TestReconcileUsage(t *testing.T) {
	var out strings.Builder
	for _, args := range [][]string{{"reconcile", "-days", "40"}, {"reconcile", "now"}, {"reconcile", "-frobnicate"}} {
		if err := Run(context.Background(), nil, Sources{Now: func() time.Time { return reconcileNow }}, args, &out); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
	err := Run(context.Background(), nil, Sources{}, []string{"reconcile"}, &out)
	if err == nil || err.Error() != "this staff tool cannot reach Stripe" {
		t.Errorf("without Stripe: %v", err)
	}
	src := Sources{Reconcile: func(context.Context) (reconcile.Reconciler, error) {
		return reconcile.Reconciler{}, errors.New("no key")
	}}
	if err := Run(context.Background(), nil, src, []string{"reconcile", "-dry-run"}, &out); err == nil || err.Error() != "no key" {
		t.Errorf("key unreadable: %v", err)
	}
	if line := UsageLine([]string{"reconcile", "-days", "40"}); !strings.HasPrefix(line, "  staff reconcile [-days") {
		t.Errorf("usage line %q", line)
	}
}
