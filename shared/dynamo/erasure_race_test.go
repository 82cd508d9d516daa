package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
)

func init() { emulator.Logs.Personal("Yasmine", "Ouellet", "7 rue Fleury") }

// hookDB runs a hook before the calls it names reach the table: what another process
// writes between a read and a write. (The store's calls are sequential.)
type hookDB struct {
	dynamo.DB
	onTransact func() // before each TransactWriteItems, if set; it may clear itself
	onDelete   func() // before each DeleteItem, if set
}

func (h *hookDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f := h.onTransact; f != nil {
		f()
	}
	return h.DB.TransactWriteItems(ctx, in, opts...)
}

func (h *hookDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if f := h.onDelete; f != nil {
		f()
	}
	return h.DB.DeleteItem(ctx, in, opts...)
}

// at is a store on the same table whose clock reads t.
func at(c counted, t time.Time) *dynamo.Store {
	s := dynamo.New(c.env.DB(), c.table)
	s.Now = func() time.Time { return t }
	return s
}

// snapshot is every item of the table, in a stable order.
func snapshot(t *testing.T, c counted) []map[string]types.AttributeValue {
	t.Helper()
	items := scanAll(t, c.env.DB(), c.table)
	k := func(it map[string]types.AttributeValue) string {
		return it["pk"].(*types.AttributeValueMemberS).Value + "\x00" + it["sk"].(*types.AttributeValueMemberS).Value
	}
	sort.Slice(items, func(i, j int) bool { return k(items[i]) < k(items[j]) })
	return items
}

// TestEraseRefusesOpenCheckout: while the Checkout of a subscription, a monthly gift or
// a one-time gift could still be paid (CheckoutPayableFor after the record was created,
// by the store's clock), erasing refuses, naming each with when it can go, and changes
// nothing; from then on it erases them, as pending records nobody paid.
func TestEraseRefusesOpenCheckout(t *testing.T) {
	c := newCounted(t)
	ctx := context.Background()
	if err := localdev.Seed(ctx, c.store); err != nil {
		t.Fatal(err)
	}
	const email = "yasmine@example.org"
	created := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_open", Plan: "solidarity-annual", Kind: plan.KindSubscription, Email: email,
		FirstName: "Yasmine", LastName: "Ouellet", Language: "fr", Status: subscription.StatusPending, CreatedAt: created}
	once := donation.Donation{ID: "don_open_once", Campaign: localdev.AppealSlug, Currency: "cad", AmountCents: 500, ChargeCents: 500,
		Frequency: donation.Once, FirstName: "Yasmine", LastName: "Ouellet", Email: email, Status: donation.StatusPending,
		CreatedAt: created.Add(time.Minute)}
	monthly := once
	monthly.ID, monthly.Frequency, monthly.CreatedAt = "don_open_monthly", donation.Monthly, created.Add(2*time.Minute)
	if err := c.store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []donation.Donation{once, monthly} {
		if err := c.store.CreateDonation(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, c)

	for _, now := range []time.Time{created, created.Add(2 * time.Hour), sub.CreatedAt.Add(dynamo.CheckoutPayableFor - time.Second)} {
		_, _, err := at(c, now).Erase(ctx, dynamo.Query{Email: email}, eraseKey)
		var refused *dynamo.RefusedError
		if !errors.As(err, &refused) || len(refused.Refusals) != 3 {
			t.Fatalf("at %v: erase with open Checkouts: %v", now, err)
		}
		got := map[string]dynamo.Refusal{}
		for _, r := range refused.Refusals {
			got[r.RecordID] = r
		}
		for _, w := range []struct {
			id, kind string
			opened   time.Time
		}{
			{sub.ID, dynamo.RefuseSubscription, sub.CreatedAt},
			{once.ID, dynamo.RefuseDonation, once.CreatedAt},
			{monthly.ID, dynamo.RefuseMonthlyGift, monthly.CreatedAt},
		} {
			r := got[w.id]
			until := w.opened.Add(24*time.Hour + 15*time.Minute)
			if r.Kind != w.kind || !r.OpenCheckout() || !r.Opened.Equal(w.opened) || !r.Until.Equal(until) || r.Wait != until.Sub(now) ||
				r.Status != "pending" {
				t.Errorf("at %v: refusal of %s: %+v", now, w.id, r)
			}
		}
		if after := snapshot(t, c); !reflect.DeepEqual(after, before) {
			t.Fatalf("at %v: a refused erasure changed the table", now)
		}
	}

	// Each Checkout closes on its own: the subscription's first, the others still refuse.
	held, err := at(c, sub.CreatedAt.Add(dynamo.CheckoutPayableFor)).Find(ctx, dynamo.Query{Email: email})
	if err != nil || len(held.Refusals) != 2 || held.Refusals[0].RecordID == sub.ID || held.Refusals[1].RecordID == sub.ID {
		t.Fatalf("when the subscription's Checkout closed: %+v %v", held.Refusals, err)
	}

	// A day and an hour on, nothing can be paid: the erasure goes through.
	er, _, err := at(c, created.Add(25*time.Hour)).Erase(ctx, dynamo.Query{Email: email}, eraseKey)
	if err != nil || er.Anonymized != 3 {
		t.Fatalf("erase after the Checkouts closed: %+v %v", er, err)
	}
	if left := traces(t, c, email, "Yasmine", "Ouellet"); len(left) > 0 {
		t.Fatalf("left: %v", left)
	}
}

// TestFailDonationRacingErasure: a declined delayed payment whose donation is erased
// between its read and its write queues no email; the donation is still marked failed,
// and the call ends without error.
func TestFailDonationRacingErasure(t *testing.T) {
	c := newCounted(t)
	ctx := context.Background()
	if err := localdev.Seed(ctx, c.store); err != nil {
		t.Fatal(err)
	}
	const email = "yasmine@example.org"
	created := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	d := donation.Donation{ID: "don_race_fail", Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad", AmountCents: 500,
		ChargeCents: 500, Frequency: donation.Once, FirstName: "Yasmine", LastName: "Ouellet", Email: email, Language: "fr",
		Status: donation.StatusPending, CreatedAt: created}
	if err := c.store.CreateDonation(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	// The debit is declined three days on, while staff erase the donor.
	later := created.Add(72 * time.Hour)
	hook := &hookDB{DB: c.env.DB()}
	racing := dynamo.New(hook, c.table)
	racing.Now = func() time.Time { return later }
	erased := 0
	hook.onTransact = func() {
		hook.onTransact = nil
		if _, _, err := at(c, later).Erase(ctx, dynamo.Query{Email: email}, eraseKey); err != nil {
			t.Errorf("the erasure: %v", err)
		}
		erased++
	}
	if err := racing.FailDonation(ctx, donation.Event{ID: "evt_race_fail", Type: "checkout.session.async_payment_failed"}, d.ID); err != nil {
		t.Fatalf("fail donation: %v", err)
	}
	if erased != 1 {
		t.Fatal("the erasure did not run between the read and the write")
	}
	if n := emailItems(t, c); n != 0 {
		t.Fatalf("%d emails queued for an erased donor", n)
	}
	if left := traces(t, c, email, "Yasmine", "Ouellet"); len(left) > 0 {
		t.Fatalf("left: %v", left)
	}
	got, err := c.store.Donation(ctx, d.ID)
	if err != nil || !got.IsErased() || got.Status != donation.StatusFailed {
		t.Fatalf("the donation: %+v %v", got, err)
	}
	// Replayed, it changes nothing more.
	if err := c.store.FailDonation(ctx, donation.Event{ID: "evt_race_fail", Type: "checkout.session.async_payment_failed"}, d.ID); err != nil &&
		!errors.Is(err, donation.ErrDuplicate) {
		t.Fatalf("replay: %v", err)
	}
	if n := emailItems(t, c); n != 0 {
		t.Fatalf("%d emails after the replay", n)
	}
}

// TestMonthlyGiftNoticeRacingErasure: a notice about an ended monthly gift (a late
// failed month, or a second word of its end) whose donation is erased between its read
// and its write queues no email, records the end, and ends without error.
func TestMonthlyGiftNoticeRacingErasure(t *testing.T) {
	for _, notice := range []string{donation.NoticePaymentFailed, donation.NoticeEnded} {
		t.Run(notice, func(t *testing.T) {
			c := newCounted(t)
			ctx := context.Background()
			if err := localdev.Seed(ctx, c.store); err != nil {
				t.Fatal(err)
			}
			const email = "yasmine@example.org"
			created := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
			c.store.Now = func() time.Time { return created.Add(time.Hour) }
			d := donation.Donation{ID: "don_race_" + notice, Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
				AmountCents: 1000, ChargeCents: 1000, Frequency: donation.Monthly, FirstName: "Yasmine", LastName: "Ouellet",
				Email: email, Language: "fr", Status: donation.StatusPending, CreatedAt: created}
			if err := c.store.CreateDonation(ctx, d, nil); err != nil {
				t.Fatal(err)
			}
			if err := c.store.LinkSubscription(ctx, donation.Event{ID: "evt_link", Type: "checkout.session.completed"}, d.ID,
				"sub_race", "cus_race"); err != nil {
				t.Fatal(err)
			}
			if err := c.store.MonthlyGiftNotice(ctx, donation.Event{ID: "evt_end", Type: "customer.subscription.deleted"}, d.ID,
				donation.NoticeEnded); err != nil {
				t.Fatal(err)
			}
			if n := emailItems(t, c); n != 1 {
				t.Fatalf("%d emails for the end, want 1", n)
			}
			later := created.Add(48 * time.Hour)
			hook := &hookDB{DB: c.env.DB()}
			racing := dynamo.New(hook, c.table)
			racing.Now = func() time.Time { return later }
			erased := 0
			hook.onTransact = func() {
				hook.onTransact = nil
				if _, _, err := at(c, later).Erase(ctx, dynamo.Query{Email: email}, eraseKey); err != nil {
					t.Errorf("the erasure: %v", err)
				}
				erased++
			}
			if err := racing.MonthlyGiftNotice(ctx, donation.Event{ID: "evt_late", Type: "invoice.payment_failed"}, d.ID, notice); err != nil {
				t.Fatalf("notice: %v", err)
			}
			if erased != 1 {
				t.Fatal("the erasure did not run between the read and the write")
			}
			if n := emailItems(t, c); n != 0 {
				t.Fatalf("%d emails queued for an erased donor", n)
			}
			if left := traces(t, c, email, "Yasmine", "Ouellet"); len(left) > 0 {
				t.Fatalf("left: %v", left)
			}
			got, err := c.store.Donation(ctx, d.ID)
			if err != nil || !got.IsErased() || got.MonthlyEndedAt == nil || !got.MonthlyEndedAt.Equal(created.Add(time.Hour)) {
				t.Fatalf("the donation: %+v %v", got, err)
			}
		})
	}
}

// TestEraseCatchesWhatIsWrittenMeanwhile: what is written while an erasure runs — a new
// link of the person to a Stripe customer, links minted by a send under way (an
// unsubscribe link for the address, a portal link for their customer) — is found by its
// next pass and erased too, the unsubscribe link with the rest, so it cannot subscribe
// them again.
func TestEraseCatchesWhatIsWrittenMeanwhile(t *testing.T) {
	c := newCounted(t)
	ctx := context.Background()
	if err := localdev.Seed(ctx, c.store); err != nil {
		t.Fatal(err)
	}
	const email = "yasmine@example.org"
	created := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	c.store.Now = func() time.Time { return created }
	sub := subscription.Subscription{ID: "subs_meanwhile", Plan: "solidarity-monthly", Kind: plan.KindSubscription, Email: email,
		FirstName: "Yasmine", LastName: "Ouellet", Language: "fr", Status: subscription.StatusPending, CreatedAt: created}
	if err := c.store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	for i, typ := range []string{subscription.Completed, subscription.Deleted} {
		id := "evt_meanwhile_" + typ
		if err := c.store.ApplySubscriptionEvent(ctx, donation.Event{ID: id, Type: typ}, sub.ID,
			subscription.Change{EventID: id, Type: typ, Created: created.Unix() + int64(i), StripeID: "sub_meanwhile", CustomerID: "cus_meanwhile",
				Shipping: &subscription.Shipping{Name: "Yasmine Ouellet", Line1: "7 rue Fleury", City: "Montréal"}},
			plan.Default()); err != nil {
			t.Fatal(err)
		}
	}
	later := created.Add(40 * 24 * time.Hour)
	_, unsub := token.Mint(token.Unsubscribe, email, "fr", later, token.UnsubscribeTTL)
	_, portal := token.Mint(token.Portal, "cus_meanwhile", "fr", later, time.Hour)
	hook := &hookDB{DB: c.env.DB()}
	eraser := dynamo.New(hook, c.table)
	eraser.Now = func() time.Time { return later }
	hook.onDelete = func() {
		hook.onDelete = nil
		raw := at(c, later)
		for _, tok := range []token.Token{unsub, portal} {
			if err := raw.PutToken(ctx, tok); err != nil {
				t.Error(err)
			}
		}
		if _, err := c.env.DB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "PERSON#" + email}, "sk": &types.AttributeValueMemberS{Value: "CUSTOMER#cus_new"},
			"type": &types.AttributeValueMemberS{Value: dynamo.TypeCustomer}, "customer_id": &types.AttributeValueMemberS{Value: "cus_new"},
		}}); err != nil {
			t.Error(err)
		}
	}
	er, held, err := eraser.Erase(ctx, dynamo.Query{Email: email}, eraseKey)
	if err != nil {
		t.Fatalf("erase: %v", err)
	}
	if hook.onDelete != nil {
		t.Fatal("nothing was written during the erasure")
	}
	if left := traces(t, c, email, "Yasmine", "Ouellet", "cus_new", unsub.Hash, portal.Hash); len(left) > 0 {
		t.Fatalf("left after the erasure: %v", left)
	}
	if !reflect.DeepEqual(held.Customers, []string{"cus_meanwhile", "cus_new"}) || er.Deleted < 3 {
		t.Fatalf("erasure %+v, customers %v", er, held.Customers)
	}
	if again, err := c.store.Find(ctx, dynamo.Query{Email: email, Names: []string{"Yasmine Ouellet"}}); err != nil || len(again.Items) != 0 {
		t.Fatalf("found after the erasure: %d items %v", len(again.Items), err)
	}
	if _, err := c.store.Token(ctx, unsub.Hash); !errors.Is(err, token.ErrNotFound) {
		t.Fatalf("the unsubscribe link's token: %v", err)
	}
}

// TestEraseFailsLoudly: when something keeps writing the person's data faster than the
// erasure erases it, the erasure stops after ErasePasses passes with ErrIncomplete,
// saying what is left, and records what it did.
func TestEraseFailsLoudly(t *testing.T) {
	c := newCounted(t)
	ctx := context.Background()
	const email = "yasmine@example.org"
	now := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	raw := at(c, now)
	n := 0
	write := func() { // an email to the person, each time anything is deleted
		n++
		if _, err := c.env.DB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("EMAIL#meanwhile_%d", n)}, "sk": &types.AttributeValueMemberS{Value: "META"},
			"type": &types.AttributeValueMemberS{Value: dynamo.TypeEmail}, "to": &types.AttributeValueMemberS{Value: email},
			"status": &types.AttributeValueMemberS{Value: outbox.StatusPending},
		}}); err != nil {
			t.Error(err)
		}
	}
	if err := raw.PutToken(ctx, func() token.Token { _, tok := token.Mint(token.Confirm, email, "fr", now, time.Hour); return tok }()); err != nil {
		t.Fatal(err)
	}
	hook := &hookDB{DB: c.env.DB(), onDelete: write}
	eraser := dynamo.New(hook, c.table)
	eraser.Now = func() time.Time { return now }
	er, _, err := eraser.Erase(ctx, dynamo.Query{Email: email}, eraseKey)
	var inc *dynamo.IncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, dynamo.ErrIncomplete) || inc.Passes != dynamo.ErasePasses || len(inc.Left.Items) == 0 {
		t.Fatalf("erase while data keeps coming: %v", err)
	}
	if er.Deleted < dynamo.ErasePasses {
		t.Fatalf("erasure %+v", er)
	}
	recs := 0
	for _, it := range scanAll(t, c.env.DB(), c.table) {
		if dynamo.ItemType(it) == dynamo.TypeErasure {
			recs++
		}
	}
	if recs != 1 {
		t.Fatalf("%d erasure records", recs)
	}
}
