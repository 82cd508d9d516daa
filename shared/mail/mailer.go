package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/stream"
	"github.com/solidarity/solidarity/shared/token"
)

// SES is the part of the SES v2 client the mailer uses.
type SES interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// DB is the part of the DynamoDB client the mailer uses: updates to claim and mark
// emails, puts to store the hashes of the links it mints.
type DB interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// ClaimTimeout is how long a claim by a mailer that may have died holds an email.
const ClaimTimeout = 5 * time.Minute

// Mailer sends outbox emails as the table's stream delivers them.
type Mailer struct {
	DB    DB
	Table string
	SES   SES
	From  string
	// ConfigurationSet, if set, is passed to SES (bounce and complaint tracking).
	ConfigurationSet string
	// Links are added to every email's data (retry_url…), so stored emails
	// carry no URLs of their own.
	Links map[string]string
	// PublicURL is the API's base URL, which minted links (confirm, unsubscribe) open.
	PublicURL string
	Now       func() time.Time
}

// Links are the public pages emails point to: for now the organization's donation form.
// (The self-service portal of api.md, POST /portal, will add its own.)
func Links(donatePageURL string) map[string]string {
	return map[string]string{"retry_url": donatePageURL}
}

// Handle processes a batch of stream records. Each new outbox email is claimed (so a
// redelivered record after a success sends nothing), rendered, sent and marked sent. A
// failure releases the claim and is reported as a partial batch failure, so the stream
// retries it, bisects the batch, and finally sends it to the dead-letter queue.
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
	img, err := stream.FromEvent(rec.Change.NewImage)
	if err != nil {
		return fmt.Errorf("read image: %w", err)
	}
	if t, ok := img["type"].(*types.AttributeValueMemberS); !ok || t.Value != "email" {
		return nil
	}
	var e outbox.Email
	if err := attributevalue.UnmarshalMap(img, &e); err != nil {
		return fmt.Errorf("decode email: %w", err)
	}
	// The stream record's id names the claim: a retry of the same record (after a lost
	// answer, say) takes its own claim up again instead of waiting for it to go stale.
	return m.send(ctx, "stream:"+rec.EventID, img["pk"], img["sk"], e)
}

// Send claims, renders, sends and marks one outbox email, under a claim of its own.
func (m Mailer) Send(ctx context.Context, pk, sk types.AttributeValue, e outbox.Email) error {
	return m.send(ctx, ids.New("claim"), pk, sk, e)
}

func (m Mailer) send(ctx context.Context, claimant string, pk, sk types.AttributeValue, e outbox.Email) error {
	key := map[string]types.AttributeValue{"pk": pk, "sk": sk}
	claimed, err := m.claim(ctx, key, claimant)
	if err != nil && !errors.Is(err, ErrClaimed) {
		// The claim may have been applied with its answer lost: give it up, so that
		// neither a retry nor a redrive has to wait for it to go stale.
		if rerr := m.release(ctx, key, claimant); rerr != nil {
			slog.ErrorContext(ctx, "release email claim", "email_id", e.ID, "err", redact.Error(rerr))
		}
	}
	if err != nil || !claimed {
		return err
	}
	msgID, sendErr := m.mintAndDeliver(ctx, e)
	if sendErr != nil {
		if err := m.release(ctx, key, claimant); err != nil {
			slog.ErrorContext(ctx, "release email claim", "email_id", e.ID, "err", redact.Error(err))
		}
		return sendErr
	}
	mark := &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.Table),
		Key:                      key,
		UpdateExpression:         aws.String("SET #s = :sent, sent_at = :now, ses_message_id = :mid REMOVE claimed_at, claimant"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": &types.AttributeValueMemberS{Value: outbox.StatusSent},
			":now":  &types.AttributeValueMemberS{Value: m.Now().UTC().Format(time.RFC3339)},
			":mid":  &types.AttributeValueMemberS{Value: msgID},
		},
	}
	// The email is out: marking it is retried harder than other calls (it is idempotent),
	// since an unmarked email is sent again by the next attempt.
	err = persist(ctx, func() error { _, err := m.DB.UpdateItem(ctx, mark); return err })
	if err != nil {
		// Sent, but not marked: a retry under the same claim sends it twice, which is
		// better than never.
		return fmt.Errorf("mark sent: %w", err)
	}
	slog.InfoContext(ctx, "email sent", "email_id", e.ID, "template", e.Template)
	return nil
}

// persistAttempts is how many times the mailer tries to mark an email sent or to
// release its claim.
const persistAttempts = 5

// ErrClaimed reports an email another mailer is sending: not sent here, so the stream
// retries it, and if the other never finishes, its claim goes stale and a later attempt
// or a redrive sends it.
var ErrClaimed = errors.New("email claimed by another sender")

// claim takes the email for claimant: it was pending, its claim went stale, or the
// claimant already holds it (its own earlier call applied, but the answer was lost). It
// reports false for an email already sent.
func (m Mailer) claim(ctx context.Context, key map[string]types.AttributeValue, claimant string) (bool, error) {
	now := m.Now().UTC()
	_, err := m.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.Table),
		Key:                      key,
		UpdateExpression:         aws.String("SET #s = :sending, claimed_at = :now, claimant = :me ADD attempts :one"),
		ConditionExpression:      aws.String("#s = :pending OR (#s = :sending AND (claimed_at < :stale OR claimant = :me))"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: outbox.StatusSending},
			":pending": &types.AttributeValueMemberS{Value: outbox.StatusPending},
			":now":     &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":stale":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(-ClaimTimeout).Unix(), 10)},
			":me":      &types.AttributeValueMemberS{Value: claimant},
			":one":     &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if s, ok := ccf.Item["status"].(*types.AttributeValueMemberS); ok && s.Value == outbox.StatusSent {
			return false, nil
		}
		return false, ErrClaimed
	}
	if err != nil {
		return false, fmt.Errorf("claim email: %w", err)
	}
	return true, nil
}

// release gives the claimant's claim up, so a retry or a redrive can send the email at
// once. It is retried as hard as marking sent: a claim left behind holds the email
// until it goes stale. A claim that is no longer the claimant's is left alone.
func (m Mailer) release(ctx context.Context, key map[string]types.AttributeValue, claimant string) error {
	in := &dynamodb.UpdateItemInput{
		TableName:                aws.String(m.Table),
		Key:                      key,
		UpdateExpression:         aws.String("SET #s = :pending REMOVE claimed_at, claimant"),
		ConditionExpression:      aws.String("#s = :sending AND claimant = :me"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": &types.AttributeValueMemberS{Value: outbox.StatusSending},
			":pending": &types.AttributeValueMemberS{Value: outbox.StatusPending},
			":me":      &types.AttributeValueMemberS{Value: claimant},
		},
	}
	return persist(ctx, func() error {
		_, err := m.DB.UpdateItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			return nil // released already (an earlier answer was lost), or not ours
		}
		return err
	})
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
// and sends it. A retry mints new links; the unused ones of a failed attempt expire.
func (m Mailer) mintAndDeliver(ctx context.Context, e outbox.Email) (string, error) {
	data := make(map[string]string, len(e.Data)+len(m.Links)+len(e.Links)+1)
	for k, v := range m.Links {
		data[k] = v
	}
	for k, v := range e.Data {
		data[k] = v
	}
	links := e.Links
	if e.News {
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
	msg, err := Render(e)
	if err != nil {
		return "", err
	}
	return m.deliver(ctx, e, msg)
}

func (m Mailer) mint(ctx context.Context, l outbox.Link, lang string) (string, error) {
	raw, tok := token.Mint(l.Purpose, l.Subject, lang, m.Now(), time.Duration(l.TTLSecs)*time.Second)
	item, err := attributevalue.MarshalMap(tok)
	if err != nil {
		return "", fmt.Errorf("marshal token: %w", err)
	}
	item["pk"] = &types.AttributeValueMemberS{Value: token.PK(tok.Hash)}
	item["sk"] = &types.AttributeValueMemberS{Value: "META"}
	item["type"] = &types.AttributeValueMemberS{Value: "token"}
	_, err = m.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(m.Table), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		return "", fmt.Errorf("store %s token: %w", l.Purpose, err)
	}
	return m.PublicURL + l.Path + "?token=" + raw, nil
}

func (m Mailer) deliver(ctx context.Context, e outbox.Email, msg Message) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
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
	out, err := m.SES.SendEmail(ctx, in)
	if err != nil {
		return "", fmt.Errorf("ses send: %w", err)
	}
	return aws.ToString(out.MessageId), nil
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
