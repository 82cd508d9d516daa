package broadcast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/redact"
)

// SenderStore is the table's side of sending a broadcast. *dynamo.Store is one.
type SenderStore interface {
	Broadcast(ctx context.Context, id string) (Broadcast, error)
	// PendingBroadcastEmails calls fn with each recipient still owed, a page at a time.
	PendingBroadcastEmails(ctx context.Context, id string, fn func(outbox.Key, outbox.Email) error) error
	// BroadcastDone marks the broadcast sent if no recipient is owed, and says so.
	BroadcastDone(ctx context.Context, id string) (bool, error)
	// TakeSendToken takes one of the limit tokens of now's second, shared by every sender.
	TakeSendToken(ctx context.Context, now time.Time, limit int) (bool, error)
}

// EmailSender sends one outbox email under a claim of its own, checking the person's
// news state and the suppression list at send time, and calling pace just before SES is
// asked to send it. *mail.Mailer is one; an email sent or ended already is no error
// (status says what became of it: mail.Mailer.SendPaced).
type EmailSender interface {
	SendPaced(ctx context.Context, key outbox.Key, e outbox.Email, pace func(context.Context) error) (status string, err error)
}

// DefaultRateShare is the share of the account's SES sending rate broadcasts may use
// (BROADCAST_RATE_SHARE): the rest is left to receipts and confirmations, which take
// no tokens.
const DefaultRateShare = 0.8

// TokenEdge is the end of each second in which no token is taken or used: an email whose
// token is of second T reaches SES before T ends, even with the time the call takes to
// arrive, so SES counts it in T too.
const TokenEdge = 50 * time.Millisecond

// DefaultMargin is how long before its deadline a sender stops and hands the rest of the
// broadcast on (Continue): time for the emails in hand — SES's answer, waited for up to
// 30 s whatever the deadline says, and marking them, up to 10 s — and the continuation.
const DefaultMargin = 60 * time.Second

// Sender sends a queued broadcast, paced across every instance by the table's token
// bucket (one item per second, docs/broadcasts.md). Many may run at once on the same
// broadcast: the mailer's claim sends each recipient once.
type Sender struct {
	Store  SenderStore
	Mailer EmailSender
	// Rate is how many broadcast emails a second may go out, from every sender together:
	// SES's maximum send rate (GetSendQuota) × the share (BROADCAST_RATE_SHARE). Read once
	// per Run; a rate under 1 is taken as 1 a second.
	Rate func(ctx context.Context) (perSecond float64, err error)
	Now  func() time.Time
	// Sleep waits d, or until ctx ends (its error then).
	Sleep func(ctx context.Context, d time.Duration) error
	// Continue hands the rest of the broadcast on to a later run (the function posts its
	// own SQS message again), when this one must stop before its deadline.
	Continue func(ctx context.Context, id string) error
	// Margin is how long before ctx's deadline Run stops; zero is DefaultMargin.
	Margin time.Duration
	// Idle is how long Run waits before going through the recipients again when a pass
	// sent nothing (every owed email held by another sender's claim, or failing); zero is
	// 5 seconds.
	Idle time.Duration
	// Workers is how many emails it has in hand at once; zero is DefaultWorkers.
	Workers int
}

// Progress is what one Run did.
type Progress struct {
	Handed  int  // emails handed to the mailer without an error (sent, or found sent or ended)
	Failed  int  // emails the mailer failed this time (left owed, for a later pass)
	Passes  int  // passes through the owed recipients
	Waits   int  // times a token was refused and the sender waited for the next second
	Done    bool // the broadcast was marked sent
	Handoff bool // stopped before the deadline and handed the rest on
}

// errDeadline and errCancelled end a pass early: the deadline is near, or the broadcast was cancelled.
var (
	errDeadline  = errors.New("deadline near")
	errCancelled = errors.New("broadcast cancelled")
)

// recheckEvery is how many emails a pass sends between two reads of the broadcast's
// state (a cancel stops the sender within that many; the mailer checks each email too).
const recheckEvery = 200

// Run sends broadcast id's owed recipients, pass after pass, until none is left (then
// the broadcast is marked sent), the broadcast is cancelled or not sending, or ctx's
// deadline is near (then Continue hands the rest on). Before each email it takes a
// token of the current second, waiting for the next second when they are all taken, so
// that all senders together never send more than the rate in any second. A failure to
// send one email is not Run's: it stays owed for the next pass. Run returns an error
// when it could not go on (the store failing, ctx ended without a deadline near): the
// SQS message is then retried.
func (s Sender) Run(ctx context.Context, id string) error {
	_, err := s.RunProgress(ctx, id)
	return err
}

// RunProgress is Run, saying what it did.
func (s Sender) RunProgress(ctx context.Context, id string) (Progress, error) {
	var p Progress
	b, err := s.Store.Broadcast(ctx, id)
	if err != nil {
		return p, fmt.Errorf("read broadcast: %w", err)
	}
	if b.State != StateSending {
		slog.InfoContext(ctx, "broadcast not sending", "broadcast", id, "state", b.State)
		return p, nil
	}
	rate, err := s.Rate(ctx)
	if err != nil {
		return p, fmt.Errorf("read send rate: %w", err)
	}
	limit := max(1, int(math.Floor(rate)))
	empty := 0 // passes in a row that handed nothing
	for {
		p.Passes++
		handed, err := s.pass(ctx, id, limit, &p)
		if handed > 0 {
			empty = 0
		}
		switch {
		case errors.Is(err, errCancelled):
			slog.InfoContext(ctx, "broadcast stopped: no longer sending", "broadcast", id)
			return p, nil
		case errors.Is(err, errDeadline):
			return p, s.handOff(ctx, id, &p)
		case err != nil:
			return p, err
		}
		done, err := s.Store.BroadcastDone(ctx, id)
		if err != nil {
			return p, err
		}
		if done {
			p.Done = true
			slog.InfoContext(ctx, "broadcast sent", "broadcast", id, "passes", p.Passes)
			return p, nil
		}
		if b, err := s.Store.Broadcast(ctx, id); err != nil {
			return p, fmt.Errorf("read broadcast: %w", err)
		} else if b.State != StateSending {
			return p, nil
		}
		if handed == 0 {
			// Nothing went out: the owed emails are held by another sender's claim (which
			// may be stale only after the mailer's claim timeout) or failing. Wait a
			// little, and twice as long after each such pass (up to 64 times as long):
			// each pass is a claim, and an email is given up after BroadcastMaxAttempts,
			// so ten of them span an SES outage of a quarter of an hour rather than a minute.
			idle := s.Idle
			if idle == 0 {
				idle = 5 * time.Second
			}
			idle <<= min(empty, 6)
			empty++
			if s.deadlineWithin(ctx, idle) {
				return p, s.handOff(ctx, id, &p)
			}
			if err := s.Sleep(ctx, idle); err != nil {
				return p, err
			}
		}
	}
}

// DefaultWorkers is how many emails a sender has in hand at once, unless Workers says:
// one email's calls (its claim, the checks, the link, SES, the mark) take tens of
// milliseconds, so one at a time would stay under many accounts' rate.
const DefaultWorkers = 4

// pass hands every owed recipient of broadcast id to the mailer, Workers at a time, and
// says how many it handed without an error. It ends early with errDeadline or
// errCancelled, or ctx's error, once the emails in hand are done.
func (s Sender) pass(ctx context.Context, id string, limit int, p *Progress) (handed int, err error) {
	workers := s.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	pctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var mu sync.Mutex // guards p and handed
	var wg sync.WaitGroup
	slots := make(chan struct{}, workers)
	dispatched := 0
	// Stopping (the deadline near, the broadcast cancelled) stops handing emails out and
	// taking tokens; it never cuts short the calls of an email in hand, which run on ctx.
	pace := func(context.Context) error {
		if err := context.Cause(pctx); err != nil {
			return err
		}
		if s.nearDeadline(ctx) { // the email's own calls may have taken a while
			return errDeadline
		}
		return s.take(pctx, limit, p, &mu)
	}
	err = s.Store.PendingBroadcastEmails(pctx, id, func(k outbox.Key, e outbox.Email) error {
		if pctx.Err() != nil {
			return context.Cause(pctx)
		}
		if s.nearDeadline(ctx) {
			return errDeadline
		}
		if dispatched++; dispatched%recheckEvery == 0 {
			if b, err := s.Store.Broadcast(pctx, id); err == nil && b.State != StateSending {
				return errCancelled
			}
		}
		select {
		case slots <- struct{}{}:
		case <-pctx.Done():
			return context.Cause(pctx)
		}
		wg.Go(func() {
			defer func() { <-slots }()
			// The token is taken once the email is claimed and owed: a recipient found
			// sent by another sender, unsubscribed or suppressed spends none of the rate.
			_, err := s.Mailer.SendPaced(ctx, k, e, pace)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errDeadline):
				stop(errDeadline)
			case err != nil && pctx.Err() != nil: // stopping: not this email's failure
			case err != nil:
				p.Failed++ // released for a later pass, or held by another sender's claim
			default:
				handed++
				p.Handed++
			}
		})
		return nil
	})
	if err != nil {
		stop(err) // the emails in hand take no more tokens
	}
	wg.Wait()
	if ctx.Err() != nil {
		return handed, ctx.Err()
	}
	if cause := context.Cause(pctx); cause != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = cause
	}
	return handed, err
}

// take takes a send token, waiting for the next second while they are all taken (mu
// guards p).
func (s Sender) take(ctx context.Context, limit int, p *Progress, mu *sync.Mutex) error {
	for failures := 0; ; {
		now := s.Now()
		if now.Sub(now.Truncate(time.Second)) >= time.Second-TokenEdge {
			// Too late in the second: an email sent now could reach SES in the next.
			if err := s.Sleep(ctx, now.Truncate(time.Second).Add(time.Second).Sub(now)); err != nil {
				return err
			}
			continue
		}
		ok, err := s.Store.TakeSendToken(ctx, now, limit)
		if err != nil {
			if failures++; failures >= 5 || ctx.Err() != nil {
				return err
			}
			slog.WarnContext(ctx, "send token", "err", redact.Error(err))
			if err := s.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		if ok {
			if s.Now().Sub(now.Truncate(time.Second)) < time.Second-TokenEdge {
				return nil
			}
			continue // the answer came late in the token's second: it goes unused
		}
		mu.Lock()
		p.Waits++
		mu.Unlock()
		next := now.Truncate(time.Second).Add(time.Second)
		if s.deadlineWithin(ctx, next.Sub(now)) {
			return errDeadline
		}
		if err := s.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
}

func (s Sender) margin() time.Duration {
	if s.Margin == 0 {
		return DefaultMargin
	}
	return s.Margin
}

// nearDeadline reports whether ctx's deadline is within the margin.
func (s Sender) nearDeadline(ctx context.Context) bool { return s.deadlineWithin(ctx, 0) }

// deadlineWithin reports whether ctx's deadline comes before d and the margin have
// passed (a deadline is on the wall clock, not the sender's Now).
func (s Sender) deadlineWithin(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return false
	}
	return time.Until(deadline) <= d+s.margin()
}

// handOff posts the continuation: a later run sends the rest.
func (s Sender) handOff(ctx context.Context, id string, p *Progress) error {
	p.Handoff = true
	if s.Continue == nil {
		return errors.New("deadline near, and no way to continue the broadcast")
	}
	slog.InfoContext(ctx, "broadcast continued", "broadcast", id, "handed", p.Handed)
	if err := s.Continue(ctx, id); err != nil {
		return fmt.Errorf("continue broadcast: %w", err)
	}
	return nil
}

// SleepContext is time.Sleep that ends early with ctx.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
