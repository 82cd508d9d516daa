package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/outbox"
)

// The sending side of a broadcast (docs/broadcasts.md): the sender pages through the
// broadcast's recipients still owed, sends each through the mailer's claim, and marks the
// broadcast sent once none is left.

// BroadcastMaxAttempts is how many claims a broadcast email gets: one still owed after
// that many (SES failing it again and again, say) is ended "failed" instead of being
// tried for ever, so the broadcast can finish; staff see it in the report.
const BroadcastMaxAttempts = 10

// recipientPrefix begins the sort key of every recipient item of a broadcast.
const recipientPrefix = "TO#"

// owedFilter keeps the recipients still owed: pending, or claimed by a sender that may
// have died (the mailer's claim tells a stale claim from a live one).
const owedFilter = "#s = :pending OR #s = :sending"

// PendingBroadcastEmails calls fn with each recipient of broadcast id still owed
// (pending, or sending under a claim that may be stale), a page of the Query at a time:
// never every recipient in memory. A recipient tried BroadcastMaxAttempts times already
// is ended "failed" here instead (one log line with alarm=email_failed), not handed to
// fn. An error of fn stops the paging and is returned.
func (s *Store) PendingBroadcastEmails(ctx context.Context, id string, fn func(outbox.Key, outbox.Email) error) error {
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                aws.String(s.Table),
		KeyConditionExpression:   aws.String("pk = :pk AND begins_with(sk, :to)"),
		FilterExpression:         aws.String(owedFilter),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(broadcastPK(id)), ":to": str(recipientPrefix),
			":pending": str(outbox.StatusPending), ":sending": str(outbox.StatusSending),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query broadcast recipients: %w", err)
		}
		for _, it := range page.Items {
			var e outbox.Email
			if err := attributevalue.UnmarshalMap(it, &e); err != nil {
				return fmt.Errorf("decode broadcast email: %w", err)
			}
			k := outboxKeyOf(it)
			if e.Attempts >= BroadcastMaxAttempts {
				if err := s.giveUpBroadcastEmail(ctx, k, e); err != nil {
					return err
				}
				continue
			}
			if err := fn(k, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// staleClaim is how long a claim holds an email before another sender may take it (the
// mailer's mail.ClaimTimeout, which this package cannot name).
const staleClaim = 5 * time.Minute

// giveUpBroadcastEmail ends a recipient tried BroadcastMaxAttempts times "failed", if it
// is still pending or its last claim went stale (a sender that died on its last
// attempt); a claim in progress is left to finish.
func (s *Store) giveUpBroadcastEmail(ctx context.Context, k outbox.Key, e outbox.Email) error {
	now := s.Now().UTC()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       outboxItemKey(k),
		UpdateExpression: aws.String("SET #s = :failed, ended_at = :now, end_reason = :reason, #exp = :exp " +
			"REMOVE claimed_at, claimant"),
		ConditionExpression:      aws.String("(#s = :pending OR (#s = :sending AND claimed_at < :stale)) AND attempts >= :max"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":failed":  str(outbox.StatusFailed),
			":pending": str(outbox.StatusPending),
			":sending": str(outbox.StatusSending),
			":stale":   num(now.Add(-staleClaim).Unix()),
			":max":     num(BroadcastMaxAttempts),
			":now":     str(now.Format(time.RFC3339)),
			":reason":  str(fmt.Sprintf("not sent after %d attempts", BroadcastMaxAttempts)),
			":exp":     num(now.Add(SentRetention).Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("give up broadcast email: %w", err)
	}
	slog.ErrorContext(ctx, "email failed", "alarm", "email_failed", "pk", k.Partition, // the sort key holds the address: not logged
		"email_id", e.ID, "template", e.Template, "reason", "attempts")
	return nil
}

// BroadcastDone reports whether broadcast id has no recipient left owed (none pending,
// none claimed, short of BroadcastMaxAttempts); if so it moves the broadcast from
// sending to sent (SetBroadcastState) and reports true. A broadcast that is no longer
// sending (cancelled, or sent already) is left as it is.
func (s *Store) BroadcastDone(ctx context.Context, id string) (bool, error) {
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                aws.String(s.Table),
		KeyConditionExpression:   aws.String("pk = :pk AND begins_with(sk, :to)"),
		FilterExpression:         aws.String("(" + owedFilter + ") AND attempts < :max"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(broadcastPK(id)), ":to": str(recipientPrefix),
			":pending": str(outbox.StatusPending), ":sending": str(outbox.StatusSending),
			":max": num(BroadcastMaxAttempts),
		},
		Select:         types.SelectCount,
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("count owed broadcast recipients: %w", err)
		}
		if page.Count > 0 {
			return false, nil
		}
	}
	if err := s.markBroadcastSent(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

// markBroadcastSent moves broadcast id from sending to sent; one no longer sending is
// left as it is.
func (s *Store) markBroadcastSent(ctx context.Context, id string) error {
	err := s.SetBroadcastState(ctx, id, broadcast.StateSending, broadcast.StateSent)
	if errors.Is(err, ErrBroadcastState) {
		return nil // cancelled meanwhile: it stays cancelled
	}
	return err
}
