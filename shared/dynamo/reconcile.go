package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EventSeen reports whether the ledger recorded the Stripe event id: an item under its
// key, whatever its sort key (META for the ledger's events, SUBSCRIPTION#… for a
// subscription's). One strongly consistent Query, Limit 1, for the reconciliation, which
// applies only the events Stripe lists that the ledger has not seen.
func (s *Store) EventSeen(ctx context.Context, id string) (bool, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: eventPK(id)},
		},
		ProjectionExpression: aws.String("pk"),
		Limit:                aws.Int32(1),
		ConsistentRead:       aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("query stripe event: %w", err)
	}
	return len(out.Items) > 0, nil
}

// Payment is the payment record of the payment intent key, for the reconciliation to
// compare with Stripe's charge; found is false when none is recorded.
func (s *Store) Payment(ctx context.Context, key string) (pr PaymentRecord, found bool, err error) {
	found, err = s.get(ctx, paymentPK(key), metaSK, &pr)
	return pr, found, err
}

// RecordExists reports whether a donation (kind "donation") or a plan's subscription
// (any other kind our metadata names) with id is in the table: the reconciliation's test
// that a charge whose metadata is ours belongs to this deployment.
func (s *Store) RecordExists(ctx context.Context, kind, id string) (bool, error) {
	pk := subscriptionPK(id)
	if kind == "donation" {
		pk = donationPK(id)
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: key(pk, metaSK),
		ProjectionExpression: aws.String("pk"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("get %s: %w", keyKind(pk), err)
	}
	return out.Item != nil, nil
}
