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

// The send rate of broadcasts (docs/broadcasts.md): one item per second of sending,
// RATE#ses / SEC#<unix second>, whose n counts the broadcast emails every sender sent in
// that second. A sender takes a token before each email; the item expires a minute on.
const (
	sendRatePK = "RATE#ses"
	// TypeSendRate is a second's count of broadcast emails sent.
	TypeSendRate = "rate"
	// sendRateTTL is how long a second's count is kept after it.
	sendRateTTL = time.Minute
)

func sendRateSK(sec int64) string { return "SEC#" + strconv.FormatInt(sec, 10) }

// TakeSendToken takes one of the limit tokens of now's second, shared by every sender on
// the table, with one conditional update: it reports false, counting nothing, when the
// second's limit tokens are all taken (wait for the next second). An update retried by
// the SDK after a lost answer may take two tokens for one email: the count then runs over
// what was sent, never under, so the rate only errs on the slow side.
func (s *Store) TakeSendToken(ctx context.Context, now time.Time, limit int) (bool, error) {
	sec := now.Unix()
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.Table),
		Key:                      key(sendRatePK, sendRateSK(sec)),
		UpdateExpression:         aws.String("ADD n :one SET #type = :type, #exp = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(n) OR n < :limit"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#exp": TTLAttribute},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   num(1),
			":limit": num(int64(limit)),
			":type":  str(TypeSendRate),
			":exp":   num(now.Add(sendRateTTL).Unix() + 1),
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take send token: %w", err)
	}
	return true, nil
}

// SendTokens is how many tokens were taken in the second of at (0 when none, or when its
// count has expired): for tests and benchmarks that check the rate held.
func (s *Store) SendTokens(ctx context.Context, at time.Time) (int, error) {
	var v struct {
		N int `dynamodbav:"n"`
	}
	if _, err := s.get(ctx, sendRatePK, sendRateSK(at.Unix()), &v); err != nil {
		return 0, err
	}
	return v.N, nil
}
