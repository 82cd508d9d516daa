package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/ids"
)

// Hit counts one request against counter in the window starting at windowStart, unless
// the window already holds limit hits: then it reports false and counts nothing. One
// conditional update per hit, so every Lambda instance shares the counts; the window's
// item expires (TTL) at expires. counter names what is counted and must already be
// anonymous (the rate limiter hashes its keys): it becomes part of the item's key.
//
// The update names the hit (last_hit), so that the SDK's retry of an update whose
// answer was lost counts nothing twice: the retry's condition fails on its own name, and
// a refused hit whose name is the item's was counted (one consistent read, on refusals
// only).
func (s *Store) Hit(ctx context.Context, counter string, windowStart time.Time, limit int, expires time.Time) (allowed bool, err error) {
	return s.hit(ctx, counter, windowStart, limit, expires, ids.New("hit"))
}

func (s *Store) hit(ctx context.Context, counter string, windowStart time.Time, limit int, expires time.Time, name string) (bool, error) {
	k := key(ratePK(counter), strconv.FormatInt(windowStart.Unix(), 10))
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      k,
		UpdateExpression:         aws.String("ADD hits :one SET #type = :type, expires_at = :exp, last_hit = :name"),
		ConditionExpression:      aws.String("(attribute_not_exists(hits) OR hits < :limit) AND (attribute_not_exists(last_hit) OR last_hit <> :name)"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   num(1),
			":limit": num(int64(limit)),
			":type":  str(TypeRateLimit),
			":exp":   num(expires.Unix()),
			":name":  str(name),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Table), Key: k, ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("last_hit")})
		if err != nil {
			return false, fmt.Errorf("read refused hit: %w", err)
		}
		last, _ := out.Item["last_hit"].(*types.AttributeValueMemberS)
		return last != nil && last.Value == name, nil // counted by a try whose answer was lost
	}
	if err != nil {
		return false, fmt.Errorf("count hit: %w", err)
	}
	return true, nil
}
