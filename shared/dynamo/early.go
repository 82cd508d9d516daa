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
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
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
	items, err := s.waiting(ctx, earlyPK(paymentKey))
	if err != nil {
		return err
	}
	for _, it := range items {
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
		if err := s.markApplied(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// A change of a Stripe customer no subscription knows yet (customer.updated before the
// Checkout's event that links the customer) waits under EARLY#CUSTOMER#<customer id>,
// one item per event, until a subscription learns that customer.
func earlyCustomerPK(customerID string) string { return "EARLY#CUSTOMER#" + customerID }

type earlyCustomerRecord struct {
	CustomerID string              `dynamodbav:"customer_id"`
	Change     subscription.Change `dynamodbav:"change"`
	ExpiresAt  int64               `dynamodbav:"expires_at"` // the table's TTL attribute
}

// HoldCustomerChange keeps c for its customer, then applies it at once if a
// subscription learned the customer meanwhile.
func (s *Store) HoldCustomerChange(ctx context.Context, c subscription.Change, plans plan.Catalogue) error {
	put, err := s.put(earlyCustomerRecord{CustomerID: c.CustomerID, Change: c, ExpiresAt: s.Now().Add(EarlyRetention).Unix()},
		earlyCustomerPK(c.CustomerID), c.EventID, TypeEarly)
	if err != nil {
		return err
	}
	if _, err := s.putNew(ctx, put, "early "+c.Type); err != nil {
		return err
	}
	return s.applyCustomerChanges(ctx, c.CustomerID, plans)
}

// applyCustomerChanges applies the kept changes of customerID to each of its
// subscriptions, if any knows it now, and marks each applied. Apply is order-free (the
// newest event's address wins), so applying one twice changes nothing twice.
func (s *Store) applyCustomerChanges(ctx context.Context, customerID string, plans plan.Catalogue) error {
	items, err := s.waiting(ctx, earlyCustomerPK(customerID))
	if err != nil || len(items) == 0 {
		return err
	}
	ids, err := s.SubscriptionsOfCustomer(ctx, customerID)
	if err != nil || len(ids) == 0 {
		return err
	}
	for _, it := range items {
		var rec earlyCustomerRecord
		if err := attributevalue.UnmarshalMap(it, &rec); err != nil {
			return fmt.Errorf("decode early customer: %w", err)
		}
		c := rec.Change
		for _, id := range ids {
			_, err := s.applySubscriptionEvent(ctx, donation.Event{ID: c.EventID, Type: c.Type}, id, c, plans)
			if err != nil && !errors.Is(err, donation.ErrDuplicate) && !errors.Is(err, subscription.ErrNotFound) {
				return err
			}
		}
		slog.InfoContext(ctx, "early customer change applied", "customer_id", customerID, "event_id", c.EventID)
		if err := s.markApplied(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// waiting are the kept items under pk not applied yet.
func (s *Store) waiting(ctx context.Context, pk string) ([]map[string]types.AttributeValue, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		FilterExpression:          aws.String("attribute_not_exists(applied_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	})
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", keyKind(pk), err)
	}
	return out.Items, nil
}

// markApplied marks a kept item applied; the TTL removes it.
func (s *Store) markApplied(ctx context.Context, it map[string]types.AttributeValue) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.Table),
		Key: key(text(it, "pk"), text(it, "sk")), UpdateExpression: aws.String("SET applied_at = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(s.Now().Unix())}})
	if err != nil {
		return fmt.Errorf("mark %s applied: %w", keyKind(text(it, "pk")), err)
	}
	return nil
}
