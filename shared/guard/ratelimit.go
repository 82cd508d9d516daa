// Rate limits count requests per client in DynamoDB, so every Lambda instance shares the
// counts: a fixed window per key, one conditional update per check, and the table's TTL
// clears old windows. The form endpoints are limited per client IP and per email
// address, which keeps a card-testing bot from reaching Stripe more than a few times.

package guard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/request"
)

// DB is the part of the DynamoDB client the limiter uses.
type DB interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Rule is how many requests a key may make in a window.
type Rule struct {
	Limit  int
	Window time.Duration
}

// Limiter counts requests.
type Limiter struct {
	DB    DB
	Table string
	Now   func() time.Time
}

// Limited is the answer to a request over a limit: 429 rate_limited (its Unwrap is the
// contract's error), and how long until the window ends.
type Limited struct {
	RetryAfter time.Duration
}

// Wait is how long the client should wait (httpapi.WriteError's Retry-After).
func (l *Limited) Wait() time.Duration { return l.RetryAfter }

func (l *Limited) Error() string { return httpapi.CodeRateLimited }

// Unwrap is the contract's 429 rate_limited error.
func (l *Limited) Unwrap() error {
	return httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited)
}

// Allow counts one request for key under rule, or returns *Limited when the key has used
// its window's allowance. Keys are hashed: the table never holds an IP or an address.
func (l Limiter) Allow(ctx context.Context, key string, rule Rule) error {
	if rule.Limit <= 0 || rule.Window <= 0 {
		return nil // no limit configured
	}
	now := l.Now()
	start := now.Truncate(rule.Window)
	sum := sha256.Sum256([]byte(key))
	_, err := l.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(l.Table),
		Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "RATE#" + hex.EncodeToString(sum[:12])},
			"sk": &types.AttributeValueMemberS{Value: strconv.FormatInt(start.Unix(), 10)},
		},
		UpdateExpression:         aws.String("ADD hits :one SET #type = :type, expires_at = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(hits) OR hits < :limit"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(rule.Limit)},
			":type":  &types.AttributeValueMemberS{Value: "rate_limit"},
			":exp":   &types.AttributeValueMemberN{Value: strconv.FormatInt(start.Add(2*rule.Window).Unix(), 10)},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &Limited{RetryAfter: start.Add(rule.Window).Sub(now)}
	}
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}

// RateLimit limits a form endpoint per client IP and per email address.
type RateLimit struct {
	Limiter  Limiter
	Endpoint string // the endpoint's name in the keys: donations, members…
	PerIP    Rule
	PerEmail Rule
}

// Check counts one request from ip for email (which may be empty).
func (g RateLimit) Check(ctx context.Context, ip, email string) error {
	if err := g.Limiter.Allow(ctx, g.Endpoint+"|ip|"+ip, g.PerIP); err != nil {
		return err
	}
	if email == "" {
		return nil
	}
	return g.Limiter.Allow(ctx, g.Endpoint+"|email|"+email, g.PerEmail)
}

// Request is Check as a request.Guard.
func (g RateLimit) Request(ctx context.Context, s request.Sender) error {
	return g.Check(ctx, s.IP, s.Email)
}

// NewRateLimit is the rate limit of one endpoint: at most perIP requests from one client
// IP and perEmail for one email address in each window (0 turns a limit off).
func NewRateLimit(db DB, table, endpoint string, perIP, perEmail int, window time.Duration) RateLimit {
	return RateLimit{Limiter: Limiter{DB: db, Table: table, Now: time.Now}, Endpoint: endpoint,
		PerIP: Rule{Limit: perIP, Window: window}, PerEmail: Rule{Limit: perEmail, Window: window}}
}
