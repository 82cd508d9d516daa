package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/donation"
)

// A refund or a dispute that came before its payment waits under EARLY#<payment key>,
// one item per event, until the payment's own event records the payment and applies it.
// An invoice's charge and a dispute carry no metadata, so an early event of ours cannot
// be told from one about a charge of another system on the same Stripe account: both
// are acknowledged and kept. Ours are applied when their payment comes; the others
// expire.
func earlyPK(paymentKey string) string { return "EARLY#" + paymentKey }

// EarlyRetention is how long an early refund or dispute waits for its payment: past any
// delay of Stripe's deliveries (three days of retries) and the reconciliation's window.
const EarlyRetention = 35 * 24 * time.Hour

// TypeEarly is the item type of a waiting refund or dispute.
const TypeEarly = "early_adjustment"

type earlyRecord struct {
	PaymentKey string            `dynamodbav:"payment_key"`
	Refund     *donation.Refund  `dynamodbav:"refund,omitempty"`
	Dispute    *donation.Dispute `dynamodbav:"dispute,omitempty"`
	ExpiresAt  int64             `dynamodbav:"expires_at"` // the table's TTL attribute
}

// HoldEarly keeps r or d for its payment, then applies it at once if the payment was
// recorded meanwhile (the payment's event may have looked for early ones just before
// this was written).
func (s *Store) HoldEarly(ctx context.Context, r *donation.Refund, d *donation.Dispute) error {
	rec := earlyRecord{Refund: r, Dispute: d, ExpiresAt: s.Now().Add(EarlyRetention).Unix()}
	var ev donation.Event
	switch {
	case r != nil:
		rec.PaymentKey, ev = r.PaymentKey, r.Event
	case d != nil:
		rec.PaymentKey, ev = d.PaymentKey, d.Event
	default:
		return errors.New("hold early: nothing to hold")
	}
	put, err := s.put(rec, earlyPK(rec.PaymentKey), ev.ID, TypeEarly)
	if err != nil {
		return err
	}
	// Kept once: the same event again (a redelivery, the reconciliation) changes nothing.
	if _, err := s.putNew(ctx, put, "early "+ev.Type); err != nil {
		return err
	}
	if _, err := s.payment(ctx, rec.PaymentKey); errors.Is(err, donation.ErrUnknownPayment) {
		return nil
	} else if err != nil {
		return err
	}
	return s.applyEarly(ctx, rec.PaymentKey)
}

// applyEarly applies the refunds and disputes that came before the payment paymentKey,
// which is recorded now, and marks each applied (the TTL removes it). Each is
// order-free, so applying one twice (a crash before its mark) changes nothing twice.
func (s *Store) applyEarly(ctx context.Context, paymentKey string) error {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		FilterExpression:          aws.String("attribute_not_exists(applied_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(earlyPK(paymentKey))},
	})
	if err != nil {
		return fmt.Errorf("query early: %w", err)
	}
	for _, it := range out.Items {
		var rec earlyRecord
		if err := attributevalue.UnmarshalMap(it, &rec); err != nil {
			return fmt.Errorf("decode early: %w", err)
		}
		switch {
		case rec.Refund != nil:
			err = s.RecordRefund(ctx, *rec.Refund)
		case rec.Dispute != nil:
			err = s.RecordDispute(ctx, *rec.Dispute)
		}
		if errors.Is(err, donation.ErrUnknownPayment) {
			continue // a payment of before payment records of plans: it stays to expire
		}
		if err != nil && !errors.Is(err, donation.ErrDuplicate) {
			return err
		}
		slog.InfoContext(ctx, "early refund or dispute applied", "payment_key", paymentKey, "event_id", text(it, "sk"))
		if _, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
			Key: key(earlyPK(paymentKey), text(it, "sk")), UpdateExpression: aws.String("SET applied_at = :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(s.Now().Unix())}}); err != nil {
			return fmt.Errorf("mark early applied: %w", err)
		}
	}
	return nil
}
