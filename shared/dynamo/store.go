// Package dynamo keeps every record in one DynamoDB table of typed items. Each write
// that owes an email puts the outbox item in the same TransactWriteItems as the change.
package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/solidarity/solidarity/shared/outbox"
)

// DB is the part of the DynamoDB client the store uses; *dynamodb.Client satisfies it.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Store reads and writes the table.
type Store struct {
	DB    DB
	Table string
	Now   func() time.Time
}

// New returns a Store on table.
func New(db DB, table string) *Store {
	return &Store{DB: db, Table: table, Now: time.Now}
}

// Item types, kept in every item's "type" attribute so exports stay queryable.
const (
	TypeCampaign = "campaign"
	// TypeCampaignCounter is one of a campaign's counter items (ledger.go counterSK).
	TypeCampaignCounter = "campaign_counter"
	TypeOffline         = "offline_gift"
	TypeOfflineID       = "offline_gift_id" // an offline gift's id, taken in every campaign (void.go)
	TypeDonor           = "campaign_donor"
	TypeDonation        = "donation"
	TypePayment         = "payment"
	TypeDispute         = "dispute"
	TypeStripeEvent     = "stripe_event"
	TypeEmail           = "email"
	TypeConsent         = "consent"
	TypeNewsState       = "news_state"
	TypeMember          = "member"
	TypeBranch          = "branch"
	TypeToken           = "token"
	TypeSubscription    = "subscription"
	TypeCustomer        = "stripe_customer"
	TypePortalRequest   = "portal_request"
	TypeErasure         = "erasure"
	TypeExport          = "export"
	TypeRateLimit       = "rate_limit"
	// A news broadcast, and one recipient's email of it (broadcasts.go).
	TypeBroadcast      = "broadcast"
	TypeBroadcastEmail = "broadcast_email"
)

// ItemType is the type of a table item (one of the Type… constants), or "" for an item
// without one: readers of exports and scans sort items by it.
func ItemType(it map[string]types.AttributeValue) string { return text(it, "type") }

// Sort key of an entity's main item.
const metaSK = "META"

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

func campaignPK(slug string) string { return "CAMPAIGN#" + slug }
func donationPK(id string) string   { return "DONATION#" + id }
func paymentPK(key string) string   { return "PAYMENT#" + key }
func eventPK(id string) string      { return "STRIPE_EVENT#" + id }
func personPK(email string) string  { return "PERSON#" + strings.ToLower(email) }
func emailPK(id string) string      { return "EMAIL#" + id }
func tokenPK(hash string) string    { return "TOKEN#" + hash }
func ratePK(counter string) string  { return "RATE#" + counter }
func exportPK(day time.Time) string { return "EXPORT#" + day.UTC().Format(time.DateOnly) }

// EmailItem is the item the store keeps for the owed email e, as the mailer reads it off
// the stream: for tests that hand the mailer an email of their own.
func EmailItem(e outbox.Email) (map[string]types.AttributeValue, error) {
	return item(e, emailPK(e.ID), metaSK, TypeEmail)
}

// TokenKey is the key of the item that holds a link's token, by the token's hash: for
// tests that age a link.
func TokenKey(hash string) map[string]types.AttributeValue { return key(tokenPK(hash), metaSK) }

// donorSK marks that an address gave to a campaign, for the distinct-donor count. The
// address is hashed: the marker only needs to be unique, not readable.
func donorSK(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return "DONOR#" + hex.EncodeToString(sum[:16])
}

// item marshals v and adds the keys and type.
func item(v any, pk, sk, typ string) (map[string]types.AttributeValue, error) {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", typ, err)
	}
	m["pk"] = &types.AttributeValueMemberS{Value: pk}
	m["sk"] = &types.AttributeValueMemberS{Value: sk}
	m["type"] = &types.AttributeValueMemberS{Value: typ}
	return m, nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// get reads one item into v, reporting whether it exists. Reads are strongly consistent:
// they decide what a money transaction writes.
func (s *Store) get(ctx context.Context, pk, sk string, v any) (bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("get %s: %w", keyKind(pk), err)
	}
	if out.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(out.Item, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", keyKind(pk), err)
	}
	return true, nil
}

// keyKind is the kind part of a key (PERSON#… for PERSON#ana@example.org), for error
// messages: keys of people carry their email address, which must not reach a log.
func keyKind(pk string) string {
	if kind, _, ok := strings.Cut(pk, "#"); ok {
		return kind + "#…"
	}
	return pk
}

func (s *Store) put(v any, pk, sk, typ string) (*types.Put, error) {
	m, err := item(v, pk, sk, typ)
	if err != nil {
		return nil, err
	}
	return &types.Put{TableName: aws.String(s.Table), Item: m,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}, nil
}

// putNew writes put's item unless an item has its key (put's condition): then it reports
// false and changes nothing. what names the item in errors.
func (s *Store) putNew(ctx context.Context, put *types.Put, what string) (bool, error) {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put %s: %w", what, err)
	}
	return true, nil
}

// create writes a new record (items[0], conditional on its key being free) and what goes
// with it, in one call. A retried call whose first attempt applied (its answer lost)
// finds the same record already there: that is success, not a conflict. Record ids are
// random, so only our own write can have put an identical item under the same key.
func (s *Store) create(ctx context.Context, items []types.TransactWriteItem) error {
	first := items[0].Put
	first.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	var err error
	var old map[string]types.AttributeValue
	if len(items) == 1 {
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: first.TableName, Item: first.Item,
			ConditionExpression: first.ConditionExpression, ReturnValuesOnConditionCheckFailure: first.ReturnValuesOnConditionCheckFailure})
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			old = ccf.Item
		}
	} else {
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			old = tce.CancellationReasons[0].Item
		}
	}
	if err != nil && old != nil && reflect.DeepEqual(old, first.Item) {
		return nil
	}
	return err
}

// cancelled reports whether err is a transaction of n items cancelled by failed
// conditions, and which items failed theirs. The slice always has n entries, whatever
// the service returned, so callers may index any item.
func cancelled(err error, n int) (failed []bool, ok bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	failed = make([]bool, n)
	for i, r := range tce.CancellationReasons {
		if i < n && aws.ToString(r.Code) == "ConditionalCheckFailed" {
			failed[i], ok = true, true
		}
	}
	return failed, ok
}

func attrTime(t time.Time) (types.AttributeValue, error) { return attributevalue.Marshal(t) }
