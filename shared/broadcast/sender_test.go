package broadcast

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
)

// fakeSendStore is a broadcast of n recipients in memory, with a token bucket per
// second of a fake clock.
type fakeSendStore struct {
	state   string
	owed    []outbox.Email
	tokens  map[int64]int
	readErr error
}

func (f *fakeSendStore) Broadcast(context.Context, string) (Broadcast, error) {
	return Broadcast{State: f.state}, f.readErr
}
func (f *fakeSendStore) PendingBroadcastEmails(_ context.Context, _ string, fn func(outbox.Key, outbox.Email) error) error {
	for _, e := range append([]outbox.Email(nil), f.owed...) {
		if err := fn(outbox.Key{Partition: "BROADCAST#b", Sort: "TO#" + e.To}, e); err != nil {
			return err
		}
	}
	return nil
}
func (f *fakeSendStore) BroadcastDone(context.Context, string) (bool, error) {
	if len(f.owed) == 0 {
		f.state = StateSent
		return true, nil
	}
	return false, nil
}
func (f *fakeSendStore) TakeSendToken(_ context.Context, now time.Time, limit int) (bool, error) {
	if f.tokens[now.Unix()] >= limit {
		return false, nil
	}
	f.tokens[now.Unix()]++
	return true, nil
}

// fakeMailer sends by removing the email from the store's owed ones; fail makes every
// send to that address fail.
type fakeMailer struct {
	store  *fakeSendStore
	sent   map[string]int
	fail   string
	onSend func() // called as each email is handed to SES
}

func (m *fakeMailer) SendPaced(ctx context.Context, k outbox.Key, e outbox.Email, pace func(context.Context) error) (string, error) {
	if err := pace(ctx); err != nil {
		return "", err
	}
	if e.To == m.fail {
		return "", errors.New("ses down for this one")
	}
	if m.onSend != nil {
		m.onSend()
	}
	m.sent[e.To]++
	for i, o := range m.store.owed {
		if o.To == e.To {
			m.store.owed = append(m.store.owed[:i], m.store.owed[i+1:]...)
			break
		}
	}
	return outbox.StatusSent, nil
}

func fakeSender(n int, rate float64) (Sender, *fakeSendStore, *fakeMailer, *time.Time, *[]string) {
	store := &fakeSendStore{state: StateSending, tokens: map[int64]int{}}
	for i := range n {
		store.owed = append(store.owed, outbox.Email{To: fmt.Sprintf("p%d@example.org", i)})
	}
	m := &fakeMailer{store: store, sent: map[string]int{}}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var continued []string
	// One worker: the fakes and their clock are not for several goroutines (the
	// emulator tests run the default).
	s := Sender{Store: store, Mailer: m, Workers: 1, Rate: func(context.Context) (float64, error) { return rate, nil },
		Now:      func() time.Time { return now },
		Sleep:    func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil },
		Continue: func(_ context.Context, id string) error { continued = append(continued, id); return nil }}
	return s, store, m, &now, &continued
}

// TestSenderPacesAndFinishes: at 4.8 emails a second (taken as 4), 10 emails take three
// seconds of the clock, never more than 4 tokens in one, each is sent once, and the
// broadcast is marked sent.
func TestSenderPacesAndFinishes(t *testing.T) {
	s, store, m, now, continued := fakeSender(10, 4.8)
	start := *now
	p, err := s.RunProgress(context.Background(), "b")
	if err != nil || !p.Done || p.Handed != 10 || len(*continued) != 0 || store.state != StateSent {
		t.Fatalf("%+v %v %v", p, err, *continued)
	}
	for sec, n := range store.tokens {
		if n > 4 {
			t.Errorf("second %d: %d tokens", sec, n)
		}
	}
	if got := now.Sub(start); got != 2*time.Second || p.Waits != 2 {
		t.Errorf("took %v of the clock, %d waits", got, p.Waits)
	}
	for to, n := range m.sent {
		if n != 1 {
			t.Errorf("%s sent %d", to, n)
		}
	}
}

// TestSenderHandsOffBeforeItsDeadline: a run whose deadline is within the margin sends
// nothing and posts the continuation; a failing email stays owed and the run goes on;
// a broadcast no longer sending is left alone.
func TestSenderHandsOffBeforeItsDeadline(t *testing.T) {
	s, store, m, _, continued := fakeSender(3, 100)
	ctx, cancel := context.WithTimeout(context.Background(), DefaultMargin/2)
	defer cancel()
	p, err := s.RunProgress(ctx, "b")
	if err != nil || !p.Handoff || len(*continued) != 1 || len(m.sent) != 0 {
		t.Fatalf("%+v %v %v", p, err, *continued)
	}

	s, store, m, _, _ = fakeSender(3, 100)
	m.fail = "p1@example.org"
	s.Margin = time.Hour
	ctx, cancel = context.WithTimeout(context.Background(), time.Hour+2*time.Second)
	defer cancel()
	s.Idle = time.Second // real seconds pass only in the deadline: the fake Sleep is instant
	p, err = s.RunProgress(ctx, "b")
	if err != nil || !p.Handoff || len(m.sent) != 2 || p.Failed == 0 || len(store.owed) != 1 {
		t.Fatalf("%+v %v sent %v owed %v", p, err, m.sent, store.owed)
	}

	s, store, m, _, _ = fakeSender(3, 100)
	store.state = StateCancelled
	if p, err := s.RunProgress(context.Background(), "b"); err != nil || len(m.sent) != 0 || p.Passes != 0 {
		t.Fatalf("cancelled: %+v %v", p, err)
	}
}

// slowTokens is a store whose token answers take lag of the fake clock.
type slowTokens struct {
	*fakeSendStore
	now   *time.Time
	lag   time.Duration
	taken []time.Time // the seconds tokens were taken in
}

func (f *slowTokens) TakeSendToken(ctx context.Context, now time.Time, limit int) (bool, error) {
	ok, err := f.fakeSendStore.TakeSendToken(ctx, now, limit)
	if ok {
		f.taken = append(f.taken, now)
	}
	*f.now = f.now.Add(f.lag)
	return ok, err
}

// TestSenderLeavesEachSecondsEdge: no token is taken in the last TokenEdge of a second,
// and a token whose answer arrives that late goes unused, so every email is handed to
// SES in the second of its token.
func TestSenderLeavesEachSecondsEdge(t *testing.T) {
	s, store, m, now, _ := fakeSender(3, 100)
	slow := &slowTokens{fakeSendStore: store, now: now, lag: 30 * time.Millisecond}
	s.Store = slow
	start := now.Add(time.Second - TokenEdge - 20*time.Millisecond) // 970 ms into a second
	*now = start
	var handed []time.Time
	m.onSend = func() { handed = append(handed, *now) }
	p, err := s.RunProgress(context.Background(), "b")
	if err != nil || !p.Done || len(m.sent) != 3 {
		t.Fatalf("%+v %v %v", p, err, m.sent)
	}
	// At 970 ms a token is taken; its answer at 1000 ms is too late, so it goes unused.
	// The three emails go out in the next second, 0, 30 and 60 ms into it.
	if len(slow.taken) != 4 || !slow.taken[0].Equal(start) {
		t.Fatalf("tokens taken at %v", slow.taken)
	}
	for i, at := range handed {
		if tok := slow.taken[i+1]; at.Truncate(time.Second) != tok.Truncate(time.Second) {
			t.Errorf("email %d handed at %v, its token of %v", i, at, tok)
		}
	}
	late := start.Truncate(time.Second).Add(2*time.Second - TokenEdge)
	*now, slow.taken = late, nil
	store.owed = []outbox.Email{{To: "late@example.org"}}
	store.state = StateSending
	if _, err := s.RunProgress(context.Background(), "b"); err != nil || len(slow.taken) != 1 || !slow.taken[0].Equal(late.Truncate(time.Second).Add(time.Second)) {
		t.Fatalf("in the edge: tokens taken at %v (%v)", slow.taken, err)
	}
}
