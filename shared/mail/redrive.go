package mail

import (
	"context"
	"fmt"
	"strconv"
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

// Redriven counts what a redrive did.
type Redriven struct {
	Sent, Failed int
}

// Redrive sends the emails the outbox still owes — pending after the stream's retries
// gave up (their records are in the dead-letter queue), or claimed by a mailer that died
// — if they were written more than settle ago (younger ones may still be on the stream).
// Each goes through Send, whose claim keeps an email from going out twice.
func (m Mailer) Redrive(ctx context.Context, db Scanner, settle time.Duration) (Redriven, error) {
	now := m.Now().UTC()
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName:                aws.String(m.Table),
		FilterExpression:         aws.String("#t = :email AND (#s = :pending OR (#s = :sending AND claimed_at < :stale)) AND created_at < :settled"),
		ExpressionAttributeNames: map[string]string{"#t": "type", "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":email":   &types.AttributeValueMemberS{Value: "email"},
			":pending": &types.AttributeValueMemberS{Value: outbox.StatusPending},
			":sending": &types.AttributeValueMemberS{Value: outbox.StatusSending},
			":stale":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(-ClaimTimeout).Unix(), 10)},
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
			if err := m.Send(ctx, it["pk"], it["sk"], e); err != nil {
				r.Failed++
				continue
			}
			r.Sent++
		}
	}
	return r, nil
}
