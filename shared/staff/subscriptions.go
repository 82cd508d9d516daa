package staff

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/report"
	"github.com/solidarity/solidarity/shared/subscription"
)

// MailingColumns are the columns of the printer's list.
var MailingColumns = []string{"name", "line1", "line2", "city", "province_state", "postal_code", "country", "plan", "paid_through", "email"}

// mailingList writes the printer's list for an issue date: one row per mailed
// subscription whose paid period covers the date, with its shipping address.
func mailingList(ctx context.Context, store Store, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("subscriptions mailing")
	date := fs.String("date", now.Format(time.DateOnly), "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	day, err := time.Parse(time.DateOnly, *date)
	if err != nil {
		return fmt.Errorf("%w: -date must look like 2026-12-01", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	plans := plan.Default()
	var rows [][]string
	missing := 0
	err = store.Subscriptions(ctx, func(s subscription.Subscription) error {
		if !plans[s.Plan].Mailed || !s.ActiveOn(day) {
			return nil
		}
		if s.Shipping == nil {
			missing++
			return nil
		}
		a := s.Shipping
		rows = append(rows, []string{a.Name, a.Line1, a.Line2, a.City, a.State, a.PostalCode, a.Country, s.Plan,
			s.PaidThrough.Format(time.DateOnly), s.Email})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][6]+rows[i][5]+rows[i][0] < rows[j][6]+rows[j][5]+rows[j][0] })
	if err := writeCSV(out, MailingColumns, rows); err != nil {
		return err
	}
	if missing > 0 {
		return fmt.Errorf("%d active subscriptions have no shipping address yet (see: staff subscriptions lapsing)", missing)
	}
	return nil
}

// LapsingColumns are the columns of the lapsing list.
var LapsingColumns = []string{"email", "first_name", "last_name", "plan", "status", "paid_through", "reason"}

// lapsing writes the subscriptions whose paid period ends within the next days and that
// Stripe will not renew: cancelled at period end, past due, unpaid or ended.
func lapsing(ctx context.Context, store Store, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("subscriptions lapsing")
	days := fs.Int("days", 30, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *days < 1 {
		return fmt.Errorf("%w: -days must be a positive number", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	until := now.AddDate(0, 0, *days)
	var rows [][]string
	err := store.Subscriptions(ctx, func(s subscription.Subscription) error {
		if s.PaidThrough.IsZero() || s.PaidThrough.Before(now) || s.PaidThrough.After(until) || s.Renews() {
			return nil
		}
		reason := s.Status
		if s.Status == subscription.StatusActive && s.CancelAtPeriodEnd {
			reason = "cancel_at_period_end"
		}
		rows = append(rows, []string{s.Email, s.FirstName, s.LastName, s.Plan, s.Status, s.PaidThrough.Format(time.DateOnly), reason})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][5]+rows[i][0] < rows[j][5]+rows[j][0] })
	return writeCSV(out, LapsingColumns, rows)
}

// writeCSV writes a header and rows, every cell formula-safe.
func writeCSV(out io.Writer, header []string, rows [][]string) error {
	w := csv.NewWriter(out)
	_ = w.Write(header)
	for _, row := range rows {
		for i := range row {
			row[i] = report.SafeCell(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	return w.Error()
}
