package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/token"
)

// SES is the part of the SES v2 client the mailer uses.
type SES interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Outbox is the table's side of sending: the mailer claims each email for one sender,
// marks it sent or gives the claim up, stores the hashes of the links it mints, and
// finds the emails still owed. *dynamo.Store is one.
type Outbox interface {
	ClaimEmail(ctx context.Context, key outbox.Key, claimant string, now, staleBefore time.Time) (outbox.ClaimOutcome, error)
	MarkEmailSent(ctx context.Context, key outbox.Key, messageID string, at time.Time) error
	ReleaseEmail(ctx context.Context, key outbox.Key, claimant string) error
	// EndEmail ends the claimant's email unsent, for good: status is outbox.StatusFailed,
	// outbox.StatusSuppressed or outbox.StatusSkipped, reason says why (nothing personal).
	EndEmail(ctx context.Context, key outbox.Key, claimant, status, reason string, at time.Time) error
	PutToken(ctx context.Context, t token.Token) error
	OwedEmails(ctx context.Context, createdBefore time.Time, fn func(outbox.Key, outbox.Email) error) error
	// EmailFromImage decodes a stream record's new image: ok is false for an item that
	// is not an outbox email (the stream carries every item of the table).
	EmailFromImage(img map[string]events.DynamoDBAttributeValue) (key outbox.Key, e outbox.Email, ok bool, err error)
}

// Suppressions are the addresses not to mail (package suppression records them from
// SES's bounces and complaints). *dynamo.Store is one.
type Suppressions interface {
	Suppressed(ctx context.Context, address string) (bool, error)
}

// ClaimTimeout is how long a claim by a mailer that may have died holds an email.
const ClaimTimeout = 5 * time.Minute

// Mailer sends outbox emails as the table's stream delivers them.
type Mailer struct {
	Outbox Outbox // the table's outbox (a *dynamo.Store)
	// Suppressions, if set, are checked before each send: an email to a suppressed
	// address ends "suppressed", unsent.
	Suppressions Suppressions
	// Broadcasts and News serve broadcast emails (template outbox.Broadcast): the
	// broadcast's message and state, and the person's news state, read at send time. A
	// broadcast email to a person no longer subscribed, or of a cancelled broadcast,
	// ends "skipped", unsent.
	Broadcasts Broadcasts
	News       NewsState
	SES        SES
	// From is the verified address emails come from (MAIL_FROM); the From header shows
	// Org's sender name in the email's language before it, RFC 2047-encoded when not
	// plain ASCII.
	From string
	// ConfigurationSet, if set, is passed to SES (bounce and complaint tracking).
	ConfigurationSet string
	// Links are added to every email's data (retry_url…), so stored emails
	// carry no URLs of their own.
	Links map[string]string
	// PublicURL is the API's base URL, which minted links (confirm, unsubscribe) open.
	PublicURL string
	Now       func() time.Time
	// Org is the organization the emails name and come from (the zero Identity: the
	// compiled-in one).
	Org organization.Identity
}

// Links are the fixed public pages emails point to: the organization's donation form
// (retry_url, DONATE_PAGE_URL). Links of one person's own (confirm, unsubscribe, the
// customer portal) are minted per email instead, as single-use tokens.
func Links(donatePageURL string) map[string]string {
	return map[string]string{"retry_url": donatePageURL}
}

// Handle processes a batch of stream records. Each new outbox email is claimed (so a
// redelivered record after a success sends nothing), rendered, sent and marked sent. A
// failure releases the claim and is reported as a partial batch failure, so the stream
// retries it, bisects the batch, and finally sends it to the dead-letter queue. Two ends
// are final and acknowledged: an address that is suppressed ("suppressed", unsent), and
// SES's permanent refusal of the email ("failed", with its reason, and one log line
// with alarm=email_failed).
func (m Mailer) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var res events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if err := m.handleRecord(ctx, rec); err != nil {
			slog.ErrorContext(ctx, "email not sent", "event_id", rec.EventID, "err", redact.Error(err))
			res.BatchItemFailures = append(res.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return res, nil
}

func (m Mailer) handleRecord(ctx context.Context, rec events.DynamoDBEventRecord) error {
	if rec.EventName != "INSERT" {
		return nil
	}
	key, e, ok, err := m.Outbox.EmailFromImage(rec.Change.NewImage)
	if err != nil || !ok {
		return err
	}
	// The stream record's id names the claim: a retry of the same record (after a lost
	// answer, say) takes its own claim up again instead of waiting for it to go stale.
	_, err = m.send(ctx, "stream:"+rec.EventID, key, e, nil)
	return err
}

// Send claims, renders, sends and marks one outbox email, under a claim of its own. An
// email that ends unsent for good (suppressed, or refused by SES) is no error.
func (m Mailer) Send(ctx context.Context, key outbox.Key, e outbox.Email) error {
	_, err := m.SendStatus(ctx, key, e)
	return err
}

// SendStatus is Send, saying what became of the email: outbox.StatusSent,
// StatusFailed (refused by SES for good), StatusSuppressed or StatusSkipped, or "" when
// it was sent or ended already.
func (m Mailer) SendStatus(ctx context.Context, key outbox.Key, e outbox.Email) (string, error) {
	return m.SendPaced(ctx, key, e, nil)
}

// SendPaced is SendStatus with pace, if not nil, called once the email is claimed and
// found owed, just before SES is asked to send it (a broadcast's token of its
// second): an email sent already, suppressed or skipped takes none. An error of pace
// gives the claim up and is returned, nothing sent.
func (m Mailer) SendPaced(ctx context.Context, key outbox.Key, e outbox.Email, pace func(context.Context) error) (string, error) {
	o, err := m.send(ctx, ids.New("claim"), key, e, pace)
	return map[outcome]string{outcomeSent: outbox.StatusSent, outcomeFailed: outbox.StatusFailed,
		outcomeSuppressed: outbox.StatusSuppressed, outcomeSkipped: outbox.StatusSkipped}[o], err
}

// outcome is what became of an email the mailer was handed.
type outcome int

const (
	outcomeNone       outcome = iota // nothing done: sent or ended already
	outcomeSent                      // sent and marked sent
	outcomeFailed                    // refused by SES for good: marked failed
	outcomeSuppressed                // to a suppressed address: marked suppressed, unsent
	outcomeSkipped                   // a broadcast the person unsubscribed from, or cancelled: marked skipped
)

func (m Mailer) send(ctx context.Context, claimant string, key outbox.Key, e outbox.Email, pace func(context.Context) error) (outcome, error) {
	claimed, err := m.claim(ctx, key, claimant)
	if err != nil && !errors.Is(err, ErrClaimed) {
		// The claim may have been applied with its answer lost: give it up, so that
		// neither a retry nor a redrive has to wait for it to go stale.
		m.giveUp(ctx, key, claimant, e)
	}
	if err != nil || !claimed {
		return outcomeNone, err
	}
	if m.Suppressions != nil {
		suppressed, err := m.Suppressions.Suppressed(ctx, e.To)
		if err != nil {
			m.giveUp(ctx, key, claimant, e)
			return outcomeNone, fmt.Errorf("check suppression: %w", err)
		}
		if suppressed {
			return m.end(ctx, key, claimant, e, outbox.StatusSuppressed,
				"the address is suppressed: it bounced for good or complained")
		}
	}
	var b *broadcast.Broadcast
	if e.Template == outbox.Broadcast {
		found, skip, err := m.broadcastFor(ctx, e)
		if err != nil {
			m.giveUp(ctx, key, claimant, e)
			return outcomeNone, err
		}
		if skip != "" {
			return m.end(ctx, key, claimant, e, outbox.StatusSkipped, skip)
		}
		b = &found
	}
	msgID, sendErr := m.mintAndDeliver(ctx, e, b, pace)
	if r := (*refusal)(nil); errors.As(sendErr, &r) {
		return m.end(ctx, key, claimant, e, outbox.StatusFailed, r.reason)
	}
	if sendErr != nil {
		m.giveUp(ctx, key, claimant, e)
		return outcomeNone, sendErr
	}
	// The email is out: marking it is retried harder than other calls (it is idempotent),
	// since an unmarked email is sent again by the next attempt; and it is not cut short
	// by the caller's cancel (a sender stopping, a deadline), only by its own timeout.
	sentAt := m.Now()
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	err = persist(markCtx, func() error { return m.Outbox.MarkEmailSent(markCtx, key, msgID, sentAt) })
	if err != nil {
		// Sent, but not marked: a retry under the same claim sends it twice, which is
		// better than never.
		return outcomeNone, err
	}
	slog.InfoContext(ctx, "email sent", "email_id", e.ID, "template", e.Template)
	return outcomeSent, nil
}

// giveUp releases the claimant's claim, logging (not returning) a failure to: the claim
// then goes stale in ClaimTimeout.
func (m Mailer) giveUp(ctx context.Context, key outbox.Key, claimant string, e outbox.Email) {
	// Not cut short by the caller's cancel: a claim left behind holds the email back
	// until it goes stale.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := m.release(rctx, key, claimant); err != nil {
		slog.ErrorContext(ctx, "release email claim", "email_id", e.ID, "err", redact.Error(err))
	}
}

// end marks the email ended unsent, for good, with status and reason. A failed email is
// logged with alarm=email_failed (the stack's metric filter counts those lines); the
// line names the email by its key and template, never its address. If the mark cannot
// be written, the claim is given up and the error returned: a retry finds the same end.
func (m Mailer) end(ctx context.Context, key outbox.Key, claimant string, e outbox.Email, status, reason string) (outcome, error) {
	at := m.Now()
	if err := persist(ctx, func() error { return m.Outbox.EndEmail(ctx, key, claimant, status, reason, at) }); err != nil {
		m.giveUp(ctx, key, claimant, e)
		return outcomeNone, fmt.Errorf("mark email %s: %w", status, err)
	}
	if status == outbox.StatusSuppressed {
		slog.InfoContext(ctx, "email suppressed", "email_id", e.ID, "template", e.Template)
		return outcomeSuppressed, nil
	}
	if status == outbox.StatusSkipped {
		slog.InfoContext(ctx, "email skipped", "email_id", e.ID, "template", e.Template, "reason", reason)
		return outcomeSkipped, nil
	}
	where := []any{"alarm", "email_failed", "pk", key.Partition}
	if e.Template != outbox.Broadcast { // a broadcast recipient's sort key holds the address (TO#<email>)
		where = append(where, "sk", key.Sort)
	}
	slog.ErrorContext(ctx, "email failed", append(where, "email_id", e.ID, "template", e.Template, "reason", reason)...)
	return outcomeFailed, nil
}

// sesTimeout bounds an SES call once made, whatever the caller's context says.
const sesTimeout = 30 * time.Second

// markTimeout bounds marking an email sent once SES took it, whatever the caller's
// context says.
const markTimeout = 10 * time.Second

// persistAttempts is how many times the mailer tries to mark an email sent or to
// release its claim.
const persistAttempts = 5

// ErrClaimed reports an email another mailer is sending: not sent here, so the stream
// retries it, and if the other never finishes, its claim goes stale and a later attempt
// or a redrive sends it.
var ErrClaimed = errors.New("email claimed by another sender")

// claim takes the email for claimant: it was pending, its claim went stale, or the
// claimant already holds it (its own earlier call applied, but the answer was lost). It
// reports false for an email already sent, or ended unsent for good.
func (m Mailer) claim(ctx context.Context, key outbox.Key, claimant string) (bool, error) {
	now := m.Now()
	outcome, err := m.Outbox.ClaimEmail(ctx, key, claimant, now, now.Add(-ClaimTimeout))
	switch {
	case err != nil:
		return false, err
	case outcome == outbox.ClaimSent, outcome == outbox.ClaimEnded:
		return false, nil
	case outcome == outbox.ClaimHeld:
		return false, ErrClaimed
	}
	return true, nil
}

// release gives the claimant's claim up, so a retry or a redrive can send the email at
// once. It is retried as hard as marking sent: a claim left behind holds the email
// until it goes stale. A claim that is no longer the claimant's is left alone (the
// store answers that without an error: released already, when an earlier answer was
// lost, or not ours).
func (m Mailer) release(ctx context.Context, key outbox.Key, claimant string) error {
	return persist(ctx, func() error { return m.Outbox.ReleaseEmail(ctx, key, claimant) })
}

// persist runs an idempotent write up to persistAttempts times, pausing a little longer
// each time, beyond the SDK's own retries.
func persist(ctx context.Context, write func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = write(); err == nil || attempt == persistAttempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// mintAndDeliver mints the email's secret links (storing only their hashes), renders it
// (a broadcast email: from its broadcast b) and sends it. A retry mints new links; the
// unused ones of a failed attempt expire. pace, if not nil, is called just before SES is
// asked.
func (m Mailer) mintAndDeliver(ctx context.Context, e outbox.Email, b *broadcast.Broadcast, pace func(context.Context) error) (string, error) {
	data := make(map[string]string, len(e.Data)+len(m.Links)+len(e.Links)+1)
	for k, v := range m.Links {
		data[k] = v
	}
	for k, v := range e.Data {
		data[k] = v
	}
	links := e.Links
	if e.News && !(e.Template == outbox.Broadcast && e.Data[BroadcastTestKey] != "") { // a staff test gets no working link (RenderBroadcast)
		links = append(links, outbox.Link{Name: "unsubscribe_url", Purpose: token.Unsubscribe,
			Path: "/unsubscribe", Subject: e.To, TTLSecs: int64(token.UnsubscribeTTL / time.Second)})
	}
	for _, l := range links {
		url, err := m.mint(ctx, l, e.Language)
		if err != nil {
			return "", err
		}
		data[l.Name] = url
	}
	e.Data = data
	var msg Message
	var err error
	if b != nil {
		msg, err = RenderBroadcast(e, *b, m.Org)
	} else {
		msg, err = Render(e, m.Org)
	}
	if err != nil {
		return "", err
	}
	if pace != nil {
		if err := pace(ctx); err != nil {
			return "", err
		}
	}
	return m.deliver(ctx, e, msg, pace != nil)
}

func (m Mailer) mint(ctx context.Context, l outbox.Link, lang string) (string, error) {
	raw, tok := token.Mint(l.Purpose, l.Subject, lang, m.Now(), time.Duration(l.TTLSecs)*time.Second)
	tok.Ref = l.Ref // the link acts on that record only (a membership application)
	if err := m.Outbox.PutToken(ctx, tok); err != nil {
		return "", fmt.Errorf("store %s token: %w", l.Purpose, err)
	}
	return m.PublicURL + l.Path + "?token=" + raw, nil
}

// deliver asks SES to send e as msg. Once asked, SES's answer is waited for whatever
// ctx says (a sender stopping, a run killed), within sesTimeout: a call cut short may
// have sent the email unmarked, to be sent again. A paced send (a broadcast's) is not
// retried by the SDK, whose retry would take no token: it goes back to its sender's
// next pass, under a new claim and a new token.
func (m Mailer) deliver(ctx context.Context, e outbox.Email, msg Message, paced bool) (string, error) {
	lang, _ := i18n.Parse(e.Language)
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.Org.Or().From(lang, bareAddress(m.From))),
		Destination:      &sestypes.Destination{ToAddresses: []string{e.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(msg.Subject), Charset: aws.String("UTF-8")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(msg.Text), Charset: aws.String("UTF-8")},
				Html: &sestypes.Content{Data: aws.String(msg.HTML), Charset: aws.String("UTF-8")},
			},
			Headers: unsubscribeHeaders(e.Data["unsubscribe_url"]),
		}},
		EmailTags: []sestypes.MessageTag{{Name: aws.String("template"), Value: aws.String(e.Template)}},
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	if r := malformed(e.To); r != nil {
		return "", r
	}
	var opts []func(*sesv2.Options)
	if paced {
		opts = append(opts, func(o *sesv2.Options) { o.Retryer = aws.NopRetryer{} })
	}
	sesCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sesTimeout)
	defer cancel()
	out, err := m.SES.SendEmail(sesCtx, in, opts...)
	if r := refused(err, m.From); r != nil {
		return "", r
	}
	if err != nil {
		return "", fmt.Errorf("ses send: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// bareAddress is the address of from, which MAIL_FROM may give with a display name of its
// own ("Solidarity <appeal@…>"): the sender's name comes from the organization, per
// language, instead.
func bareAddress(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		return a.Address
	}
	return from
}

// unsubscribeHeaders are the one-click unsubscribe headers of RFC 8058 (mail clients show
// an "Unsubscribe" button that POSTs to the link), or none when there is no link.
func unsubscribeHeaders(url string) []sestypes.MessageHeader {
	if url == "" {
		return nil
	}
	return []sestypes.MessageHeader{
		{Name: aws.String("List-Unsubscribe"), Value: aws.String("<" + url + ">")},
		{Name: aws.String("List-Unsubscribe-Post"), Value: aws.String("List-Unsubscribe=One-Click")},
	}
}
