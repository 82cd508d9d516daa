package report

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
)

// weekly counts sign-ups (members, by when they signed up) per ISO week, in
// Options.Location, within Options.From and To. Its rows run from the first week to the
// last with a sign-up (or the weeks of From and To, when given), weeks without any
// counted as zero, so a chart of them has no gaps.
type weekly struct {
	out    *writer // nil when an html page draws it
	o      Options
	counts map[string]int // by the week's Monday, 2006-01-02
}

// weekCount is one ISO week's sign-ups.
type weekCount struct {
	Monday  time.Time // the week's first day, a date at midnight UTC
	Week    string    // ISO 8601: 2026-W01
	Members int
}

var weekColumns = []string{"week", "starts_on", "new_members"}

// monday is the first day (Monday) of the ISO week of t's date in loc, as a date at
// midnight UTC (a civil date: no daylight-saving hour to trip over).
func monday(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

func isoWeek(monday time.Time) string {
	y, w := monday.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func (wk *weekly) Add(it Item) error {
	if typeOf(it) != dynamo.TypeMember {
		return nil
	}
	m, err := decode[member.Member](it)
	if err != nil {
		return fmt.Errorf("member item: %w", err)
	}
	if m.CreatedAt.IsZero() || !within(m.CreatedAt, wk.o) {
		return nil
	}
	wk.counts[monday(m.CreatedAt, wk.o.location()).Format(time.DateOnly)]++
	return nil
}

// weeks lists every week from the first to the last, zeros included. From and To (a
// half-open range of days) widen it to their weeks.
func (wk *weekly) weeks() []weekCount {
	keys := make([]string, 0, len(wk.counts))
	for k := range wk.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var first, last time.Time
	if len(keys) > 0 {
		first, _ = time.Parse(time.DateOnly, keys[0])
		last, _ = time.Parse(time.DateOnly, keys[len(keys)-1])
	}
	// From and To are the starts of days, in the zone they were read in.
	if !wk.o.From.IsZero() {
		if f := monday(wk.o.From, wk.o.From.Location()); first.IsZero() || f.Before(first) {
			first = f
		}
	}
	if !wk.o.To.IsZero() {
		if l := monday(wk.o.To.Add(-time.Nanosecond), wk.o.To.Location()); last.IsZero() || l.After(last) {
			last = l
		}
	}
	if first.IsZero() || last.IsZero() || last.Before(first) {
		if first.IsZero() {
			first = last
		}
		if first.IsZero() {
			return nil
		}
		last = first
	}
	var out []weekCount
	for d := first; !d.After(last); d = d.AddDate(0, 0, 7) {
		out = append(out, weekCount{Monday: d, Week: isoWeek(d), Members: wk.counts[d.Format(time.DateOnly)]})
	}
	return out
}

func (wk *weekly) Finish() error {
	wk.out.start(weekColumns)
	for _, w := range wk.weeks() {
		if err := wk.out.row([]string{w.Week, w.Monday.Format(time.DateOnly), strconv.Itoa(w.Members)}); err != nil {
			return err
		}
	}
	return wk.out.finish()
}
