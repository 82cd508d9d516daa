package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/outbox"
)

// Emails that SES refused for good, sent again by staff (staff mail resend) once the
// cause is fixed: a sender identity that was not verified, the sandbox.

// FailedEmail is an email that ended failed: SES refused it for good.
type FailedEmail struct {
	Key     outbox.Key
	Email   outbox.Email
	Reason  string    // SES's reason, as the mailer stored it
	EndedAt time.Time // when it ended
}

// FailedEmails calls fn with each outbox email that ended failed (not suppressed) at or
// after since and has not expired, page by page. It scans the whole table: staff run it,
// rarely.
func (s *Store) FailedEmails(ctx context.Context, since time.Time, fn func(FailedEmail) error) error {
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{
		TableName:                aws.String(s.Table),
		FilterExpression:         aws.String("#t = :email AND #s = :failed AND ended_at >= :since AND (attribute_not_exists(#exp) OR #exp > :now)"),
		ExpressionAttributeNames: map[string]string{"#t": "type", "#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":email":  str(TypeEmail),
			":failed": str(outbox.StatusFailed),
			":since":  str(since.UTC().Format(time.RFC3339)),
			":now":    num(s.Now().Unix()),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan failed emails: %w", err)
		}
		for _, it := range page.Items {
			f := FailedEmail{Key: outboxKeyOf(it), Reason: text(it, "end_reason")}
			if err := attributevalue.UnmarshalMap(it, &f.Email); err != nil {
				return fmt.Errorf("decode email: %w", err)
			}
			f.EndedAt, _ = time.Parse(time.RFC3339, text(it, "ended_at"))
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// ReopenEmail makes a failed email pending again, to be sent: its end and its expiry are
// dropped (a pending email does not expire). It reports false, changing nothing, for an
// email that is no longer failed (reopened already, erased, expired).
func (s *Store) ReopenEmail(ctx context.Context, k outbox.Key) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      outboxItemKey(k),
		UpdateExpression:         aws.String("SET #s = :pending REMOVE ended_at, end_reason, #exp"),
		ConditionExpression:      aws.String("#s = :failed AND (attribute_not_exists(#exp) OR #exp > :now)"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": str(outbox.StatusPending),
			":failed":  str(outbox.StatusFailed),
			":now":     num(s.Now().Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reopen email: %w", err)
	}
	return true, nil
}
