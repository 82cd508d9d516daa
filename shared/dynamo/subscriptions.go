package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
)

// Subscription items: the record under SUBSCRIPTION#<id>, indexed by person on GSI1; a
// customer's subscriptions under CUSTOMER#<id> (for events that name only the customer);
// and each Stripe customer of a person under PERSON#<email>/CUSTOMER#<id>, for the
// customer portal. That link is written only from Stripe's events after a Checkout was
// paid, and never makes a later Checkout reuse the customer (see payment.PlanSession).
func subscriptionPK(id string) string { return "SUBSCRIPTION#" + id }
func customerPK(id string) string     { return "CUSTOMER#" + id }

// customerSK is a person's link to one of their Stripe customers. (Items written before
// a person could have several have the bare prefix "CUSTOMER" as their sort key; they are
// read the same way.)
func customerSK(id string) string { return "CUSTOMER#" + id }

const customerSKPrefix = "CUSTOMER"

// CreateSubscription stores a subscription whose Checkout is being opened, with the
// consent record when the person agreed to news, in one transaction.
func (s *Store) CreateSubscription(ctx context.Context, sub subscription.Subscription, c *consent.Record) error {
	put, err := s.subscriptionPut(sub)
	if err != nil {
		return err
	}
	put.ConditionExpression = aws.String("attribute_not_exists(pk)")
	items := []types.TransactWriteItem{{Put: put}}
	if items, err = s.withConsent(items, c); err != nil {
		return err
	}
	if err := s.createAsking(ctx, items, c); err != nil { // for an address that opted out, asks by email instead
		return fmt.Errorf("create subscription: %w", err)
	}
	return nil
}

func (s *Store) subscriptionPut(sub subscription.Subscription) (*types.Put, error) {
	it, err := item(sub, subscriptionPK(sub.ID), metaSK, TypeSubscription)
	if err != nil {
		return nil, err
	}
	if !sub.IsErased() { // an erased record is nobody's: not indexed by person
		it["gsi1pk"], it["gsi1sk"] = str(personPK(sub.Email)), str("SUBSCRIPTION#"+sub.CreatedAt.UTC().Format(time.RFC3339)+"#"+sub.ID)
	}
	if sub.Status == subscription.StatusPending {
		// Never paid: deleted by the TTL (PendingRetention). Every write is a whole put,
		// so the first event that makes it live drops the TTL.
		it[TTLAttribute] = pendingExpiresAt(sub.CreatedAt)
	}
	return &types.Put{TableName: aws.String(s.Table), Item: it}, nil
}

// Subscription reads a subscription, or subscription.ErrNotFound.
func (s *Store) Subscription(ctx context.Context, id string) (subscription.Subscription, error) {
	var sub subscription.Subscription
	found, err := s.get(ctx, subscriptionPK(id), metaSK, &sub)
	if err == nil && !found {
		err = subscription.ErrNotFound
	}
	return sub, err
}

// Customers returns the Stripe customers recorded for a canonical email address by its
// subscriptions, oldest link first.
func (s *Store) Customers(ctx context.Context, email string) ([]string, error) {
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(personPK(email)), ":sk": str(customerSKPrefix)},
	})
	var ids []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query customers: %w", err)
		}
		for _, it := range page.Items {
			if id := text(it, "customer_id"); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// SubscriptionsOfCustomer lists the ids of a Stripe customer's subscriptions.
func (s *Store) SubscriptionsOfCustomer(ctx context.Context, customerID string) ([]string, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(customerPK(customerID))},
	})
	if err != nil {
		return nil, fmt.Errorf("query customer: %w", err)
	}
	ids := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		if v, ok := it["subscription_id"].(*types.AttributeValueMemberS); ok {
			ids = append(ids, v.Value)
		}
	}
	return ids, nil
}

// ApplySubscriptionEvent applies one Stripe event to a subscription: it reads the record,
// computes the change (subscription.Apply), and writes the record, the event id and the
// email owed in one transaction, conditional on the record being unchanged since the
// read — else it reads again. donation.ErrDuplicate if the event was applied before.
func (s *Store) ApplySubscriptionEvent(ctx context.Context, ev donation.Event, id string, c subscription.Change, plans plan.Catalogue) error {
	linked, err := s.applySubscriptionEvent(ctx, ev, id, c, plans)
	if err != nil && !errors.Is(err, donation.ErrDuplicate) {
		return err
	}
	if c.Type == subscription.InvoicePaid && c.PaymentKey != "" {
		// The invoice's refunds and disputes may have come first (HoldEarly).
		if werr := s.applyEarly(ctx, c.PaymentKey); werr != nil {
			return werr
		}
	}
	if linked || (errors.Is(err, donation.ErrDuplicate) && c.Type == subscription.Completed && c.CustomerID != "") {
		// The subscription learned its customer (or, its Checkout's event again, may
		// have before a crash): the customer's changes that came first
		// (HoldCustomerChange) apply now.
		if werr := s.applyCustomerChanges(ctx, c.CustomerID, plans); werr != nil {
			return werr
		}
	}
	return err
}

// applySubscriptionEvent is ApplySubscriptionEvent's transaction; linked reports that
// it gave the subscription its Stripe customer.
func (s *Store) applySubscriptionEvent(ctx context.Context, ev donation.Event, id string, c subscription.Change, plans plan.Catalogue) (linked bool, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		sub, err := s.Subscription(ctx, id)
		if err != nil {
			return false, err
		}
		eff := subscription.Apply(sub, c)
		next := eff.Subscription
		next.Rev = sub.Rev + 1
		items, err := s.subscriptionEventItems(ev, sub, next, subscription.Email(eff, c, plans[sub.Plan]))
		if err != nil {
			return false, err
		}
		if eff.Paid && c.PaymentKey != "" {
			// The invoice's payment, which its charge's refunds and disputes find.
			pay, err := s.planPaymentPut(next, c, eff.Foreign)
			if err != nil {
				return false, err
			}
			items = append(items, pay)
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		failed, isCancel := cancelled(err, len(items))
		switch {
		case err == nil:
			if eff.Foreign { // ids and currency codes only
				slog.WarnContext(ctx, "plan invoice paid in another currency, in no total", "alarm", AlarmForeignCurrency,
					"event_id", ev.ID, "invoice_id", c.InvoiceID, "subscription_id", id,
					"currency", strings.ToLower(c.Currency), "expected_currency", sub.Currency)
			}
			return sub.CustomerID == "" && next.CustomerID != "", nil
		case isCancel && failed[0]:
			return false, donation.ErrDuplicate
		case isCancel && failed[1]:
			continue // another event changed the record meanwhile: read it again
		case isCancel && failed[2] && len(items) > 2 && items[2].Put != nil && isEmail(items[2].Put):
			return false, donation.ErrDuplicate // its email exists: applied before the event id expired
		}
		return false, fmt.Errorf("apply %s: %w", ev.Type, err)
	}
	return false, fmt.Errorf("apply %s: %w", ev.Type, subscription.ErrConflict)
}

// planPaymentPut is the payment record of a plan's invoice paid for the first time:
// counted in the plan's currency, or Foreign (in no total) when paid in another.
func (s *Store) planPaymentPut(sub subscription.Subscription, c subscription.Change, foreign bool) (types.TransactWriteItem, error) {
	pr := PaymentRecord{Key: c.PaymentKey, PlanID: sub.ID, AmountCents: c.AmountCents, Currency: sub.Currency,
		PaidAt: c.PaidAt.UTC(), InvoiceID: c.InvoiceID, SubscriptionID: c.StripeID, EventID: c.EventID,
		ReceiptNumber: ReceiptNumber(c.PaidAt, c.PaymentKey), Foreign: foreign}
	if foreign {
		pr.AmountCents, pr.ChargedCents, pr.ChargedCurrency = 0, c.AmountCents, strings.ToLower(c.Currency)
	}
	put, err := s.put(pr, paymentPK(c.PaymentKey), metaSK, TypePayment)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	put.ConditionExpression = nil // written once: when Apply first counts the invoice
	return types.TransactWriteItem{Put: put}, nil
}

func isEmail(p *types.Put) bool {
	t, ok := p.Item["type"].(*types.AttributeValueMemberS)
	return ok && t.Value == TypeEmail
}

// subscriptionEventItems are the writes of one applied event: its id (per subscription,
// since a customer's event may touch several), the record if unchanged since rev, the
// email, and the customer's links the first time the subscription learns its customer.
func (s *Store) subscriptionEventItems(ev donation.Event, prev, next subscription.Subscription, mail *outbox.Email) ([]types.TransactWriteItem, error) {
	now := s.Now().UTC()
	evPut, err := s.put(eventRecord{ID: ev.ID, EventType: ev.Type, ReceivedAt: now, ExpiresAt: now.Add(EventRetention).Unix()},
		eventPK(ev.ID), "SUBSCRIPTION#"+next.ID, TypeStripeEvent)
	if err != nil {
		return nil, err
	}
	subPut, err := s.subscriptionPut(next)
	if err != nil {
		return nil, err
	}
	subPut.ConditionExpression = aws.String("rev = :rev")
	subPut.ExpressionAttributeValues = map[string]types.AttributeValue{":rev": num(prev.Rev)}
	items := []types.TransactWriteItem{{Put: evPut}, {Put: subPut}}
	if mail != nil {
		m, err := s.emailPut(*mail)
		if err != nil {
			return nil, err
		}
		items = append(items, m)
	}
	if prev.CustomerID == "" && next.CustomerID != "" && !next.IsErased() {
		link, err := item(map[string]string{"subscription_id": next.ID, "email": next.Email}, customerPK(next.CustomerID), "SUB#"+next.ID, TypeCustomer)
		if err != nil {
			return nil, err
		}
		person, err := item(map[string]string{"customer_id": next.CustomerID}, personPK(next.Email), customerSK(next.CustomerID), TypeCustomer)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: link}},
			types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: person}})
	}
	return items, nil
}

// Subscriptions calls fn with every subscription (the staff lists).
func (s *Store) Subscriptions(ctx context.Context, fn func(subscription.Subscription) error) error {
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{
		TableName:                 aws.String(s.Table),
		FilterExpression:          aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(TypeSubscription)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan subscriptions: %w", err)
		}
		for _, it := range page.Items {
			var sub subscription.Subscription
			if err := attributevalue.UnmarshalMap(it, &sub); err != nil {
				return fmt.Errorf("decode subscription: %w", err)
			}
			if err := fn(sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecurringCustomers returns the Stripe customers behind a person's subscriptions and
// monthly gifts, each once, or none. Each Checkout makes a new customer, so a person with
// a subscription and a monthly gift has two.
func (s *Store) RecurringCustomers(ctx context.Context, email string) ([]string, error) {
	ids, err := s.Customers(ctx, email)
	if err != nil {
		return nil, err
	}
	err = s.queryGSI1(ctx, personPK(email), "DONATION#", func(it map[string]types.AttributeValue) error {
		if id := text(it, "stripe_customer_id"); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// PortalCooldown is how often one address may be sent a link to the customer portal.
const PortalCooldown = 10 * time.Minute

// RequestPortal writes the email with a portal link, unless one was sent to the address
// less than PortalCooldown ago: then it writes nothing and reports false.
func (s *Store) RequestPortal(ctx context.Context, email string, e outbox.Email) (bool, error) {
	now := s.Now().UTC()
	mark, err := item(map[string]any{"sent_at": now.Unix(), TTLAttribute: now.Add(PortalCooldown).Unix()}, personPK(email), "PORTAL", TypePortalRequest)
	if err != nil {
		return false, err
	}
	mail, err := s.emailPut(e)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: mark,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR sent_at < :cutoff"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cutoff": num(now.Add(-PortalCooldown).Unix())}}}, mail}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("request portal: %w", err)
	}
	return true, nil
}

// SpendToken marks a link's token used, if it is unused and unexpired; token.ErrUsed
// otherwise.
func (s *Store) SpendToken(ctx context.Context, hash string) error {
	now := s.Now().UTC()
	at, err := attributevalue.Marshal(now)
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(tokenPK(hash), metaSK),
		UpdateExpression:          aws.String("SET used_at = :now"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :epoch"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": at, ":epoch": num(now.Unix())},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return token.ErrUsed
	}
	if err != nil {
		return fmt.Errorf("spend token: %w", err)
	}
	return nil
}
