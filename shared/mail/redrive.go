package mail

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

// Scanner is the part of the DynamoDB client a redrive uses to find owed emails.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Redriven counts what a redrive did. Held are emails another sender claimed less than
// ClaimTimeout ago: not sent here, and still owed.
type Redriven struct {
	Sent, Failed, Held int
}

// Redrive sends the emails the outbox still owes — pending after the stream's retries
// gave up (their records are in the dead-letter queue), or claimed by a mailer that died
// — if they were written more than settle ago (younger ones may still be on the stream).
// Each goes through Send, whose claim keeps an email from going out twice; one whose
// claim is younger than ClaimTimeout is counted as held, not taken.
func (m Mailer) Redrive(ctx context.Context, db Scanner, settle time.Duration) (Redriven, error) {
	now := m.Now().UTC()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                aws.String(m.Table),
		FilterExpression:         aws.String("#t = :email AND (#s = :pending OR #s = :sending) AND created_at < :settled"),
		ExpressionAttributeNames: map[string]string{"#t": "type", "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":email":   &types.AttributeValueMemberS{Value: "email"},
			":pending": &types.AttributeValueMemberS{Value: outbox.StatusPending},
			":sending": &types.AttributeValueMemberS{Value: outbox.StatusSending},
			":settled": &types.AttributeValueMemberS{Value: now.Add(-settle).Format(time.RFC3339Nano)},
		},
	})
	var r Redriven
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r, fmt.Errorf("scan outbox: %w", err)
		}
		for _, it := range page.Items {
			var e outbox.Email
			if err := attributevalue.UnmarshalMap(it, &e); err != nil {
				return r, fmt.Errorf("decode email: %w", err)
			}
			err := m.Send(ctx, it["pk"], it["sk"], e)
			switch {
			case errors.Is(err, ErrClaimed):
				r.Held++
			case err != nil:
				r.Failed++
			default:
				r.Sent++
			}
		}
	}
	return r, nil
}
