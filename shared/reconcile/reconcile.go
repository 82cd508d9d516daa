// Package reconcile holds the reconciliation of the ledger with Stripe's own record:
// the events of the types the webhook handles over a window, applied when the ledger has
// not seen them (through the webhook's one path, webhook.Handler.Apply), then the
// charges and disputes of the window compared with the payment records. A difference
// that remains is logged with the alarm (AlarmDifference). Run twice, the second run
// applies nothing and changes nothing.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/webhook"
)

// AlarmDifference is the "alarm" of the log line of each difference that remains after
// the events were applied: the metric filter { $.alarm = "reconcile_difference" }.
const AlarmDifference = "reconcile_difference"

// DifferenceMessage is the message of those log lines.
const DifferenceMessage = "ledger differs from stripe"

// Retention is how far back Stripe lists events: a window reaches no further.
const Retention = 30 * 24 * time.Hour

// DefaultWindow is the window of a run that names none: the last three days, so a daily
// run reads each day three times.
const DefaultWindow = 3 * 24 * time.Hour

// Window is the time over which Stripe's events and charges are read: From to To, both
// included, to the second.
type Window struct{ From, To time.Time }

// Last is the window of the last d before now.
func Last(now time.Time, d time.Duration) Window { return Window{From: now.Add(-d), To: now} }

// Check refuses a window Stripe cannot serve: empty, reversed, or older than Retention
// before now.
func (w Window) Check(now time.Time) error {
	switch {
	case w.From.IsZero() || w.To.IsZero() || !w.From.Before(w.To):
		return errors.New("the window must start before it ends")
	case w.From.Before(now.Add(-Retention - time.Minute)):
		return fmt.Errorf("Stripe keeps events for %d days: the window must start after %s",
			int(Retention.Hours()/24), now.Add(-Retention).UTC().Format(time.DateOnly))
	}
	return nil
}

// Ledger is what the reconciliation reads of the table (*dynamo.Store).
type Ledger interface {
	EventSeen(ctx context.Context, id string) (bool, error)
	Payment(ctx context.Context, key string) (dynamo.PaymentRecord, bool, error)
	// RecordExists reports whether the donation or plan (kind, as our metadata names
	// it) is this deployment's.
	RecordExists(ctx context.Context, kind, id string) (bool, error)
}

// Applier applies one event as the webhook does (webhook.Handler).
type Applier interface {
	Apply(ctx context.Context, ev stripe.Event) error
}

// Source is Stripe's record over a window (Stripe, through stripe-go's iterators).
type Source interface {
	// Events calls fn with each event of the types, created in w, newest first.
	Events(ctx context.Context, types []string, w Window, fn func(*stripe.Event) error) error
	// Charges calls fn with each charge created in w.
	Charges(ctx context.Context, w Window, fn func(*stripe.Charge) error) error
	// Disputes calls fn with each dispute created in w, or, with charge set, with each
	// dispute of that charge whenever created.
	Disputes(ctx context.Context, w Window, charge string, fn func(*stripe.Dispute) error) error
}

// Reconciler reconciles the ledger with Stripe.
type Reconciler struct {
	Stripe Source
	Ledger Ledger
	Apply  Applier
	// Types are the event types read; nil is webhook.HandledEvents().
	Types []string
	// Live is the deployment's Stripe mode: charges of the other mode are not ours.
	Live bool
}

// Options change what a run does.
type Options struct {
	// DryRun applies nothing: it counts the events that would be applied and compares the
	// charges with the ledger as it is, without the alarm.
	DryRun bool
}

// Difference kinds.
const (
	DiffAmount         = "amount"          // the charge's amount or currency is not the payment's
	DiffRefunded       = "refunded"        // Stripe's refunded total, as counted, is not the payment's
	DiffDisputed       = "disputed"        // what the charge's disputes hold, as counted, is not the payment's
	DiffMissingPayment = "missing_payment" // a charge of ours with no payment record
	DiffUnknownPayment = "unknown_payment" // an event whose payment is still not recorded
	DiffMalformed      = "malformed_event" // an event the webhook cannot read
	DiffAPIVersion     = "api_version"     // an event rendered in another API version than the code reads: not applied
)

// Settle is how old a charge must be at the window's end to be compared: Stripe may
// create a charge's events a moment after the charge, so a newer one is left to the next
// run rather than reported missing.
const Settle = 15 * time.Minute

// Difference is one way the ledger differs from Stripe: ids and cents only.
type Difference struct {
	Kind       string
	PaymentKey string // the payment intent, when known
	ChargeID   string
	EventID    string
	Stripe     int64 // cents as Stripe says (counted in our currency, except for amount)
	Ledger     int64 // cents as the ledger says
}

func (d Difference) String() string {
	var b strings.Builder
	b.WriteString("difference " + d.Kind)
	for _, f := range []struct{ name, v string }{{"event", d.EventID}, {"payment", d.PaymentKey}, {"charge", d.ChargeID}} {
		if f.v != "" {
			b.WriteString(" " + f.name + " " + f.v)
		}
	}
	switch d.Kind {
	case DiffAmount, DiffRefunded, DiffDisputed:
		fmt.Fprintf(&b, ": stripe %d ledger %d", d.Stripe, d.Ledger)
	case DiffMissingPayment:
		fmt.Fprintf(&b, ": stripe %d, no payment recorded", d.Stripe)
	}
	return b.String()
}

// Report is what a run found and did.
type Report struct {
	Window Window
	DryRun bool
	// Events listed, and what became of them.
	Events    int
	Applied   int // applied, and recorded by the ledger
	Ignored   int // applied, nothing for the ledger to do (not ours, nothing to change)
	Seen      int // the ledger had seen them: not applied again
	Duplicate int // applied before under another event (donation.ErrDuplicate)
	Unknown   int // their payment still not recorded after every other event
	Held      int // kept for a payment or customer not in the ledger (webhook.ErrHeld): not ours, or theirs missing
	Malformed int
	WrongMode int // of the other Stripe mode than the deployment's
	// WrongVersion are rendered in another API version than the code reads (the
	// account's default of the day they were created): not applied, each a difference.
	WrongVersion int
	Failed       int // could not be applied now: run again
	Pending      int // dry run: would be applied
	// Charges listed, and how they compare.
	Charges  int
	Compared int // with a payment record
	NotOurs  int // no record of ours: another system's on a shared account, another deployment's, the other mode's
	Unpaid   int // not succeeded: no money moved
	Recent   int // created less than Settle before the window's end: compared by the next run
	// Differences that remain: the events' (as applied), then the charges' (as listed).
	Differences []Difference
}

// Summary is the report's last line.
func (r Report) Summary() string {
	mode := ""
	if r.DryRun {
		mode = " (dry run: nothing applied)"
	}
	events := fmt.Sprintf("%d applied, %d without effect, %d already seen, %d duplicate, %d still unknown, %d malformed, %d failed",
		r.Applied, r.Ignored, r.Seen, r.Duplicate, r.Unknown, r.Malformed, r.Failed)
	if r.Held > 0 {
		events += fmt.Sprintf(", %d kept for a payment or customer not in the ledger", r.Held)
	}
	if r.WrongVersion > 0 {
		events += fmt.Sprintf(", %d of another API version than %s", r.WrongVersion, webhook.APIVersion)
	}
	if r.DryRun {
		events = fmt.Sprintf("%d to apply, %d already seen", r.Pending, r.Seen)
	}
	if r.WrongMode > 0 {
		events += fmt.Sprintf(", %d of the other Stripe mode", r.WrongMode)
	}
	charges := fmt.Sprintf("%d compared, %d not ours, %d unpaid", r.Compared, r.NotOurs, r.Unpaid)
	if r.Recent > 0 {
		charges += fmt.Sprintf(", %d too recent", r.Recent)
	}
	return fmt.Sprintf("reconcile %s to %s%s: %d events: %s; %d charges: %s; %d differences",
		r.Window.From.UTC().Format(time.RFC3339), r.Window.To.UTC().Format(time.RFC3339), mode,
		r.Events, events, r.Charges, charges, len(r.Differences))
}

// Print writes one line per difference, then the summary.
func (r Report) Print(w io.Writer) {
	for _, d := range r.Differences {
		fmt.Fprintln(w, d)
	}
	fmt.Fprintln(w, r.Summary())
}

// ErrDifferences is Run's error when differences remain (the report lists them).
var ErrDifferences = errors.New("the ledger differs from Stripe")

// ErrWrongMode is Run's error when Stripe's key lists events of the other mode.
var ErrWrongMode = errors.New("Stripe's key is of the other mode than the deployment's (STRIPE_MODE): no event was applied")

// Run reconciles over w: it applies, oldest first, each listed event the ledger has not
// seen (an event whose payment is not recorded yet again after the others, until no
// round makes progress), then compares each charge of w, and each charge disputed in w,
// with its payment record. The error is ErrDifferences when differences remain (each
// logged with the alarm), or says why events failed; the report is complete either way.
func (rc Reconciler) Run(ctx context.Context, w Window, o Options) (Report, error) {
	rep := Report{Window: w, DryRun: o.DryRun}
	types := rc.Types
	if types == nil {
		types = webhook.HandledEvents()
	}
	var listed []*stripe.Event
	if err := rc.Stripe.Events(ctx, types, w, func(ev *stripe.Event) error {
		listed = append(listed, ev)
		return nil
	}); err != nil {
		return rep, fmt.Errorf("list Stripe's events: %w", err)
	}
	rep.Events = len(listed)
	failed, err := rc.applyAll(ctx, oldestFirst(listed), &rep, o)
	if err != nil {
		return rep, err
	}
	if err := rc.compare(ctx, w, &rep); err != nil {
		return rep, err
	}
	if !o.DryRun {
		for _, d := range rep.Differences {
			slog.WarnContext(ctx, DifferenceMessage, "alarm", AlarmDifference, "kind", d.Kind,
				"payment_key", d.PaymentKey, "charge_id", d.ChargeID, "event_id", d.EventID,
				"stripe_cents", d.Stripe, "ledger_cents", d.Ledger)
		}
	}
	slog.InfoContext(ctx, "reconciled", "from", w.From.UTC(), "to", w.To.UTC(), "dry_run", o.DryRun,
		"events", rep.Events, "applied", rep.Applied, "ignored", rep.Ignored, "seen", rep.Seen,
		"duplicate", rep.Duplicate, "unknown", rep.Unknown, "malformed", rep.Malformed,
		"wrong_mode", rep.WrongMode, "failed", rep.Failed, "pending", rep.Pending,
		"charges", rep.Charges, "compared", rep.Compared, "not_ours", rep.NotOurs, "differences", len(rep.Differences))
	switch {
	case rep.WrongMode > 0 && rep.WrongMode == rep.Events:
		return rep, ErrWrongMode
	case failed != nil:
		return rep, fmt.Errorf("%d events could not be applied now (the first: %w): run again", rep.Failed, failed)
	case len(rep.Differences) > 0:
		return rep, fmt.Errorf("%w: %d differences", ErrDifferences, len(rep.Differences))
	}
	return rep, nil
}

// oldestFirst orders events as they happened: Stripe lists them newest first, and
// events of the same second in the order it created them.
func oldestFirst(listed []*stripe.Event) []*stripe.Event {
	out := slices.Clone(listed)
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b *stripe.Event) int { return int(a.Created - b.Created) })
	return out
}

// applyAll applies the events the ledger has not seen. failed is the first failure, if
// any (counted in rep.Failed); err is a failure to read the ledger.
func (rc Reconciler) applyAll(ctx context.Context, events []*stripe.Event, rep *Report, o Options) (failed, err error) {
	var pending []*stripe.Event
	for _, ev := range events {
		seen, err := rc.Ledger.EventSeen(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		if seen {
			rep.Seen++
			continue
		}
		pending = append(pending, ev)
	}
	if o.DryRun {
		rep.Pending = len(pending)
		return nil, nil
	}
	for len(pending) > 0 {
		var early []*stripe.Event
		for _, ev := range pending {
			err := rc.Apply.Apply(ctx, *ev)
			switch {
			case err == nil:
				// Applied: recorded, unless there was nothing for the ledger to do.
				seen, serr := rc.Ledger.EventSeen(ctx, ev.ID)
				if serr != nil {
					return nil, serr
				}
				if seen {
					rep.Applied++
				} else {
					rep.Ignored++
				}
			case errors.Is(err, donation.ErrDuplicate):
				rep.Duplicate++
			case errors.Is(err, donation.ErrUnknownPayment), errors.Is(err, webhook.ErrHeld):
				early = append(early, ev) // its payment's event may be among the rest
			case errors.Is(err, webhook.ErrWrongMode):
				rep.WrongMode++
			case errors.Is(err, webhook.ErrWrongVersion):
				rep.WrongVersion++
				rep.Differences = append(rep.Differences, Difference{Kind: DiffAPIVersion, EventID: ev.ID})
			case webhook.IsMalformed(err):
				rep.Malformed++
				rep.Differences = append(rep.Differences, Difference{Kind: DiffMalformed, EventID: ev.ID})
			default:
				rep.Failed++
				if failed == nil {
					failed = errors.New(redact.Error(err))
				}
				slog.ErrorContext(ctx, "reconcile: event failed", "event_id", ev.ID, "type", string(ev.Type), "err", redact.Error(err))
			}
		}
		if len(early) == len(pending) {
			break // no progress: what is left stays unknown
		}
		pending = early
	}
	for _, ev := range pending { // left when a round made no progress
		// A charge's refund or dispute whose payment is not in the ledger is kept for it
		// (webhook.ErrHeld): another system's, unless the charge names a record of ours.
		kind, id, named := chargeRecord(ev)
		ours := false
		if named {
			var err error
			if ours, err = rc.Ledger.RecordExists(ctx, kind, id); err != nil {
				return nil, err
			}
		}
		if !ours {
			rep.Held++
			continue
		}
		rep.Unknown++
		rep.Differences = append(rep.Differences, Difference{Kind: DiffUnknownPayment, EventID: ev.ID, PaymentKey: paymentOfEvent(ev)})
	}
	return failed, nil
}

// chargeRecord is the record an event's charge names in its metadata (Stripe copies the
// payment intent's, which our Checkout sessions set), if it names one of our kinds. A
// dispute says nothing of whose it is.
func chargeRecord(ev *stripe.Event) (kind, id string, ok bool) {
	if ev.Data == nil || ev.Data.Object["object"] != "charge" {
		return "", "", false
	}
	meta, _ := ev.Data.Object["metadata"].(map[string]any)
	kind, _ = meta["kind"].(string)
	id, _ = meta["record_id"].(string)
	return kind, id, Ours(map[string]string{"kind": kind, "record_id": id})
}

// paymentOfEvent is the payment intent an event's object names, if it says.
func paymentOfEvent(ev *stripe.Event) string {
	if ev.Data == nil {
		return ""
	}
	switch pi := ev.Data.Object["payment_intent"].(type) {
	case string:
		return pi
	case map[string]any:
		id, _ := pi["id"].(string)
		return id
	}
	return ""
}
