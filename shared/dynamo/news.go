package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/token"
)

// News again, after an opt-out (see consent.AgainEmail): a form's grant for an address
// that unsubscribed writes, beside the form's own records, the email asking the person to
// confirm and a marker under their person (PERSON#<email>/NEWS_REQUEST, kept
// consent.AgainCooldown by the TTL) that holds back another such email meanwhile.
const (
	newsRequestSK = "NEWS_REQUEST"
	// TypeNewsRequest is that marker.
	TypeNewsRequest = "news_request"
)

// NewsRequestKey is the key of a person's news-request marker: for tests that age it.
func NewsRequestKey(email string) map[string]types.AttributeValue {
	return key(personPK(email), newsRequestSK)
}

// consentSK is the sort key of a consent record under its person.
func consentSK(c consent.Record) string {
	return "CONSENT#" + c.At.Format(time.RFC3339Nano) + "#" + c.SourceID
}

// askItems are the items a form's record c adds when it asks news for an address that
// opted out: the marker, then the email asking to confirm. None for any other record.
func (s *Store) askItems(ctx context.Context, c *consent.Record) ([]types.TransactWriteItem, error) {
	if c == nil || !c.Granted {
		return nil, nil
	}
	st, found, err := s.News(ctx, c.Email)
	if err != nil {
		return nil, fmt.Errorf("read news state: %w", err)
	}
	if !consent.Asks(c, st, found) {
		return nil, nil
	}
	now := s.Now().UTC()
	mark, err := item(map[string]any{"sent_at": now.Unix(), TTLAttribute: now.Add(consent.AgainCooldown).Unix()},
		personPK(c.Email), newsRequestSK, TypeNewsRequest)
	if err != nil {
		return nil, err
	}
	mail, err := s.emailPut(consent.AgainEmail(*c, consentSK(*c)))
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: mark,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR sent_at < :cutoff"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": num(now.Add(-consent.AgainCooldown).Unix())}}}, mail}, nil
}

// createAsking writes items as create does, with the items that ask the person of the
// form's record c to confirm they want news again, if it asks that; when the marker
// refuses (one such email went out within consent.AgainCooldown), items alone.
func (s *Store) createAsking(ctx context.Context, items []types.TransactWriteItem, c *consent.Record) error {
	ask, err := s.askItems(ctx, c)
	if err != nil || len(ask) == 0 {
		if err != nil {
			return err
		}
		return s.create(ctx, items)
	}
	all := append(slices.Clip(items), ask...)
	err = s.create(ctx, all)
	if failed, ok := cancelled(err, len(all)); ok && failed[len(items)] {
		return s.create(ctx, items)
	}
	return err
}

// ConsentRecord reads the consent record under sort key ref of a person's partition; ok
// is false when there is none.
func (s *Store) ConsentRecord(ctx context.Context, email, ref string) (consent.Record, bool, error) {
	var c consent.Record
	if !strings.HasPrefix(ref, "CONSENT#") {
		return c, false, nil
	}
	ok, err := s.get(ctx, personPK(email), ref, &c)
	return c, ok, err
}

// ConfirmNews spends the news-confirm token of hash tokenHash, records the grant rec and
// makes the person's news state (and an active member's copy) subscribed, in one
// transaction, unless the token is spent or expired, or the state is subscribed already:
// then it writes nothing and reports false. A second press of the button changes nothing.
func (s *Store) ConfirmNews(ctx context.Context, tokenHash string, rec consent.Record) (bool, error) {
	state, rest, err := s.newsWrites(ctx, rec, true)
	if err != nil {
		return false, err
	}
	now := s.Now().UTC()
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(tokenPK(tokenHash), metaSK),
			UpdateExpression: aws.String("SET used_at = :now"),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :epoch" +
				" AND purpose = :purpose AND subject = :subject"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": mustTime(now), ":epoch": num(now.Unix()), ":purpose": str(token.NewsConfirm), ":subject": str(rec.Email),
			},
		}},
		{Put: &types.Put{TableName: aws.String(s.Table), Item: state,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR subscribed = :no"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":no": &types.AttributeValueMemberBOOL{Value: false}}}},
	}
	items = append(items, rest...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelled(err, len(items)); ok {
		return false, nil // the link is spent, or the person subscribed meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("confirm news: %w", err)
	}
	return true, nil
}
