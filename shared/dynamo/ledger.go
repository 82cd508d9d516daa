package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/outbox"
)

// EventRetention is how long a processed Stripe event id is kept for deduplication.
// Stripe retries for three days; effects also carry their own keys (payment intent,
// refund totals), so an event replayed after this still changes nothing.
const EventRetention = 90 * 24 * time.Hour

// PendingRetention is how long a donation or subscription whose Checkout never paid is
// kept after it was created: then the table's TTL deletes it, as it does unconfirmed
// signups (member.PendingRetention), since the details of someone who never gave are not
// ours to keep. Checkout sessions expire after a day and delayed payment methods settle
// within days, so a month is far past any payment that could still arrive. The first
// payment (or, for a monthly gift, the link to its Stripe subscription) removes the TTL.
const PendingRetention = 30 * 24 * time.Hour

// pendingExpiresAt is when the TTL deletes a record created at created, if never paid.
func pendingExpiresAt(created time.Time) types.AttributeValue {
	return num(created.Add(PendingRetention).Unix())
}

// maxAttempts bounds the optimistic retries when a concurrent write changed what a
// transaction read.
const maxAttempts = 5

var _ donation.Ledger = (*Store)(nil)

type eventRecord struct {
	ID         string    `dynamodbav:"id"`
	EventType  string    `dynamodbav:"event_type"`
	ReceivedAt time.Time `dynamodbav:"received_at"`
	ExpiresAt  int64     `dynamodbav:"expires_at"` // the table's TTL attribute
}

func (s *Store) eventPut(ev donation.Event) (types.TransactWriteItem, error) {
	now := s.Now().UTC()
	put, err := s.put(eventRecord{ID: ev.ID, EventType: ev.Type, ReceivedAt: now,
		ExpiresAt: now.Add(EventRetention).Unix()}, eventPK(ev.ID), metaSK, TypeStripeEvent)
	return types.TransactWriteItem{Put: put}, err
}

// PaymentRecord is one confirmed payment as stored, keyed by its payment intent.
type PaymentRecord struct {
	Key            string    `dynamodbav:"payment_key"`
	DonationID     string    `dynamodbav:"donation_id"`
	Campaign       string    `dynamodbav:"campaign"`
	AmountCents    int64     `dynamodbav:"amount_cents"`
	Currency       string    `dynamodbav:"currency"`
	RefundedCents  int64     `dynamodbav:"refunded_cents"`
	PaidAt         time.Time `dynamodbav:"paid_at"`
	InvoiceID      string    `dynamodbav:"invoice_id,omitempty"`
	SubscriptionID string    `dynamodbav:"stripe_subscription_id,omitempty"`
	ReceiptNumber  string    `dynamodbav:"receipt_number"`
	EventID        string    `dynamodbav:"event_id"`
	Disputed       bool      `dynamodbav:"disputed,omitempty"`
	// DisputedCents is what disputes of the payment hold now, as counted (Counted): out
	// of the totals while Stripe holds it.
	DisputedCents int64 `dynamodbav:"disputed_cents"`
	// PlanID is our subscription record (a subscription's or dues' invoice) the payment
	// belongs to, for a payment of a plan; DonationID is empty then.
	PlanID string `dynamodbav:"plan_id,omitempty"`
	// AmountCents and Currency are the money counted, in the campaign's (or plan's)
	// currency. When Stripe charged another currency, ChargedCents and ChargedCurrency are
	// what it charged: converted from ours (Adaptive Pricing), AmountCents is the amount
	// it converted from; not converted, the payment is Foreign and AmountCents is zero.
	ChargedCents    int64  `dynamodbav:"charged_cents,omitempty"`
	ChargedCurrency string `dynamodbav:"charged_currency,omitempty"`
	Foreign         bool   `dynamodbav:"foreign_currency,omitempty"`
	// Mismatch is what of the payment differed from its donation's request, which it
	// counts as Stripe reported it (donation.Payment.Mismatch: amount, session).
	Mismatch string `dynamodbav:"mismatch,omitempty"`
	// CounterShard is the campaign's counter item that counted the payment (1…N), where
	// its refunds and disputes are counted too; 0, the campaign's own item (payments
	// recorded before counters were spread).
	CounterShard int `dynamodbav:"counter_shard,omitempty"`
}

// Counted is an amount of the payment's charge (a refund's or a dispute's, which Stripe
// states in the currency it charged) as counted: itself when the charge was in our
// currency, the same share of AmountCents when Stripe converted it, rounded to the
// nearest cent, and at most AmountCents. A Foreign payment counts nothing.
func (pr PaymentRecord) Counted(chargeCents int64) int64 {
	if pr.ChargedCents <= 0 || pr.ChargedCurrency == "" {
		return min(chargeCents, pr.AmountCents)
	}
	if chargeCents <= 0 || pr.Foreign {
		return 0
	}
	share := new(big.Int).Mul(big.NewInt(min(chargeCents, pr.ChargedCents)), big.NewInt(pr.AmountCents))
	share.Add(share, big.NewInt(pr.ChargedCents/2))
	return share.Quo(share, big.NewInt(pr.ChargedCents)).Int64()
}

// ReceiptNumber derives a short, stable receipt number from a payment key: the same
// payment always gets the same number, and no counter item becomes a hot spot.
func ReceiptNumber(paidAt time.Time, paymentKey string) string {
	sum := sha256.Sum256([]byte(paymentKey))
	code := base32.StdEncoding.EncodeToString(sum[:])[:8]
	return fmt.Sprintf("SOL-%d-%s", paidAt.Year(), code)
}

// AlarmForeignCurrency is the alarm of a payment Stripe made in a currency other than its
// campaign's or plan's, unconverted: recorded, receipted and in no total, for staff to
// look into (a Payment Link or a dashboard setting that lets Stripe change the currency).
const AlarmForeignCurrency = "foreign_currency"

// AlarmPaymentMismatch is the alarm of a payment whose amount or Checkout session differs
// from what its donation asked Stripe for (donation.Payment.Mismatch): counted as Stripe
// reports it, recorded on the payment, for staff to look into.
const AlarmPaymentMismatch = "payment_mismatch"

// RecordPayment applies a confirmed payment: the payment record, the donation's totals
// and status, the campaign's counters (raised, donations, distinct donors) and the receipt
// email, with the event id, in one transaction. A replayed event or an already recorded
// payment returns donation.ErrDuplicate and changes nothing. Only money in the gift's
// currency is counted (donation.Payment.In): a payment in another is recorded with its
// own amount and currency, receipted, kept out of every total and alarmed.
func (s *Store) RecordPayment(ctx context.Context, p donation.Payment) error {
	err := s.recordPayment(ctx, p)
	if err == nil || errors.Is(err, donation.ErrDuplicate) {
		// Its refunds and disputes may have come first, and wait (HoldEarly).
		if werr := s.applyEarly(ctx, p.Key); werr != nil {
			return werr
		}
	}
	return err
}

func (s *Store) recordPayment(ctx context.Context, p donation.Payment) error {
	donorKnown, stale := false, true
	var d donation.Donation
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if stale {
			var err error
			if d, err = s.Donation(ctx, p.DonationID); err != nil {
				return err
			}
		}
		items, donorIdx, err := s.paymentItems(d, p, donorKnown)
		if err != nil {
			return err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		failed, isCancel := cancelled(err, len(items))
		if !isCancel {
			if err != nil {
				return fmt.Errorf("record payment: %w", err)
			}
			if _, ok := p.In(d.Currency); !ok {
				// Ids and currency codes only: who paid is not for the logs.
				slog.WarnContext(ctx, "payment in another currency, in no total", "alarm", AlarmForeignCurrency,
					"event_id", p.Event.ID, "payment_key", p.Key, "donation_id", d.ID,
					"currency", strings.ToLower(p.Currency), "expected_currency", d.Currency)
			}
			if m := p.Mismatch(d); m != "" {
				// Ids and amounts only, as above.
				slog.WarnContext(ctx, "payment differs from its request", "alarm", AlarmPaymentMismatch,
					"event_id", p.Event.ID, "payment_key", p.Key, "donation_id", d.ID, "session_id", p.SessionID,
					"differs", m, "requested_cents", d.ChargeCents, "stripe_cents", p.AmountCents,
					"currency", strings.ToLower(p.Currency))
			}
			return nil
		}
		switch {
		case failed[0] || failed[1]:
			return donation.ErrDuplicate
		case failed[2]:
			stale = true // another payment of this donation came first: read it again
		case donorIdx >= 0 && failed[donorIdx]:
			// The address gave to this campaign before, through another donation.
			donorKnown, stale = true, false
		default:
			stale = true
		}
	}
	return fmt.Errorf("record payment %s: too much contention", p.Key)
}

func (s *Store) paymentItems(d donation.Donation, p donation.Payment, donorKnown bool) ([]types.TransactWriteItem, int, error) {
	ev, err := s.eventPut(p.Event)
	if err != nil {
		return nil, 0, err
	}
	counted, ok := p.In(d.Currency)
	pr := PaymentRecord{
		Key: p.Key, DonationID: d.ID, Campaign: d.Campaign, AmountCents: counted,
		Currency: d.Currency, PaidAt: p.PaidAt.UTC(), InvoiceID: p.InvoiceID,
		SubscriptionID: p.SubscriptionID, ReceiptNumber: ReceiptNumber(p.PaidAt, p.Key),
		EventID: p.Event.ID, Foreign: !ok, Mismatch: p.Mismatch(d),
	}
	if ok && d.Campaign != "" {
		pr.CounterShard = counterShard(p.Key, d.CounterShards)
	}
	if !strings.EqualFold(p.Currency, d.Currency) {
		pr.ChargedCents, pr.ChargedCurrency = p.AmountCents, strings.ToLower(p.Currency)
	}
	payPut, err := s.put(pr, paymentPK(p.Key), metaSK, TypePayment)
	if err != nil {
		return nil, 0, err
	}
	// The donation and the campaign count its first payment in the gift's currency.
	first := ok && d.PaymentCount-d.ForeignPayments == 0

	set := []string{"#s = :paid", "last_paid_at = :at"}
	vals := map[string]types.AttributeValue{
		":paid": str(donation.StatusPaid), ":at": str(pr.PaidAt.Format(time.RFC3339)),
		":amt": num(counted), ":one": num(1), ":pc": num(d.PaymentCount),
	}
	add := "paid_cents :amt, payment_count :one"
	if !ok {
		add += ", foreign_payment_count :one"
	}
	if p.SubscriptionID != "" {
		set = append(set, "stripe_subscription_id = :sub")
		vals[":sub"] = str(p.SubscriptionID)
	}
	if p.CustomerID != "" {
		set = append(set, "stripe_customer_id = :cus")
		vals[":cus"] = str(p.CustomerID)
	}
	// Paid: the record is kept (its TTL goes). Unless it was read erased, it must still
	// not be when written, or the receipt would go to a person erased meanwhile.
	cond := "payment_count = :pc"
	if !d.IsErased() {
		cond += " AND attribute_not_exists(erased)"
	}
	donationUpdate := &types.Update{
		TableName: aws.String(s.Table), Key: key(donationPK(d.ID), metaSK),
		UpdateExpression:          aws.String("SET " + strings.Join(set, ", ") + " ADD " + add + " REMOVE #exp"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#exp": TTLAttribute},
		ExpressionAttributeValues: vals,
	}

	campaignAdd := "paid_cents :amt"
	campaignVals := map[string]types.AttributeValue{":amt": num(counted)}
	if first {
		campaignAdd += ", donation_count :one"
		campaignVals[":one"] = num(1)
		if !donorKnown {
			campaignAdd += ", donor_count :one"
		}
	}
	// One of the campaign's counter items, made by its first payment: no condition on
	// the campaign's own item, which every payment would then hold (docs/performance.md).
	campaignUpdate := &types.Update{
		TableName: aws.String(s.Table), Key: key(campaignPK(d.Campaign), counterSK(pr.CounterShard)),
		UpdateExpression:          aws.String("SET #t = :ctype, campaign = :slug ADD " + campaignAdd),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: campaignVals,
	}
	campaignVals[":ctype"], campaignVals[":slug"] = str(TypeCampaignCounter), str(d.Campaign)

	items := []types.TransactWriteItem{ev, {Put: payPut}, {Update: donationUpdate}}
	if ok { // money in another currency is in no total of the campaign
		items = append(items, types.TransactWriteItem{Update: campaignUpdate})
	}
	if !d.IsErased() { // an erased donor's money counts, but no one is written to
		// The donor paid, so the receipt goes out: for the amount counted, in our
		// currency, or, for a payment in another, for what Stripe charged in it.
		receipted := p
		if ok {
			receipted.AmountCents, receipted.Currency = counted, d.Currency
		}
		receipt, err := s.emailPut(donation.ReceiptEmail(d, receipted, pr.ReceiptNumber))
		if err != nil {
			return nil, 0, err
		}
		items = append(items, receipt)
	}
	donorIdx := -1
	if first && !donorKnown && !d.IsErased() { // an erased donor has no address to mark
		marker, err := s.put(struct {
			Campaign string `dynamodbav:"campaign"`
		}{d.Campaign}, campaignPK(d.Campaign), donorSK(d.Email), TypeDonor)
		if err != nil {
			return nil, 0, err
		}
		donorIdx = len(items)
		items = append(items, types.TransactWriteItem{Put: marker})
	}
	return items, donorIdx, nil
}

func (s *Store) emailPut(e outbox.Email) (types.TransactWriteItem, error) {
	e.Status = outbox.StatusPending
	e.CreatedAt = s.Now().UTC()
	put, err := s.put(e, emailPK(e.ID), metaSK, TypeEmail)
	return types.TransactWriteItem{Put: put}, err
}

// LinkSubscription records the Stripe subscription and customer of a monthly gift whose
// Checkout completed. Its money arrives with each invoice.paid.
func (s *Store) LinkSubscription(ctx context.Context, ev donation.Event, donationID, subscriptionID, customerID string) error {
	evPut, err := s.eventPut(ev)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		evPut,
		{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(donationPK(donationID), metaSK),
			UpdateExpression:         aws.String("SET stripe_subscription_id = :sub, stripe_customer_id = :cus REMOVE #exp"),
			ConditionExpression:      aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames: map[string]string{"#exp": TTLAttribute}, // a live monthly gift is kept
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":sub": str(subscriptionID), ":cus": str(customerID),
			},
		}},
	}})
	return ackCancelled(err, donation.ErrNotFound)
}

// ackCancelled maps the outcome of a transaction whose first item is the event id to
// its meaning: a failed event condition is a duplicate, any other failed condition is
// secondFailed.
func ackCancelled(err error, secondFailed error) error {
	// Every item's reason counts: sized to the first alone, a failure of any other item
	// would read as no failed condition at all.
	n := 1
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		n = max(n, len(tce.CancellationReasons))
	}
	failed, isCancel := cancelled(err, n)
	switch {
	case !isCancel && err != nil:
		return fmt.Errorf("transaction: %w", err)
	case !isCancel:
		return nil
	case failed[0]:
		return donation.ErrDuplicate
	default:
		return secondFailed
	}
}

// FailDonation marks a pending donation failed (its delayed payment was declined) and
// tells the donor. A donation that is no longer pending is left as it is. The notice is
// written only if the donation is still not erased when written (an erasure between
// the read and the write would otherwise leave an email with the donor's name and
// address): if it was erased meanwhile, the donation is read again and marked failed,
// telling no one.
func (s *Store) FailDonation(ctx context.Context, ev donation.Event, donationID string) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		d, err := s.Donation(ctx, donationID)
		if err != nil {
			return err
		}
		evPut, err := s.eventPut(ev)
		if err != nil {
			return err
		}
		// A failed gift was never paid: it keeps its TTL and goes with it.
		cond := "#s = :pending"
		if !d.IsErased() {
			cond += " AND attribute_not_exists(erased)"
		}
		items := []types.TransactWriteItem{
			evPut,
			{Update: &types.Update{
				TableName: aws.String(s.Table), Key: key(donationPK(d.ID), metaSK),
				UpdateExpression:          aws.String("SET #s = :failed"),
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeNames:  map[string]string{"#s": "status"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":failed": str(donation.StatusFailed), ":pending": str(donation.StatusPending)},
			}},
		}
		if !d.IsErased() {
			notice, err := s.emailPut(donation.FailedEmail(d))
			if err != nil {
				return err
			}
			items = append(items, notice)
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		err = ackCancelled(err, errNotPending)
		if !errors.Is(err, errNotPending) {
			return err
		}
		if !d.IsErased() {
			if now, rerr := s.Donation(ctx, d.ID); rerr == nil && now.IsErased() && now.Status == donation.StatusPending {
				continue // erased meanwhile: mark it failed, and tell no one
			}
		}
		return nil // paid or failed already: nothing to change, nothing to tell
	}
	return fmt.Errorf("fail donation %s: too much contention", donationID)
}

var errNotPending = errors.New("donation not pending")

func (s *Store) payment(ctx context.Context, paymentKey string) (PaymentRecord, error) {
	var pr PaymentRecord
	found, err := s.get(ctx, paymentPK(paymentKey), metaSK, &pr)
	if err == nil && !found {
		err = donation.ErrUnknownPayment
	}
	return pr, err
}

// RecordRefund brings a payment's refunded total up to r's, subtracting only the
// difference from the records that count the payment: the donation and the campaign, or
// the plan's subscription. Totals that are not larger than the one recorded (replays, or
// events arriving out of order) change nothing.
func (s *Store) RecordRefund(ctx context.Context, r donation.Refund) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		pr, err := s.payment(ctx, r.PaymentKey)
		if err != nil {
			return err
		}
		total := pr.Counted(r.RefundedTotalCents) // Stripe's total is in the charge's currency
		if total <= pr.RefundedCents {
			return donation.ErrDuplicate
		}
		evPut, err := s.eventPut(r.Event)
		if err != nil {
			return err
		}
		items := []types.TransactWriteItem{
			evPut,
			{Update: &types.Update{
				TableName: aws.String(s.Table), Key: key(paymentPK(r.PaymentKey), metaSK),
				UpdateExpression:          aws.String("SET refunded_cents = :total"),
				ConditionExpression:       aws.String("refunded_cents = :old"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":total": num(total), ":old": num(pr.RefundedCents)},
			}},
		}
		items = append(items, s.countedBy(pr, "refunded_cents", total-pr.RefundedCents, false)...)
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		err = ackCancelled(err, errRefundRace)
		if !errors.Is(err, errRefundRace) {
			return err
		}
	}
	return fmt.Errorf("record refund %s: too much contention", r.PaymentKey)
}

var errRefundRace = errors.New("refund total changed concurrently")

// countedBy are the writes that add delta cents to attr (refunded_cents or
// disputed_cents) of the records that count pr's money: its donation and campaign, or its
// plan's subscription (whose rev moves, so that a concurrent whole write of the record
// reads it again). flag also marks the donation disputed. A delta of zero touches no
// total, so the campaign's item is spared.
func (s *Store) countedBy(pr PaymentRecord, attr string, delta int64, flag bool) []types.TransactWriteItem {
	add := map[string]types.AttributeValue{":d": num(delta)}
	var items []types.TransactWriteItem
	if pr.PlanID != "" {
		if delta != 0 {
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.Table), Key: key(subscriptionPK(pr.PlanID), metaSK),
				UpdateExpression:          aws.String("ADD " + attr + " :d, rev :one"),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":d": num(delta), ":one": num(1)},
			}})
		}
		return items
	}
	donationUpdate := &types.Update{
		TableName: aws.String(s.Table), Key: key(donationPK(pr.DonationID), metaSK),
		UpdateExpression: aws.String("ADD " + attr + " :d"), ExpressionAttributeValues: add,
	}
	if flag {
		donationUpdate.UpdateExpression = aws.String("SET disputed = :t ADD " + attr + " :d")
		donationUpdate.ExpressionAttributeValues = map[string]types.AttributeValue{":d": num(delta),
			":t": &types.AttributeValueMemberBOOL{Value: true}}
	}
	if delta == 0 && !flag {
		return nil
	}
	items = append(items, types.TransactWriteItem{Update: donationUpdate})
	if delta != 0 { // on the counter item that counted the payment
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(campaignPK(pr.Campaign), counterSK(pr.CounterShard)),
			UpdateExpression: aws.String("ADD " + attr + " :d"), ExpressionAttributeValues: add,
		}})
	}
	return items
}

// counterSK is the sort key of a campaign's counter item shard (1…N), or of the
// campaign's own item for 0: all begin with META, so one Query reads them together.
func counterSK(shard int) string {
	if shard <= 0 {
		return metaSK
	}
	return fmt.Sprintf("%s#COUNT#%04d", metaSK, shard)
}

// counterShard is the counter item (1…shards, campaign.DefaultCounterShards if shards is
// 0) that counts the payment with key: a hash of it, so spread evenly and the same on
// every retry.
func counterShard(paymentKey string, shards int) int {
	if shards <= 0 {
		shards = campaign.DefaultCounterShards
	}
	shards = min(shards, campaign.MaxCounterShards)
	h := fnv.New32a()
	h.Write([]byte(paymentKey))
	return 1 + int(h.Sum32()%uint32(shards))
}

func disputePK(id string) string { return "DISPUTE#" + id }

// disputeRecord is a chargeback as stored: the latest of Stripe's reports applied
// (Progress), and what it holds of the payment's money as counted.
type disputeRecord struct {
	ID             string    `dynamodbav:"id"`
	PaymentKey     string    `dynamodbav:"payment_key"`
	ChargeID       string    `dynamodbav:"charge_id"`
	DonationID     string    `dynamodbav:"donation_id,omitempty"`
	PlanID         string    `dynamodbav:"plan_id,omitempty"`
	Campaign       string    `dynamodbav:"campaign,omitempty"`
	AmountCents    int64     `dynamodbav:"amount_cents"` // the charge's currency
	Reason         string    `dynamodbav:"reason"`
	Status         string    `dynamodbav:"status"`
	CreatedAt      time.Time `dynamodbav:"created_at"`
	Withdrawals    int       `dynamodbav:"withdrawals"`
	Reinstatements int       `dynamodbav:"reinstatements"`
	Progress       int       `dynamodbav:"progress"`
	HeldCents      int64     `dynamodbav:"held_cents"` // counted, as the payment's DisputedCents
	EventID        string    `dynamodbav:"event_id"`
}

// RecordDispute brings a chargeback to the state d reports, unless a report as far along
// was applied before (donation.Dispute.Progress): the dispute's record, and the
// difference in the money it holds (HeldCents, as counted) taken from or given back to
// the payment, its donation and campaign or its plan's subscription, with the event id,
// in one transaction. So every order of a dispute's events, each delivered any number of
// times, ends in the state of its latest, and its money is taken once and given back
// once. The payment and the donation stay marked disputed.
func (s *Store) RecordDispute(ctx context.Context, d donation.Dispute) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		pr, err := s.payment(ctx, d.PaymentKey)
		if err != nil {
			return err
		}
		var prev disputeRecord
		found, err := s.get(ctx, disputePK(d.ID), metaSK, &prev)
		if err != nil {
			return err
		}
		if found && d.Progress() <= prev.Progress {
			return donation.ErrDuplicate
		}
		held := pr.Counted(d.HeldCents()) // Stripe's amount is in the charge's currency
		evPut, err := s.eventPut(d.Event)
		if err != nil {
			return err
		}
		rec := disputeRecord{ID: d.ID, PaymentKey: d.PaymentKey, ChargeID: d.ChargeID,
			DonationID: pr.DonationID, PlanID: pr.PlanID, Campaign: pr.Campaign, AmountCents: d.AmountCents,
			Reason: d.Reason, Status: d.Status, CreatedAt: d.CreatedAt.UTC(), Withdrawals: d.Withdrawals,
			Reinstatements: d.Reinstatements, Progress: d.Progress(), HeldCents: held, EventID: d.Event.ID}
		put, err := s.put(rec, disputePK(d.ID), metaSK, TypeDispute)
		if err != nil {
			return err
		}
		put.ConditionExpression = aws.String("attribute_not_exists(pk)")
		if found {
			put.ConditionExpression = aws.String("progress = :p")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":p": num(int64(prev.Progress))}
		}
		delta := held - prev.HeldCents
		items := []types.TransactWriteItem{evPut, {Put: put}, {Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(paymentPK(d.PaymentKey), metaSK),
			UpdateExpression: aws.String("SET disputed = :t ADD disputed_cents :d"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": num(delta),
				":t": &types.AttributeValueMemberBOOL{Value: true}},
		}}}
		items = append(items, s.countedBy(pr, "disputed_cents", delta, !found)...)
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		err = ackCancelled(err, errDisputeRace)
		if err == nil {
			// Ids, statuses and cents only.
			slog.InfoContext(ctx, "dispute", "event_id", d.Event.ID, "dispute_id", d.ID, "payment_key", d.PaymentKey,
				"status", d.Status, "held_cents", held, "change_cents", delta)
		}
		if !errors.Is(err, errDisputeRace) {
			return err
		}
	}
	return fmt.Errorf("record dispute %s: too much contention", d.ID)
}

var errDisputeRace = errors.New("dispute changed concurrently")

// MonthlyGiftNotice tells a monthly donor that a month's payment failed (with a link to
// fix their card in the customer portal) or that their gift has ended, which it records.
// Each event sends its email once; an unknown donation is not ours to tell about. The
// email is written only if the donation is still not erased when written: if it was
// erased since it was read, it is read again, and only the end (if that is the notice)
// is recorded.
func (s *Store) MonthlyGiftNotice(ctx context.Context, ev donation.Event, donationID, notice string) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		d, err := s.Donation(ctx, donationID)
		if errors.Is(err, donation.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		evPut, err := s.eventPut(ev)
		if err != nil {
			return err
		}
		items := []types.TransactWriteItem{evPut}
		// Unless it was read erased, the donation must still not be when written.
		var cond *string
		if !d.IsErased() { // an erased donor is not written to; the end is still recorded
			mail, err := s.emailPut(donation.MonthlyNoticeEmail(d, ev.ID, notice))
			if err != nil {
				return err
			}
			items = append(items, mail)
			cond = aws.String("attribute_exists(pk) AND attribute_not_exists(erased)")
		}
		checked := -1 // the item holding that condition
		if notice == donation.NoticeEnded {
			at, err := attributevalue.Marshal(s.Now().UTC())
			if err != nil {
				return err
			}
			checked = len(items)
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.Table), Key: key(donationPK(d.ID), metaSK),
				UpdateExpression:          aws.String("SET monthly_ended_at = if_not_exists(monthly_ended_at, :at)"),
				ConditionExpression:       cond,
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": at},
			}})
		} else if cond != nil {
			checked = len(items)
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: aws.String(s.Table), Key: key(donationPK(d.ID), metaSK), ConditionExpression: cond,
			}})
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		failed, isCancel := cancelled(err, len(items))
		switch {
		case !isCancel && err != nil:
			return fmt.Errorf("transaction: %w", err)
		case !isCancel:
			return nil
		case failed[0]:
			return donation.ErrDuplicate
		case checked >= 0 && failed[checked]:
			continue // erased (or deleted) since it was read: read it again
		}
		return donation.ErrDuplicate // its email exists: sent for this event already
	}
	return fmt.Errorf("monthly gift notice %s: too much contention", donationID)
}
