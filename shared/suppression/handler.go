package suppression

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/solidarity/solidarity/shared/redact"
)

// Store records suppressions. *dynamo.Store is one.
type Store interface {
	// Suppress records r unless its address is suppressed already, reporting whether
	// it wrote: a redelivered event changes nothing.
	Suppress(ctx context.Context, r Record) (bool, error)
}

// Handler is the mail-events function: SES's bounce and complaint notifications, as
// SNS delivers them, become suppressions.
type Handler struct {
	Store Store
	Now   func() time.Time
}

// Handle records the suppressions each SNS record's SES event asks for. A message that
// is not an SES event is logged and acknowledged: SNS would retry it, unchanged, to no
// end. An error of the store is returned, so Lambda retries the delivery; recording is
// idempotent, so the records already written change nothing the second time. No
// address reaches the log: only event types, SES's message ids and counts.
func (h Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := h.handle(ctx, rec.SNS); err != nil {
			slog.ErrorContext(ctx, "suppression not recorded", "sns_message_id", rec.SNS.MessageID, "err", redact.Error(err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h Handler) handle(ctx context.Context, msg events.SNSEntity) error {
	parsed, err := Parse([]byte(msg.Message), h.Now())
	if err != nil {
		slog.WarnContext(ctx, "ses event unreadable", "alarm", "ses_event_malformed", "sns_message_id", msg.MessageID,
			"err", err.Error())
		return nil
	}
	if parsed.Foreign > 0 {
		// A bounce or complaint naming addresses the message was not sent to: forged, most
		// likely, by whoever received it. Logged by type and count only.
		slog.WarnContext(ctx, "ses event names recipients the message was not sent to", "alarm", "ses_event_foreign_recipient",
			"event_type", parsed.Type, "ses_message_id", parsed.MessageID, "foreign", parsed.Foreign)
	}
	if len(parsed.Suppress) == 0 {
		slog.InfoContext(ctx, "ses event ignored", "event_type", parsed.Type, "ses_message_id", parsed.MessageID)
		return nil
	}
	added := 0
	for _, r := range parsed.Suppress {
		wrote, err := h.Store.Suppress(ctx, r)
		if err != nil {
			return fmt.Errorf("suppress: %w", err)
		}
		if wrote {
			added++
			// One line per new suppression (the stack counts them: a sudden many is mail
			// that receivers refuse, a DKIM or DMARC break, say); never the address.
			slog.InfoContext(ctx, "address suppressed", "reason", r.Reason, "event_type", parsed.Type,
				"ses_message_id", parsed.MessageID)
		}
	}
	slog.InfoContext(ctx, "suppression recorded", "event_type", parsed.Type, "reason", parsed.Suppress[0].Reason,
		"detail", parsed.Suppress[0].Detail, "ses_message_id", parsed.MessageID, "recipients", len(parsed.Suppress), "new", added)
	return nil
}
