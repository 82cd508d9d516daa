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
)

// Hit counts one request against counter in the window starting at windowStart, unless
// the window already holds limit hits: then it reports false and counts nothing. One
// conditional update per hit, so every Lambda instance shares the counts; the window's
// item expires (TTL) at expires. counter names what is counted and must already be
// anonymous (the rate limiter hashes its keys): it becomes part of the item's key.
func (s *Store) Hit(ctx context.Context, counter string, windowStart time.Time, limit int, expires time.Time) (allowed bool, err error) {
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(ratePK(counter), strconv.FormatInt(windowStart.Unix(), 10)),
		UpdateExpression:         aws.String("ADD hits :one SET #type = :type, expires_at = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(hits) OR hits < :limit"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   num(1),
			":limit": num(int64(limit)),
			":type":  str(TypeRateLimit),
			":exp":   num(expires.Unix()),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("count hit: %w", err)
	}
	return true, nil
}
