package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Corrections of offline gifts. A gift recorded wrongly is voided, never deleted: it stays
// in the table, marked with who voided it, when and why, and leaves its campaign's
// offline total in the same transaction that marks it, on condition that it was not
// voided already, so it leaves the total once however often the void is sent. Its id
// stays taken: a correction is recorded under a new one.

func offlineSK(id string) string   { return "OFFLINE#" + id }
func offlineIDPK(id string) string { return "OFFLINE#" + id }

// offlineID is the marker item OFFLINE#<id> that AddOfflineGift writes with each gift:
// it keeps the id to one gift in every campaign, and finds the gift by its id alone.
type offlineID struct {
	ID       string `dynamodbav:"id"`
	Campaign string `dynamodbav:"campaign"`
}

// SameGift reports whether a and b record the same gift (a command sent again): the same
// campaign, amount, method, day, note and donor. When they were recorded does not count.
func SameGift(a, b OfflineGift) bool {
	return a.ID == b.ID && a.Campaign == b.Campaign && a.AmountCents == b.AmountCents && a.Method == b.Method &&
		a.ReceivedOn == b.ReceivedOn && a.Note == b.Note && a.DonorName == b.DonorName && a.DonorEmail == b.DonorEmail
}

// OfflineIDTaken means a gift's id is taken by another gift (another amount, campaign,
// donor…) or by a voided gift: nothing was recorded.
type OfflineIDTaken struct{ Existing OfflineGift }

func (e *OfflineIDTaken) Error() string {
	if e.Existing.Voided {
		return fmt.Sprintf("offline gift id %s is spent: its gift was voided", e.Existing.ID)
	}
	return fmt.Sprintf("offline gift id %s is taken by a gift of %d cents to %s", e.Existing.ID, e.Existing.AmountCents, e.Existing.Campaign)
}

// Errors of VoidOfflineGift and FindOfflineGift. Each says what happened in one sentence
// with the id; nothing was changed.
var (
	ErrNoOfflineGift = errors.New("no offline gift has that id")
	ErrOnlineGift    = errors.New("that id is an online donation, not an offline gift")
)

// AlreadyVoided means the gift was voided before: nothing changed.
type AlreadyVoided struct{ Gift OfflineGift }

func (e *AlreadyVoided) Error() string {
	return fmt.Sprintf("offline gift %s was voided already", e.Gift.ID)
}

// AmbiguousOfflineID means gifts recorded before ids were kept to one gift share the id
// in several campaigns: the campaign must be named.
type AmbiguousOfflineID struct {
	ID        string
	Campaigns []string
}

func (e *AmbiguousOfflineID) Error() string {
	return fmt.Sprintf("offline gift %s is recorded in campaigns %s: say which with -campaign", e.ID, strings.Join(e.Campaigns, ", "))
}

// Void is who voids a gift, when and why.
type Void struct {
	By, Reason string
	At         time.Time
}

// offlineIDTaken is AddOfflineGift's answer when its transaction found the gift's id
// taken: ErrExists for the same gift, else *OfflineIDTaken.
func (s *Store) offlineIDTaken(ctx context.Context, g OfflineGift) error {
	// The marker's campaign, else (a gift recorded before the markers) g's own.
	existing, err := s.findOfflineGift(ctx, g.ID, g.Campaign, false)
	if errors.Is(err, ErrNoOfflineGift) || errors.Is(err, ErrOnlineGift) {
		// The marker names a campaign that lacks the gift: say the id is taken all the same.
		return &OfflineIDTaken{Existing: OfflineGift{ID: g.ID}}
	}
	if err != nil {
		return err
	}
	if !existing.Voided && SameGift(existing, g) {
		return ErrExists
	}
	return &OfflineIDTaken{Existing: existing}
}

// FindOfflineGift reads the offline gift with id: through its marker, else (a gift
// recorded before the markers) in campaign when given, else by a scan of the table.
// ErrOnlineGift when id is a donation's or a payment's, ErrNoOfflineGift when nothing
// has it (or campaign is given and the gift is another's), *AmbiguousOfflineID when
// older gifts of several campaigns share it.
func (s *Store) FindOfflineGift(ctx context.Context, id, campaign string) (OfflineGift, error) {
	return s.findOfflineGift(ctx, id, campaign, true)
}

// findOfflineGift is FindOfflineGift; without scan, a gift without a marker is looked
// for in campaign only.
func (s *Store) findOfflineGift(ctx context.Context, id, campaign string, scan bool) (OfflineGift, error) {
	var g OfflineGift
	if id == "" {
		return g, ErrNoOfflineGift
	}
	var m offlineID
	marked, err := s.get(ctx, offlineIDPK(id), metaSK, &m)
	if err != nil {
		return g, err
	}
	if marked {
		if scan && campaign != "" && campaign != m.Campaign {
			// The marker is another campaign's gift; an older gift of campaign, recorded
			// before the markers, may share its id (a new gift's id was checked against
			// the markers only).
			if found, err := s.get(ctx, campaignPK(campaign), offlineSK(id), &g); err != nil || found {
				return g, err
			}
			return g, ErrNoOfflineGift
		}
		campaign = m.Campaign
	}
	if campaign != "" {
		if found, err := s.get(ctx, campaignPK(campaign), offlineSK(id), &g); err != nil || found {
			return g, err
		}
	} else if g, err = s.scanOfflineGift(ctx, id); !errors.Is(err, ErrNoOfflineGift) {
		return g, err
	}
	for _, pk := range []string{donationPK(id), paymentPK(id)} {
		var online struct{}
		if found, err := s.get(ctx, pk, metaSK, &online); err != nil || found {
			if err == nil {
				err = ErrOnlineGift
			}
			return g, err
		}
	}
	return g, ErrNoOfflineGift
}

// scanOfflineGift finds an offline gift recorded before the markers by its id.
func (s *Store) scanOfflineGift(ctx context.Context, id string) (OfflineGift, error) {
	var found []OfflineGift
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		FilterExpression:         aws.String("#t = :t AND sk = :sk"),
		ExpressionAttributeNames: map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": str(TypeOffline), ":sk": str(offlineSK(id)),
		}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return OfflineGift{}, fmt.Errorf("scan offline gifts: %w", err)
		}
		for _, it := range page.Items {
			var g OfflineGift
			if err := attributevalue.UnmarshalMap(it, &g); err != nil {
				return g, fmt.Errorf("decode offline gift: %w", err)
			}
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		return OfflineGift{}, ErrNoOfflineGift
	case 1:
		return found[0], nil
	}
	amb := &AmbiguousOfflineID{ID: id}
	for _, g := range found {
		amb.Campaigns = append(amb.Campaigns, g.Campaign)
	}
	sort.Strings(amb.Campaigns)
	return OfflineGift{}, amb
}

// VoidOfflineGift voids the offline gift with id (campaign: as FindOfflineGift) and
// returns it voided. The gift is marked and its amount leaves its campaign's offline
// total in one transaction, conditioned on the gift not being voided: a void sent again
// (a retry whose first answer was lost) finds its own mark and succeeds without
// subtracting twice; a second void, or one racing it, gets *AlreadyVoided. An unknown
// id, an online donation's or a voided gift's changes nothing.
func (s *Store) VoidOfflineGift(ctx context.Context, id, campaign string, v Void) (OfflineGift, error) {
	g, err := s.FindOfflineGift(ctx, id, campaign)
	if err != nil {
		return g, err
	}
	at := v.At.UTC()
	if ownVoid(g, at, v) {
		return g, nil // sent again after it applied: done
	}
	if g.Voided {
		return g, &AlreadyVoided{Gift: g}
	}
	atAV, err := attrTime(at)
	if err != nil {
		return g, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName:           aws.String(s.Table),
			Key:                 key(campaignPK(g.Campaign), offlineSK(g.ID)),
			UpdateExpression:    aws.String("SET voided = :yes, voided_at = :at, voided_by = :by, void_reason = :why"),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(voided) AND amount_cents = :amt"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":yes": &types.AttributeValueMemberBOOL{Value: true}, ":at": atAV, ":by": str(v.By), ":why": str(v.Reason),
				":amt": num(g.AmountCents),
			},
		}},
		{Update: &types.Update{
			TableName:                 aws.String(s.Table),
			Key:                       key(campaignPK(g.Campaign), metaSK),
			UpdateExpression:          aws.String("ADD offline_cents :less"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":less": num(-g.AmountCents)},
		}},
	}})
	if _, ok := cancelled(err, 2); ok {
		now, ferr := s.FindOfflineGift(ctx, g.ID, g.Campaign)
		switch {
		case ferr != nil:
			return g, ferr
		case ownVoid(now, at, v):
			return now, nil // our own void, applied by an attempt whose answer was lost
		case now.Voided:
			return now, &AlreadyVoided{Gift: now}
		}
		return g, fmt.Errorf("void offline gift %s: its campaign %s is gone", g.ID, g.Campaign)
	}
	if err != nil {
		return g, fmt.Errorf("void offline gift: %w", err)
	}
	g.Voided, g.VoidedAt, g.VoidedBy, g.VoidReason = true, &at, v.By, v.Reason
	return g, nil
}

// ownVoid reports whether g bears the mark of v (at: v's time in UTC): the void was
// applied by an earlier attempt of the same call.
func ownVoid(g OfflineGift, at time.Time, v Void) bool {
	return g.Voided && g.VoidedAt != nil && g.VoidedAt.Equal(at) && g.VoidedBy == v.By && g.VoidReason == v.Reason
}

// OfflineGifts lists the offline gifts of campaign (voided ones too), by id.
func (s *Store) OfflineGifts(ctx context.Context, campaign string) ([]OfflineGift, error) {
	var out []OfflineGift
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :off)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(campaignPK(campaign)), ":off": str("OFFLINE#"),
		}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query offline gifts: %w", err)
		}
		for _, it := range page.Items {
			var g OfflineGift
			if err := attributevalue.UnmarshalMap(it, &g); err != nil {
				return nil, fmt.Errorf("decode offline gift: %w", err)
			}
			out = append(out, g)
		}
	}
	return out, nil
}
