package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
)

var voidClock = time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)

func TestSameGift(t *testing.T) {
	base := dynamo.OfflineGift{ID: "cheque-1", Campaign: "spring", AmountCents: 25000, Method: "cheque", ReceivedOn: "2026-11-20",
		Note: "n", DonorName: "Ana Roy", DonorEmail: "ana@example.org", RecordedAt: voidClock}
	for _, c := range []struct {
		name   string
		change func(*dynamo.OfflineGift)
		same   bool
	}{
		{"the same gift", func(*dynamo.OfflineGift) {}, true},
		{"recorded at another time (a command run again)", func(g *dynamo.OfflineGift) { g.RecordedAt = voidClock.Add(time.Hour) }, true},
		{"another amount", func(g *dynamo.OfflineGift) { g.AmountCents = 2500 }, false},
		{"another campaign", func(g *dynamo.OfflineGift) { g.Campaign = "autumn" }, false},
		{"another donor name", func(g *dynamo.OfflineGift) { g.DonorName = "Ana Roi" }, false},
		{"another donor address", func(g *dynamo.OfflineGift) { g.DonorEmail = "other@example.org" }, false},
		{"another method", func(g *dynamo.OfflineGift) { g.Method = "cash" }, false},
		{"another day", func(g *dynamo.OfflineGift) { g.ReceivedOn = "2026-11-21" }, false},
		{"another note", func(g *dynamo.OfflineGift) { g.Note = "" }, false},
		{"another id", func(g *dynamo.OfflineGift) { g.ID = "cheque-2" }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			other := base
			c.change(&other)
			if got := dynamo.SameGift(base, other); got != c.same {
				t.Errorf("SameGift = %v, want %v", got, c.same)
			}
		})
	}
}

// voidTable is a fresh table with campaigns spring and autumn.
func voidTable(t *testing.T, db dynamo.DB, table string) *dynamo.Store {
	t.Helper()
	env := emulator.Get(t)
	if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(db, table)
	for _, slug := range []string{"spring", "autumn"} {
		if err := store.CreateCampaign(context.Background(), campaign.Campaign{Slug: slug, TitleEN: slug, TitleFR: slug, GoalCents: 100_000, Open: true}); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func offlineTotal(t *testing.T, store *dynamo.Store, slug string) int64 {
	t.Helper()
	c, err := store.Campaign(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return c.OfflineCents
}

func gift(id, slug string, cents int64) dynamo.OfflineGift {
	return dynamo.OfflineGift{ID: id, Campaign: slug, AmountCents: cents, Method: "cheque", ReceivedOn: "2026-11-20", RecordedAt: voidClock}
}

// TestVoidLeavesTheTotalOnce: a void marks the gift (kept, with who, when and why) and
// takes it out of its campaign's total; voiding it again, or several staff voiding it at
// once, subtracts nothing more; an unknown id and an online donation's change nothing.
func TestVoidLeavesTheTotalOnce(t *testing.T) {
	env := emulator.Get(t)
	ctx, table := context.Background(), emulator.TableName(t)
	store := voidTable(t, env.DB(), table)
	for _, g := range []dynamo.OfflineGift{gift("cheque-1", "spring", 25000), gift("cash-2", "spring", 4000), gift("cheque-3", "spring", 1000)} {
		if err := store.AddOfflineGift(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	if got := offlineTotal(t, store, "spring"); got != 30000 {
		t.Fatalf("total before voids %d", got)
	}
	v := dynamo.Void{By: "ana", Reason: "cheque returned by the bank", At: voidClock}
	g, err := store.VoidOfflineGift(ctx, "cheque-1", "", v)
	if err != nil || !g.Voided || g.VoidedBy != "ana" || g.VoidReason != v.Reason || g.VoidedAt == nil || !g.VoidedAt.Equal(voidClock) {
		t.Fatalf("void: %+v %v", g, err)
	}
	if got := offlineTotal(t, store, "spring"); got != 5000 {
		t.Fatalf("total after the void %d, want 5000", got)
	}
	later := dynamo.Void{By: "marc", Reason: "again", At: voidClock.Add(time.Hour)}
	var already *dynamo.AlreadyVoided
	if _, err := store.VoidOfflineGift(ctx, "cheque-1", "", later); !errors.As(err, &already) || already.Gift.VoidedBy != "ana" {
		t.Fatalf("second void: %v", err)
	}
	kept, err := store.FindOfflineGift(ctx, "cheque-1", "")
	if err != nil || !kept.Voided || kept.VoidedBy != "ana" || kept.VoidReason != v.Reason || kept.AmountCents != 25000 || !kept.VoidedAt.Equal(voidClock) {
		t.Fatalf("the voided gift as kept: %+v %v", kept, err)
	}

	// Five staff void cash-2 at once: one void applies, the others are told it was voided.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = store.VoidOfflineGift(ctx, "cash-2", "spring", dynamo.Void{By: fmt.Sprint("staff-", i), Reason: "typo", At: voidClock.Add(time.Duration(i) * time.Second)})
		}()
	}
	wg.Wait()
	applied := 0
	for _, err := range errs {
		switch {
		case err == nil:
			applied++
		case errors.As(err, &already):
		default:
			t.Errorf("concurrent void: %v", err)
		}
	}
	if applied != 1 {
		t.Errorf("%d concurrent voids applied, want 1", applied)
	}
	if got := offlineTotal(t, store, "spring"); got != 1000 {
		t.Fatalf("total after the concurrent voids %d, want 1000", got)
	}

	d := donation.Donation{ID: "don_online", Campaign: "spring", AmountCents: 2500, ChargeCents: 2500, Currency: "cad",
		Frequency: donation.Once, Email: "online@example.org", Language: "en", Status: donation.StatusPending, CreatedAt: voidClock}
	if err := store.CreateDonation(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]error{"don_online": dynamo.ErrOnlineGift, "cheque-404": dynamo.ErrNoOfflineGift, "": dynamo.ErrNoOfflineGift} {
		if _, err := store.VoidOfflineGift(ctx, id, "", v); !errors.Is(err, want) {
			t.Errorf("void %q: %v, want %v", id, err, want)
		}
	}
	if got := offlineTotal(t, store, "spring"); got != 1000 {
		t.Fatalf("a refused void changed the total: %d", got)
	}
	gifts, err := store.OfflineGifts(ctx, "spring")
	if err != nil || len(gifts) != 3 {
		t.Fatalf("gifts %+v %v", gifts, err)
	}
	voided := 0
	for _, g := range gifts {
		if g.Voided {
			voided++
		}
	}
	if voided != 2 {
		t.Errorf("%d gifts voided, want 2", voided)
	}
}

// TestVoidThroughFaults: voids sent through DynamoDB faults — errors, throttling,
// conflicts and answers lost after the void applied, each retried by the SDK and then by
// the caller as staff would run the command again — take each gift out of the total
// exactly once.
func TestVoidThroughFaults(t *testing.T) {
	env := emulator.Get(t)
	proxy, err := faults.New(env.Moto.URL, faults.Rates{InternalError: 0.1, Throttle: 0.1, Conflict: 0.1, LostAnswer: 0.3}, 18)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	ctx, table := context.Background(), emulator.TableName(t)
	store := voidTable(t, dynamodb.NewFromConfig(emulator.AWSConfig(srv.URL)), table)
	const n = 12
	for i := range n {
		if err := store.AddOfflineGift(ctx, gift(fmt.Sprint("g-", i), "autumn", 1000)); err != nil {
			t.Fatal(err)
		}
	}
	proxy.On()
	for i := range n {
		v := dynamo.Void{By: "ana", Reason: "typed twice", At: voidClock.Add(time.Duration(i) * time.Minute)}
		var err error
		for try := 0; try < 20; try++ { // the caller sends the same void again until it answers
			if _, err = store.VoidOfflineGift(ctx, fmt.Sprint("g-", i), "", v); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("void g-%d: %v", i, err)
		}
	}
	proxy.Off()
	counts, _ := proxy.Counts()
	t.Logf("faults: %s", proxy.Summary())
	if counts[faults.KindLostAnswer] == 0 {
		t.Fatal("no answer was lost: the test proved nothing")
	}
	if got := offlineTotal(t, store, "autumn"); got != 0 {
		t.Fatalf("autumn's offline total after voiding every gift through faults: %d, want 0", got)
	}
	gifts, err := store.OfflineGifts(ctx, "autumn")
	if err != nil || len(gifts) != n {
		t.Fatalf("gifts %d %v", len(gifts), err)
	}
	for _, g := range gifts {
		if !g.Voided || g.VoidedBy != "ana" {
			t.Errorf("%s not voided: %+v", g.ID, g)
		}
	}
}

// TestOfflineIDsAreKept: recording a gift again with the same details changes nothing;
// its id with another amount, campaign or donor, or once it is voided, is refused and
// changes nothing either.
func TestOfflineIDsAreKept(t *testing.T) {
	env := emulator.Get(t)
	ctx, table := context.Background(), emulator.TableName(t)
	store := voidTable(t, env.DB(), table)
	g := gift("cheque-1042", "spring", 25000)
	g.DonorName = "Ana Roy"
	if err := store.AddOfflineGift(ctx, g); err != nil {
		t.Fatal(err)
	}
	again := g
	again.RecordedAt = voidClock.Add(time.Hour)
	if err := store.AddOfflineGift(ctx, again); !errors.Is(err, dynamo.ErrExists) {
		t.Fatalf("the same gift again: %v", err)
	}
	for name, change := range map[string]func(*dynamo.OfflineGift){
		"another amount":   func(g *dynamo.OfflineGift) { g.AmountCents = 2500 },
		"another campaign": func(g *dynamo.OfflineGift) { g.Campaign = "autumn" },
		"another donor":    func(g *dynamo.OfflineGift) { g.DonorName = "Marc Roy" },
	} {
		other := g
		change(&other)
		var taken *dynamo.OfflineIDTaken
		if err := store.AddOfflineGift(ctx, other); !errors.As(err, &taken) || taken.Existing.AmountCents != 25000 || taken.Existing.Campaign != "spring" {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s, a := offlineTotal(t, store, "spring"), offlineTotal(t, store, "autumn"); s != 25000 || a != 0 {
		t.Fatalf("refused gifts changed the totals: spring %d, autumn %d", s, a)
	}
	if autumn, _ := store.OfflineGifts(ctx, "autumn"); len(autumn) != 0 {
		t.Fatalf("a refused gift was stored: %+v", autumn)
	}
	if _, err := store.VoidOfflineGift(ctx, g.ID, "", dynamo.Void{By: "ana", Reason: "wrong amount", At: voidClock}); err != nil {
		t.Fatal(err)
	}
	var taken *dynamo.OfflineIDTaken
	if err := store.AddOfflineGift(ctx, g); !errors.As(err, &taken) || !taken.Existing.Voided {
		t.Fatalf("re-adding a voided gift: %v", err)
	}
	if got := offlineTotal(t, store, "spring"); got != 0 {
		t.Fatalf("re-adding a voided gift changed the total: %d", got)
	}
	if err := store.AddOfflineGift(ctx, gift("cheque-9", "nope", 100)); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("unknown campaign: %v", err)
	}
}

// TestVoidOfGiftsRecordedBeforeMarkers: a gift recorded before ids were kept (no marker
// item) is found by its id and voided; when older gifts of two campaigns share an id,
// the campaign must be named.
func TestVoidOfGiftsRecordedBeforeMarkers(t *testing.T) {
	env := emulator.Get(t)
	ctx, table := context.Background(), emulator.TableName(t)
	db := env.DB()
	store := voidTable(t, db, table)
	old := func(g dynamo.OfflineGift) {
		it, err := attributevalue.MarshalMap(g)
		if err != nil {
			t.Fatal(err)
		}
		it["pk"] = &types.AttributeValueMemberS{Value: "CAMPAIGN#" + g.Campaign}
		it["sk"] = &types.AttributeValueMemberS{Value: "OFFLINE#" + g.ID}
		it["type"] = &types.AttributeValueMemberS{Value: dynamo.TypeOffline}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:              map[string]types.AttributeValue{"pk": it["pk"], "sk": &types.AttributeValueMemberS{Value: "META"}},
			UpdateExpression: aws.String("ADD offline_cents :a"), ExpressionAttributeValues: map[string]types.AttributeValue{
				":a": &types.AttributeValueMemberN{Value: fmt.Sprint(g.AmountCents)}}}); err != nil {
			t.Fatal(err)
		}
	}
	old(gift("old-1", "spring", 5000))
	old(gift("shared", "spring", 700))
	old(gift("shared", "autumn", 300))
	v := dynamo.Void{By: "ana", Reason: "duplicate", At: voidClock}
	if _, err := store.VoidOfflineGift(ctx, "old-1", "", v); err != nil {
		t.Fatal(err)
	}
	var amb *dynamo.AmbiguousOfflineID
	if _, err := store.VoidOfflineGift(ctx, "shared", "", v); !errors.As(err, &amb) || len(amb.Campaigns) != 2 || amb.Campaigns[0] != "autumn" {
		t.Fatalf("a shared old id: %v", err)
	}
	if s := offlineTotal(t, store, "spring"); s != 700 {
		t.Fatalf("spring %d, want 700", s)
	}
	if _, err := store.VoidOfflineGift(ctx, "shared", "autumn", v); err != nil {
		t.Fatal(err)
	}
	if s, a := offlineTotal(t, store, "spring"), offlineTotal(t, store, "autumn"); s != 700 || a != 0 {
		t.Fatalf("spring %d (want 700), autumn %d (want 0)", s, a)
	}

	// A new gift given an old gift's id in another campaign takes the marker (the add
	// checks the markers only); the old one can still be voided by naming its campaign.
	old(gift("legacy-7", "spring", 1100))
	if err := store.AddOfflineGift(ctx, gift("legacy-7", "autumn", 400)); err != nil {
		t.Fatal(err)
	}
	if g, err := store.VoidOfflineGift(ctx, "legacy-7", "spring", v); err != nil || g.Campaign != "spring" || g.AmountCents != 1100 {
		t.Fatalf("the old gift of spring: %+v %v", g, err)
	}
	if g, err := store.VoidOfflineGift(ctx, "legacy-7", "", v); err != nil || g.Campaign != "autumn" || g.AmountCents != 400 {
		t.Fatalf("the marked gift of autumn: %+v %v", g, err)
	}
	if s, a := offlineTotal(t, store, "spring"), offlineTotal(t, store, "autumn"); s != 700 || a != 0 {
		t.Fatalf("after both voids: spring %d (want 700), autumn %d (want 0)", s, a)
	}
}
