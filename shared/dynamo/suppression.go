package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/suppression"
)

// TypeSuppression is an address the mailer must not mail (package suppression).
const TypeSuppression = "suppression"

// suppressionPK keys an address's suppression by a hash of its canonical form: the item
// holds no address, so exports and reports of the table show none, and it outlives the
// person's erasure (an address that bounced or complained is still not to be mailed).
func suppressionPK(address string) string {
	sum := sha256.Sum256([]byte(contact.CanonicalEmail(address)))
	return "SUPPRESSION#" + hex.EncodeToString(sum[:])
}

// SuppressionKey is the key of the address's suppression item: for tests.
func SuppressionKey(address string) map[string]types.AttributeValue {
	return key(suppressionPK(address), metaSK)
}

// Suppress records r, unless the address is suppressed already: the first record stays,
// and a redelivered event writes nothing. It reports whether it wrote. Suppressions do
// not expire.
func (s *Store) Suppress(ctx context.Context, r suppression.Record) (bool, error) {
	put, err := s.put(r, suppressionPK(r.Address), metaSK, TypeSuppression)
	if err != nil {
		return false, err
	}
	put.Item["recorded_at"] = str(s.Now().UTC().Format(time.RFC3339))
	return s.putNew(ctx, put, "suppression")
}

// Suppressed reports whether the address is suppressed: one GetItem by key.
func (s *Store) Suppressed(ctx context.Context, address string) (bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table), Key: key(suppressionPK(address), metaSK),
		ProjectionExpression: aws.String("pk"),
	})
	if err != nil {
		return false, fmt.Errorf("get suppression: %w", err)
	}
	return out.Item != nil, nil
}

// Unsuppress deletes the address's suppression, so the mailer mails it again (staff
// mail unsuppress, once the cause is fixed: a DKIM break that made receivers bounce, a
// complaint made by mistake). It reports whether there was one.
func (s *Store) Unsuppress(ctx context.Context, address string) (bool, error) {
	out, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.Table), Key: key(suppressionPK(address), metaSK),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return false, fmt.Errorf("delete suppression: %w", err)
	}
	return out.Attributes != nil, nil
}
