package mail

import (
	"context"
	"errors"
	"time"

	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/outbox"
)

// Redriven counts what a redrive did. Failed are emails that could not be sent this time
// and are still owed; Held are emails another sender claimed less than ClaimTimeout ago:
// not sent here, and still owed; Ended are emails that ended unsent for good (SES
// refused them, or their address is suppressed): no longer owed.
type Redriven struct {
	Sent, Failed, Held, Ended int
}

// Redrive sends the emails the outbox still owes — pending after the stream's retries
// gave up (their records are in the dead-letter queue), or claimed by a mailer that died
// — if they were written more than settle ago (younger ones may still be on the stream).
// Each goes through Send, whose claim keeps an email from going out twice; one whose
// claim is younger than ClaimTimeout is counted as held, not taken. Emails that ended
// failed or suppressed are not owed: a redrive never sends them.
func (m Mailer) Redrive(ctx context.Context, settle time.Duration) (Redriven, error) {
	var r Redriven
	err := m.Outbox.OwedEmails(ctx, m.Now().UTC().Add(-settle), func(key outbox.Key, e outbox.Email) error {
		done, err := m.send(ctx, ids.New("claim"), key, e)
		switch {
		case errors.Is(err, ErrClaimed):
			r.Held++
		case err != nil:
			r.Failed++
		case done == outcomeFailed || done == outcomeSuppressed:
			r.Ended++
		default:
			r.Sent++
		}
		return nil
	})
	return r, err
}
