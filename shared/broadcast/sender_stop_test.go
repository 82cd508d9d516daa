package broadcast

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
)

// cancelMailer: "a@" takes its token and then sits at SES for a while; "b@" asks for
// its token only once a@ is at SES. It records whether a@'s context (the one the real
// mailer passes to SES's SendEmail) was cancelled while a@ was at SES.
type cancelMailer struct {
	atSES            chan struct{}
	mu               sync.Mutex
	cancelledMidSend bool
}

func (m *cancelMailer) SendPaced(ctx context.Context, k outbox.Key, e outbox.Email, pace func(context.Context) error) (string, error) {
	switch e.To {
	case "a@example.org":
		if err := pace(ctx); err != nil {
			return "", err
		}
		close(m.atSES)
		select { // SES takes a while to answer
		case <-ctx.Done():
			m.mu.Lock()
			m.cancelledMidSend = true
			m.mu.Unlock()
			return "", ctx.Err() // what the SDK returns, though SES may have taken the email
		case <-time.After(300 * time.Millisecond):
			return outbox.StatusSent, nil
		}
	default:
		<-m.atSES
		if err := pace(ctx); err != nil {
			return "", err
		}
		return outbox.StatusSent, nil
	}
}

// TestStoppingLeavesTheEmailsInHandAlone: one worker finding the deadline near
// while waiting for a token (take's errDeadline) must not cut short another worker's
// SES call in flight: SES may have taken that email, and the claim left behind (its
// release fails on the cancelled context) goes stale and the email is sent again.
func TestStoppingLeavesTheEmailsInHandAlone(t *testing.T) {
	store := &fakeSendStore{state: StateSending, tokens: map[int64]int{},
		owed: []outbox.Email{{To: "a@example.org"}, {To: "b@example.org"}}}
	m := &cancelMailer{atSES: make(chan struct{})}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) // the start of a second
	s := Sender{Store: store, Mailer: m, Workers: 2, Margin: time.Hour,
		Rate:     func(context.Context) (float64, error) { return 1, nil }, // one token a second: b@ is refused
		Now:      func() time.Time { return now },
		Sleep:    SleepContext,
		Continue: func(context.Context, string) error { return nil }}
	// Not near the deadline for the producer (more than the margin left), but within a
	// second of it for a token refused: take says errDeadline.
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour+500*time.Millisecond)
	defer cancel()
	p, err := s.RunProgress(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cancelledMidSend {
		t.Fatalf("a@'s SES call was cancelled by b@'s deadline: %+v", p)
	}
}
