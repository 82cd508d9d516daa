package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/stream"
	"github.com/solidarity/solidarity/shared/token"
)

// The mailer's side of the outbox: reading emails off the stream or a scan, claiming
// each for one sender, marking it sent or giving the claim up, and storing the hashes of
// the links it mints. Every write here is a single conditional UpdateItem or PutItem, so
// the mailer can retry it without sending an email twice.

// EmailKey is the key the store gives the outbox email with id.
func EmailKey(id string) outbox.Key { return outbox.Key{Partition: emailPK(id), Sort: metaSK} }

func outboxItemKey(k outbox.Key) map[string]types.AttributeValue { return key(k.Partition, k.Sort) }

func outboxKeyOf(it map[string]types.AttributeValue) outbox.Key {
	return outbox.Key{Partition: text(it, "pk"), Sort: text(it, "sk")}
}

// EmailFromImage decodes a stream record's new image. ok is false, with no error, for an
// item that is not an outbox email: the stream carries every item of the table.
func (s *Store) EmailFromImage(img map[string]events.DynamoDBAttributeValue) (key outbox.Key, e outbox.Email, ok bool, err error) {
	it, err := stream.FromEvent(img)
	if err != nil {
		return outbox.Key{}, e, false, fmt.Errorf("read image: %w", err)
	}
	if ItemType(it) != TypeEmail {
		return outbox.Key{}, e, false, nil
	}
	if err := attributevalue.UnmarshalMap(it, &e); err != nil {
		return outbox.Key{}, e, false, fmt.Errorf("decode email: %w", err)
	}
	return outboxKeyOf(it), e, true, nil
}

// StreamKeys are a stream record's key attributes as strings, by name: what a dead
// letter points at (Lambda's on-failure destination sends the keys, not the item).
func StreamKeys(keys map[string]events.DynamoDBAttributeValue) map[string]string {
	return map[string]string{"pk": keys["pk"].String(), "sk": keys["sk"].String()}
}

// ClaimEmail takes the email for claimant, at now: it was pending, its claim is older
// than staleBefore (its sender may have died), or the claimant already holds it (its own
// earlier call applied, but the answer was lost). Each claim counts one attempt. The
// item's old status, returned when the condition fails, tells a sent email from one
// another claimant holds, in the same call. With an error the outcome is unknown: the
// claim may have been applied with its answer lost.
func (s *Store) ClaimEmail(ctx context.Context, k outbox.Key, claimant string, now, staleBefore time.Time) (outbox.ClaimOutcome, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      outboxItemKey(k),
		UpdateExpression:         aws.String("SET #s = :sending, claimed_at = :now, claimant = :me ADD attempts :one"),
		ConditionExpression:      aws.String("#s = :pending OR (#s = :sending AND (claimed_at < :stale OR claimant = :me))"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": str(outbox.StatusSending),
			":pending": str(outbox.StatusPending),
			":now":     num(now.Unix()),
			":stale":   num(staleBefore.Unix()),
			":me":      str(claimant),
			":one":     num(1),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		switch text(ccf.Item, "status") {
		case outbox.StatusSent:
			return outbox.ClaimSent, nil
		case outbox.StatusFailed, outbox.StatusSuppressed, outbox.StatusSkipped:
			return outbox.ClaimEnded, nil
		}
		return outbox.ClaimHeld, nil
	}
	if err != nil {
		return outbox.ClaimHeld, fmt.Errorf("claim email: %w", err)
	}
	return outbox.ClaimTaken, nil
}

// SentRetention is how long a sent email is kept: then the table's TTL deletes it. An
// outbox email holds what it said (names, phone numbers, a new member's message to their
// branch), which is not ours to keep once it went out. A month leaves time to answer
// questions about a message, and is what the failed-payments report (read from these
// emails) covers; the ids of the Stripe events behind them are kept longer
// (EventRetention), so a replayed event still sends nothing twice.
const SentRetention = 30 * 24 * time.Hour

// MarkEmailSent records that the email went out at at, as SES's messageID, drops its
// claim and sets its expiry (SentRetention after at). It is idempotent: a retry after a
// lost answer writes the same.
func (s *Store) MarkEmailSent(ctx context.Context, k outbox.Key, messageID string, at time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       outboxItemKey(k),
		UpdateExpression: aws.String("SET #s = :sent, sent_at = :now, ses_message_id = :mid, #exp = :exp " +
			"REMOVE claimed_at, claimant"),
		// An email erased while it was being sent stays erased: no husk is written back.
		ConditionExpression:      aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sent": str(outbox.StatusSent),
			":now":  str(at.UTC().Format(time.RFC3339)),
			":mid":  str(messageID),
			":exp":  num(at.Add(SentRetention).Unix()),
		},
	})
	var gone *types.ConditionalCheckFailedException
	if errors.As(err, &gone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark email sent: %w", err)
	}
	return nil
}

// EndEmail ends the claimant's email unsent, for good, at at: status is
// outbox.StatusFailed (SES refused it), outbox.StatusSuppressed (its address is
// suppressed) or outbox.StatusSkipped (a broadcast to a person no longer subscribed, or
// cancelled), reason says why. The claim is dropped and the email expires
// SentRetention after at, as a sent one does: staff see it in the failed-emails report
// until then. An email no longer the claimant's (erased, or taken over after its claim
// went stale) is left alone, and that is not an error; a retry after a lost answer
// writes the same.
func (s *Store) EndEmail(ctx context.Context, k outbox.Key, claimant, status, reason string, at time.Time) error {
	if status != outbox.StatusFailed && status != outbox.StatusSuppressed && status != outbox.StatusSkipped {
		return fmt.Errorf("end email: %q is not an end", status)
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key:       outboxItemKey(k),
		UpdateExpression: aws.String("SET #s = :end, ended_at = :now, end_reason = :reason, #exp = :exp " +
			"REMOVE claimed_at, claimant"),
		ConditionExpression:      aws.String("(#s = :sending AND claimant = :me) OR #s = :end"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":end":     str(status),
			":sending": str(outbox.StatusSending),
			":me":      str(claimant),
			":now":     str(at.UTC().Format(time.RFC3339)),
			":reason":  str(reason),
			":exp":     num(at.Add(SentRetention).Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end email: %w", err)
	}
	return nil
}

// ReleaseEmail makes the email pending again if claimant still holds it, so a retry or a
// redrive can send it at once. A claim that is no longer the claimant's (released
// already, when an earlier answer was lost, or taken over) is left alone, and that is
// not an error.
func (s *Store) ReleaseEmail(ctx context.Context, k outbox.Key, claimant string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      outboxItemKey(k),
		UpdateExpression:         aws.String("SET #s = :pending REMOVE claimed_at, claimant"),
		ConditionExpression:      aws.String("#s = :sending AND claimant = :me"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": str(outbox.StatusSending),
			":pending": str(outbox.StatusPending),
			":me":      str(claimant),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release email: %w", err)
	}
	return nil
}

// OwedEmails calls fn with each outbox email still pending or claimed (sent ones are
// done) that was written before createdBefore, page by page. It scans the whole table:
// a redrive is rare and run by staff.
func (s *Store) OwedEmails(ctx context.Context, createdBefore time.Time, fn func(outbox.Key, outbox.Email) error) error {
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{
		TableName:                aws.String(s.Table),
		FilterExpression:         aws.String("#t = :email AND (#s = :pending OR #s = :sending) AND created_at < :settled"),
		ExpressionAttributeNames: map[string]string{"#t": "type", "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":email":   str(TypeEmail),
			":pending": str(outbox.StatusPending),
			":sending": str(outbox.StatusSending),
			":settled": str(createdBefore.UTC().Format(time.RFC3339Nano)),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan outbox: %w", err)
		}
		for _, it := range page.Items {
			var e outbox.Email
			if err := attributevalue.UnmarshalMap(it, &e); err != nil {
				return fmt.Errorf("decode email: %w", err)
			}
			if err := fn(outboxKeyOf(it), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutToken stores a minted link's token (its hash, never the secret). Hashes of fresh
// secrets do not collide, so the put is conditional on the key being free: a clash
// would be a bug, and must not overwrite another link's token.
func (s *Store) PutToken(ctx context.Context, t token.Token) error {
	put, err := s.put(t, tokenPK(t.Hash), metaSK, TypeToken)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
	})
	if err != nil {
		return fmt.Errorf("put token: %w", err)
	}
	return nil
}
