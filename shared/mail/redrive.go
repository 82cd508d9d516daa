package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/redact"
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
		m.SendCounted(ctx, key, e, &r)
		return nil
	})
	return r, err
}

// SendCounted sends one email as Redrive does, through Send's claim, and counts in r
// what became of it: an email that staff made pending again (staff mail resend) goes out
// this way. An error is counted, not returned: the email is still owed, for a redrive.
func (m Mailer) SendCounted(ctx context.Context, key outbox.Key, e outbox.Email, r *Redriven) {
	done, err := m.send(ctx, ids.New("claim"), key, e, nil)
	switch {
	case errors.Is(err, ErrClaimed):
		r.Held++
	case err != nil:
		slog.ErrorContext(ctx, "email not sent", "email_id", e.ID, "template", e.Template, "err", redact.Error(err))
		r.Failed++
	case done == outcomeFailed || done == outcomeSuppressed || done == outcomeSkipped:
		r.Ended++
	default:
		r.Sent++
	}
}
