package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/webhook"
)

// TestShardedCountersInAnyOrder: 240 gifts to one appeal — a fifth partly refunded, a
// seventh charged back and lost, some by the same donor twice — delivered through the
// webhook once in order to a campaign counting on one item, and shuffled with a third of
// the events duplicated (then all again) to a campaign spreading them over 7 counter
// items: both campaigns read the same totals (paid, refunded, disputed, gifts, donors),
// equal to the sums of what was sent, and the spread one's money sits on several items.
func TestShardedCountersInAnyOrder(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	hook := webhook.Handler{Secret: "whsec_counters", Ledger: store}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	one := campaign.Campaign{Slug: "appeal-one", TitleEN: "One", TitleFR: "Un", Currency: "cad", GoalCents: 1_000_000, Open: true, CounterShards: 1}
	spread := one
	spread.Slug, spread.CounterShards = "appeal-spread", 7
	for _, camp := range []campaign.Campaign{one, spread} {
		if err := store.CreateCampaign(ctx, camp); err != nil {
			t.Fatal(err)
		}
	}
	const gifts = 240
	var wantPaid, wantRefunded, wantDisputed int64
	events := map[string][][]byte{}
	for i := range gifts {
		charge := int64(1000 + 37*i)
		refunded := i%5 == 0
		disputed := i%7 == 3
		refund := charge / 3
		wantPaid += charge
		if refunded {
			wantRefunded += refund
		}
		if disputed { // a dispute of what the refund left
			wantDisputed += charge - map[bool]int64{true: refund}[refunded]
		}
		for _, camp := range []campaign.Campaign{one, spread} {
			d := donation.Donation{ID: fmt.Sprintf("don_%s_%d", camp.Slug, i), Campaign: camp.Slug, CampaignTitle: "Appeal",
				Currency: "cad", AmountCents: charge, ChargeCents: charge, Frequency: donation.Once, FirstName: "Ana",
				Email:    fmt.Sprintf("donor%d@example.org", i%200), // 40 give twice
				Language: "fr", Status: donation.StatusPending, CreatedAt: created, CounterShards: camp.Shards()}
			d.CheckoutID = localpay.SessionID(d)
			if err := store.CreateDonation(ctx, d, nil); err != nil {
				t.Fatal(err)
			}
			pi := localpay.PaymentIntentID(d)
			evs := [][]byte{localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), created.Add(time.Minute))}
			if refunded {
				evs = append(evs, localpay.Event("charge.refunded", localpay.ChargeRefunded(pi, charge, refund, "cad"), created.Add(time.Hour)))
			}
			if disputed {
				for _, st := range []localpay.DisputeStage{localpay.DisputeOpened, localpay.DisputeWithdrawn, localpay.DisputeLost} {
					held := charge - map[bool]int64{true: refund}[refunded]
					evs = append(evs, localpay.Event(localpay.DisputeEvent(st), localpay.Dispute(pi, held, "cad", created, st), created.Add(2*time.Hour)))
				}
			}
			events[camp.Slug] = append(events[camp.Slug], evs...)
		}
	}
	deliver := func(evs [][]byte) {
		for _, ev := range evs {
			if st := signedDelivery(hook, ev); st != 200 {
				t.Fatalf("webhook %d", st)
			}
		}
	}
	deliver(events[one.Slug])
	rnd := rand.New(rand.NewPCG(20, 26))
	shuffled := append([][]byte(nil), events[spread.Slug]...)
	for _, ev := range events[spread.Slug] {
		if rnd.IntN(3) == 0 {
			shuffled = append(shuffled, ev)
		}
	}
	rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	deliver(shuffled)
	deliver(shuffled)

	for _, camp := range []campaign.Campaign{one, spread} {
		got, err := store.Campaign(ctx, camp.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if got.PaidCents != wantPaid || got.RefundedCents != wantRefunded || got.DisputedCents != wantDisputed ||
			got.RaisedCents() != wantPaid-wantRefunded-wantDisputed || got.DonationCount != gifts || got.DonorCount != 200 ||
			got.GoalCents != camp.GoalCents || got.TitleFR != camp.TitleFR {
			t.Errorf("%s: paid %d refunded %d disputed %d, %d gifts from %d donors; want %d %d %d, %d from 200",
				camp.Slug, got.PaidCents, got.RefundedCents, got.DisputedCents, got.DonationCount, got.DonorCount,
				wantPaid, wantRefunded, wantDisputed, gifts)
		}
	}
	// Where the money sits: one counter item for the first, several for the second, and
	// neither campaign's own item holds any of it.
	for camp, want := range map[string]int{one.Slug: 1, spread.Slug: 7} {
		out, err := c.env.DB().Query(ctx, &dynamodb.QueryInput{TableName: aws.String(c.table), ConsistentRead: aws.Bool(true),
			KeyConditionExpression: aws.String("pk = :pk AND begins_with(sk, :c)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "CAMPAIGN#" + camp},
				":c": &types.AttributeValueMemberS{Value: "META#COUNT#"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != want {
			t.Errorf("%s: %d counter items, want %d", camp, len(out.Items), want)
		}
		for _, it := range out.Items {
			if typ, _ := it["type"].(*types.AttributeValueMemberS); typ == nil || typ.Value != dynamo.TypeCampaignCounter {
				t.Errorf("%s: a counter item of type %v", camp, it["type"])
			}
		}
		var own struct {
			PaidCents int64 `dynamodbav:"paid_cents"`
		}
		getItem(t, c, "CAMPAIGN#"+camp, &own)
		if own.PaidCents != 0 {
			t.Errorf("%s: its own item counts %d", camp, own.PaidCents)
		}
	}
	// The form's read: the settings from the campaign's own item, no online totals (a
	// partial sum would read as the campaign's).
	set, err := store.CampaignSettings(ctx, spread.Slug)
	if err != nil || set.Shards() != 7 || set.TitleFR != spread.TitleFR || set.GoalCents != spread.GoalCents || !set.Open ||
		set.PaidCents != 0 || set.DonationCount != 0 || set.DonorCount != 0 {
		t.Errorf("settings %+v, %v", set, err)
	}
	if _, err := store.CampaignSettings(ctx, "no-such-appeal"); !errors.Is(err, campaign.ErrNotFound) {
		t.Errorf("settings of no campaign: %v", err)
	}
}
