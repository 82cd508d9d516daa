package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
)

// ErrExists means a record with that key is already stored.
var ErrExists = errors.New("already exists")

// Campaign reads the campaign with slug, or campaign.ErrNotFound: its own item and its
// counter items (where payments, refunds and disputes are counted, ledger.go) in one
// strongly consistent Query, its totals their sums.
func (s *Store) Campaign(ctx context.Context, slug string) (campaign.Campaign, error) {
	var c campaign.Campaign
	found := false
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :meta)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(campaignPK(slug)), ":meta": str(metaSK)},
	})
	var sum campaignCounter
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c, fmt.Errorf("get campaign: %w", err)
		}
		for _, it := range page.Items {
			if text(it, "sk") == metaSK {
				if err := attributevalue.UnmarshalMap(it, &c); err != nil {
					return c, fmt.Errorf("decode campaign: %w", err)
				}
				found = true
				continue
			}
			var n campaignCounter
			if err := attributevalue.UnmarshalMap(it, &n); err != nil {
				return c, fmt.Errorf("decode campaign counter: %w", err)
			}
			sum.PaidCents += n.PaidCents
			sum.RefundedCents += n.RefundedCents
			sum.DisputedCents += n.DisputedCents
			sum.DonationCount += n.DonationCount
			sum.DonorCount += n.DonorCount
		}
	}
	if !found {
		return campaign.Campaign{}, campaign.ErrNotFound
	}
	c.PaidCents += sum.PaidCents
	c.RefundedCents += sum.RefundedCents
	c.DisputedCents += sum.DisputedCents
	c.DonationCount += sum.DonationCount
	c.DonorCount += sum.DonorCount
	return c, nil
}

// campaignCounter is one of a campaign's counter items: what the payments it counted
// add to the campaign's totals.
type campaignCounter struct {
	PaidCents     int64 `dynamodbav:"paid_cents"`
	RefundedCents int64 `dynamodbav:"refunded_cents"`
	DisputedCents int64 `dynamodbav:"disputed_cents"`
	DonationCount int64 `dynamodbav:"donation_count"`
	DonorCount    int64 `dynamodbav:"donor_count"`
}

// CampaignSettings reads the campaign's own item (one GetItem), or
// campaign.ErrNotFound: its settings and offline total, with the online totals zero,
// since most of those are on the counter items Campaign sums.
func (s *Store) CampaignSettings(ctx context.Context, slug string) (campaign.Campaign, error) {
	var c campaign.Campaign
	found, err := s.get(ctx, campaignPK(slug), metaSK, &c)
	if err != nil {
		return campaign.Campaign{}, err
	}
	if !found {
		return campaign.Campaign{}, campaign.ErrNotFound
	}
	c.PaidCents, c.RefundedCents, c.DisputedCents, c.DonationCount, c.DonorCount = 0, 0, 0, 0, 0
	return c, nil
}

// CreateCampaign stores a new campaign with zero totals, or ErrExists.
func (s *Store) CreateCampaign(ctx context.Context, c campaign.Campaign) error {
	c = c.WithDefaults()
	c.OfflineCents, c.PaidCents, c.RefundedCents, c.DisputedCents, c.DonationCount, c.DonorCount = 0, 0, 0, 0, 0, 0
	put, err := s.put(c, campaignPK(c.Slug), metaSK, TypeCampaign)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("create campaign: %w", err)
	}
	return nil
}

// OfflineGift is money staff received outside Stripe (cheque, cash, e-transfer).
type OfflineGift struct {
	ID          string `dynamodbav:"id"`
	Campaign    string `dynamodbav:"campaign"`
	AmountCents int64  `dynamodbav:"amount_cents"`
	Method      string `dynamodbav:"method"`
	ReceivedOn  string `dynamodbav:"received_on"`
	Note        string `dynamodbav:"note,omitempty"`
	// The donor, when staff know them (optional): personal data, erased on request.
	DonorName  string    `dynamodbav:"donor_name,omitempty"`
	DonorEmail string    `dynamodbav:"donor_email,omitempty"`
	RecordedAt time.Time `dynamodbav:"recorded_at"`
	// A void (staff offline void, void.go): the gift stays, out of every total, with who
	// voided it, when and why.
	Voided     bool       `dynamodbav:"voided,omitempty"`
	VoidedAt   *time.Time `dynamodbav:"voided_at,omitempty"`
	VoidedBy   string     `dynamodbav:"voided_by,omitempty"`
	VoidReason string     `dynamodbav:"void_reason,omitempty"`
}

// AddOfflineGift records g, with the marker that keeps its id to it in every campaign
// (void.go), and adds it to its campaign's offline total in one transaction. Recording
// the same gift again (same details) changes nothing (ErrExists); an id taken by
// another gift, or by a voided one, changes nothing either (*OfflineIDTaken).
func (s *Store) AddOfflineGift(ctx context.Context, g OfflineGift) error {
	g.Voided, g.VoidedAt, g.VoidedBy, g.VoidReason = false, nil, "", ""
	put, err := s.put(g, campaignPK(g.Campaign), offlineSK(g.ID), TypeOffline)
	if err != nil {
		return err
	}
	marker, err := s.put(offlineID{ID: g.ID, Campaign: g.Campaign}, offlineIDPK(g.ID), metaSK, TypeOfflineID)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: put},
		{Put: marker},
		{Update: &types.Update{
			TableName:                 aws.String(s.Table),
			Key:                       key(campaignPK(g.Campaign), metaSK),
			UpdateExpression:          aws.String("ADD offline_cents :amt"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":amt": num(g.AmountCents)},
		}},
	}})
	if failed, ok := cancelled(err, 3); ok {
		if failed[0] || failed[1] {
			return s.offlineIDTaken(ctx, g)
		}
		return campaign.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("add offline gift: %w", err)
	}
	return nil
}
