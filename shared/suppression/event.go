// Package suppression keeps the addresses the mailer must not mail again: those whose
// mail bounced for good, and those whose owner marked a message as spam. SES publishes
// both events to an SNS topic (the stack's configuration set's event destination); the
// mail-events function reads them here and records one suppression per address, which
// the mailer checks before each send. Kept apart from the mailer so that the function
// does not link SES.
package suppression

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/contact"
)

// Reasons for a suppression.
const (
	ReasonBounce    = "bounce"    // a permanent bounce: the address does not exist, or refuses
	ReasonComplaint = "complaint" // the recipient marked a message as spam
)

// Record is one suppressed address, as the store keeps it (the store keys it by the
// address; the record itself holds none).
type Record struct {
	Address string `dynamodbav:"-"` // canonical (contact.CanonicalEmail)
	Reason  string `dynamodbav:"reason"`
	// Detail is SES's finer word: the bounce's type and subtype ("Permanent/General"),
	// or the complaint's feedback type ("abuse"), if it gave one.
	Detail string `dynamodbav:"detail,omitempty"`
	// MessageID is SES's id of the message that bounced or was complained about;
	// FeedbackID SES's id of the bounce or complaint.
	MessageID  string    `dynamodbav:"ses_message_id"`
	FeedbackID string    `dynamodbav:"feedback_id,omitempty"`
	At         time.Time `dynamodbav:"at"` // when SES saw the bounce or complaint
}

// Event is what one SES event notification says, reduced to what suppression needs.
type Event struct {
	Type      string // eventType: "Bounce", "Complaint", "Delivery", "Send", …
	MessageID string // mail.messageId
	// Suppress are the records the event asks for: one per recipient of a permanent
	// bounce or of a complaint that the message was sent to, none for anything else.
	Suppress []Record
	// Foreign counts the bounced or complained recipients the message was not sent to
	// (not among mail.destination), which are not suppressed: a bounce report that
	// anyone owning a mail domain can write in answer to our message could otherwise
	// name any address, and stop our mail to it.
	Foreign int
}

// ErrMalformed is an SNS message that is not an SES event notification.
var ErrMalformed = errors.New("not an SES event notification")

// sesEvent is the JSON SES publishes to SNS from a configuration set's event destination
// ("eventType"), or as an identity's feedback notification ("notificationType").
type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             *struct {
		MessageID   string   `json:"messageId"`
		Destination []string `json:"destination"` // the addresses the message was sent to
	} `json:"mail"`
	Bounce *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
		Timestamp         string      `json:"timestamp"`
		FeedbackID        string      `json:"feedbackId"`
	} `json:"bounce"`
	Complaint *struct {
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		Timestamp             string      `json:"timestamp"`
		FeedbackID            string      `json:"feedbackId"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// maxRecipients bounds what one event may suppress: SES sends at most 50 recipients per
// message, and the mailer one.
const maxRecipients = 50

// Parse reads an SES event notification (an SNS message's body). A permanent bounce
// suppresses each bounced recipient, a complaint each complained recipient (but for a
// "not-spam" feedback), if the message was sent to it: a recipient that is not among
// mail.destination (compared canonically) is counted in Foreign instead. Transient and
// undetermined bounces, and other event types, ask for nothing. now dates a record whose event has no readable timestamp. Input that is
// not an SES event — not JSON, no event type, no mail object or message id, a bounce or
// complaint without its object, or a recipient that is not an address — is ErrMalformed.
func Parse(body []byte, now time.Time) (Event, error) {
	var raw sesEvent
	if err := json.Unmarshal(body, &raw); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, jsonProblem(err))
	}
	ev := Event{Type: raw.EventType}
	if ev.Type == "" {
		ev.Type = raw.NotificationType
	}
	if ev.Type == "" || raw.Mail == nil || raw.Mail.MessageID == "" {
		return Event{}, fmt.Errorf("%w: no event type, or no mail.messageId", ErrMalformed)
	}
	ev.MessageID = raw.Mail.MessageID
	var (
		reason, detail, at, feedback string
		to                           []recipient
	)
	switch ev.Type {
	case "Bounce":
		b := raw.Bounce
		if b == nil {
			return Event{}, fmt.Errorf("%w: a Bounce without its bounce object", ErrMalformed)
		}
		if b.BounceType != "Permanent" {
			return ev, nil // Transient or Undetermined: SES retried, or cannot tell; mail again
		}
		reason, detail, at, feedback, to = ReasonBounce, b.BounceType, b.Timestamp, b.FeedbackID, b.BouncedRecipients
		if b.BounceSubType != "" {
			detail += "/" + b.BounceSubType
		}
	case "Complaint":
		c := raw.Complaint
		if c == nil {
			return Event{}, fmt.Errorf("%w: a Complaint without its complaint object", ErrMalformed)
		}
		if strings.EqualFold(c.ComplaintFeedbackType, "not-spam") {
			return ev, nil // the recipient's provider says the message is wanted
		}
		reason, detail, at, feedback, to = ReasonComplaint, c.ComplaintFeedbackType, c.Timestamp, c.FeedbackID, c.ComplainedRecipients
	default:
		return ev, nil
	}
	if len(to) == 0 || len(to) > maxRecipients {
		return Event{}, fmt.Errorf("%w: a %s with %d recipients", ErrMalformed, ev.Type, len(to))
	}
	when, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		when = now
	}
	sentTo := destinations(raw.Mail.Destination)
	seen := map[string]bool{}
	for _, r := range to {
		addr := contact.CanonicalEmail(r.EmailAddress)
		if !plausible(addr) {
			return Event{}, fmt.Errorf("%w: a %s recipient that is not an address", ErrMalformed, ev.Type)
		}
		if seen[addr] {
			continue
		}
		seen[addr] = true
		if !sentTo[addr] {
			ev.Foreign++
			continue
		}
		ev.Suppress = append(ev.Suppress, Record{Address: addr, Reason: reason, Detail: detail,
			MessageID: ev.MessageID, FeedbackID: feedback, At: when.UTC()})
	}
	return ev, nil
}

// destinations are the canonical addresses a message was sent to. SES lists them as
// the sender gave them, so one may carry a display name ("Ana <ana@example.org>").
func destinations(list []string) map[string]bool {
	set := make(map[string]bool, len(list))
	for _, d := range list {
		if a, err := mail.ParseAddress(d); err == nil {
			d = a.Address
		}
		set[contact.CanonicalEmail(d)] = true
	}
	return set
}

// plausible reports whether a canonical address has a local part and a domain, and no
// spaces or control characters: enough to key a suppression by, without judging what
// SES delivered to.
func plausible(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || len(addr) > 320 {
		return false
	}
	for _, r := range addr {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// jsonProblem describes a JSON error without quoting the input (which holds addresses).
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s is not a JSON %s", typ.Field, typ.Type)
	}
	return "invalid JSON"
}
