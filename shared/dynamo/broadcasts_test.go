package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/suppression"
)

var bcNow = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// seeder writes items quickly, 25 to a BatchWriteItem.
type seeder struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	batch []types.WriteRequest
}

func (s *seeder) put(v any, pk, sk, typ string, extra map[string]types.AttributeValue) {
	s.t.Helper()
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		s.t.Fatal(err)
	}
	it["pk"], it["sk"], it["type"] = &types.AttributeValueMemberS{Value: pk}, &types.AttributeValueMemberS{Value: sk}, &types.AttributeValueMemberS{Value: typ}
	for k, v := range extra {
		it[k] = v
	}
	s.batch = append(s.batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	if len(s.batch) == 25 {
		s.flush()
	}
}

func (s *seeder) flush() {
	s.t.Helper()
	for len(s.batch) > 0 {
		out, err := s.db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: s.batch}})
		if err != nil {
			s.t.Fatal(err)
		}
		s.batch = out.UnprocessedItems[s.table]
	}
}

func (s *seeder) news(email string, subscribed bool) {
	s.put(consent.State{Email: email, Subscribed: subscribed, ChangedAt: bcNow, Source: "test"}, "PERSON#"+email, "NEWS", dynamo.TypeNewsState, nil)
}

func (s *seeder) consent(email, lang string) {
	s.put(consent.Record{Email: email, Purpose: consent.News, Granted: true, Language: lang, At: bcNow, SourceID: "x"},
		"PERSON#"+email, "CONSENT#"+bcNow.Format(time.RFC3339Nano)+"#x", dynamo.TypeConsent, nil)
}

func (s *seeder) member(email, branch, province, lang, status string) {
	m := member.Member{ID: "mem_" + email, Email: email, Branch: branch, Language: lang, Status: status, CreatedAt: bcNow,
		Address: address.Address{Province: province, Country: "CA"}}
	s.put(m, "PERSON#"+email, "MEMBER", dynamo.TypeMember, map[string]types.AttributeValue{
		"gsi1pk": &types.AttributeValueMemberS{Value: "MEMBERS#" + branch},
		"gsi1sk": &types.AttributeValueMemberS{Value: status + "#" + bcNow.Format(time.RFC3339) + "#mem_" + email}})
}

func (s *seeder) suppressed(email string) {
	s.flush()
	store := dynamo.New(s.db, s.table)
	if _, err := store.Suppress(context.Background(), suppression.Record{Address: email, Reason: suppression.ReasonBounce, At: bcNow}); err != nil {
		s.t.Fatal(err)
	}
}

// population seeds n people who consent to news and, beside them, people who must get
// nothing: unsubscribed, members who never consented, and suppressed addresses (a
// fifth of n of each kind, and more). It returns the consenting people's languages
// ("" for both) by address.
func population(t *testing.T, db *dynamodb.Client, table string, n int) map[string]string {
	s := &seeder{t: t, db: db, table: table}
	want := map[string]string{}
	for i := range n {
		email := fmt.Sprintf("p%05d@example.org", i)
		s.news(email, true)
		switch i % 4 {
		case 0: // a member: their member record's language
			lang := []string{"en", "fr"}[i%8/4]
			s.member(email, []string{"montreal", "laval"}[i%3%2], []string{"QC", "ON"}[i%5%2], lang, member.StatusActive)
			s.consent(email, "en") // the member record wins
			want[email] = lang
		case 1:
			s.consent(email, "fr")
			want[email] = "fr"
		case 2:
			s.consent(email, "en")
			want[email] = "en"
		default: // no language known: both in one message
			want[email] = ""
		}
	}
	for i := range n / 4 {
		s.news(fmt.Sprintf("unsub%05d@example.org", i), false)
		s.member(fmt.Sprintf("never%05d@example.org", i), "montreal", "QC", "fr", member.StatusActive)
	}
	s.flush()
	for i := range n / 20 {
		email := fmt.Sprintf("bounced%05d@example.org", i)
		s.news(email, true)
		s.member(email, "laval", "QC", "en", member.StatusActive)
		s.suppressed(email)
	}
	s.flush()
	return want
}

func newBroadcast(t *testing.T, store *dynamo.Store, id string, a broadcast.Audience) {
	t.Helper()
	ctx := context.Background()
	b := broadcast.Broadcast{ID: id, SubjectEN: "Rally", SubjectFR: "Manif", BodyEN: "Come.", BodyFR: "Venez.", Audience: a, CreatedBy: "test", CreatedAt: bcNow}
	if err := store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBroadcast(ctx, b); err != nil { // a retry after a lost answer: its own item
		t.Fatalf("created again: %v", err)
	}
	other := b
	other.SubjectEN = "Another"
	if err := store.CreateBroadcast(ctx, other); !errors.Is(err, dynamo.ErrExists) {
		t.Fatalf("another broadcast under the same id: %v", err)
	}
	if err := store.SetBroadcastState(ctx, id, broadcast.StateDraft, broadcast.StateSending); err != nil {
		t.Fatal(err)
	}
}

// queueAll queues the audience of broadcast id, stopping (its context cancelled) after
// stopAfter new recipients when stopAfter > 0: it returns how many it queued.
func queueAll(store *dynamo.Store, id string, a broadcast.Audience, stopAfter int) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	err := store.ExpandAudience(ctx, a, func(r broadcast.Recipient) error {
		ok, err := store.QueueRecipient(ctx, id, r)
		if ok && n.Add(1) == int64(stopAfter) {
			cancel() // killed halfway: the lookups under way may still queue theirs
		}
		return err
	})
	return int(n.Load()), err
}

// recipients reads every recipient item of broadcast id: its email, by address.
func recipients(t *testing.T, db *dynamodb.Client, table, id string) map[string]outbox.Email {
	t.Helper()
	got := map[string]outbox.Email{}
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :to)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "BROADCAST#" + id}, ":to": &types.AttributeValueMemberS{Value: "TO#"}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			var e outbox.Email
			if err := attributevalue.UnmarshalMap(it, &e); err != nil {
				t.Fatal(err)
			}
			if _, dup := got[e.To]; dup {
				t.Fatalf("%s queued twice", e.To)
			}
			if it["type"].(*types.AttributeValueMemberS).Value != dynamo.TypeBroadcastEmail {
				t.Fatalf("item type %v", it["type"])
			}
			// Never sent (its broadcast cancelled), it is forgotten all the same.
			if exp, ok := it[dynamo.TTLAttribute].(*types.AttributeValueMemberN); !ok || exp.Value != fmt.Sprint(bcNow.Add(dynamo.QueuedRetention).Unix()) {
				t.Fatalf("%s queued to expire at %v, want %d", e.To, it[dynamo.TTLAttribute], bcNow.Add(dynamo.QueuedRetention).Unix())
			}
			got[e.To] = e
		}
	}
	return got
}

// checkQueued holds the recipients of broadcast id to want, and the broadcast's counters
// to the items.
func checkQueued(t *testing.T, db *dynamodb.Client, store *dynamo.Store, id string, want map[string]string) {
	t.Helper()
	got := recipients(t, db, store.Table, id)
	for email, lang := range want {
		e, ok := got[email]
		switch {
		case !ok:
			t.Errorf("%s not queued", email)
		case e.Language != lang || e.Template != outbox.Broadcast || e.Data["broadcast"] != id || !e.News || e.Status != outbox.StatusPending:
			t.Errorf("%s queued as %+v, want language %q", email, e, lang)
		}
	}
	for email := range got {
		if _, ok := want[email]; !ok {
			t.Errorf("%s queued, and should get nothing", email)
		}
	}
	byLang := map[string]int64{}
	for _, e := range got {
		byLang[dynamo.LangKey(e.Language)]++
	}
	rep, err := store.BroadcastReport(context.Background(), id)
	if err != nil || rep.Total != int64(len(got)) || rep.ByStatus[outbox.StatusPending] != rep.Total ||
		rep.ByLang[dynamo.LangFR][outbox.StatusPending] != byLang[dynamo.LangFR] ||
		rep.ByLang[dynamo.LangEN][outbox.StatusPending] != byLang[dynamo.LangEN] ||
		rep.ByLang[dynamo.LangBoth][outbox.StatusPending] != byLang[dynamo.LangBoth] {
		t.Errorf("report %+v %v, items %d %v", rep, err, len(got), byLang)
	}
}

// TestBroadcastQueuesEachConsentingPersonOnce: 1,000 people whose news consent is on
// and 550 who must get nothing (unsubscribed, never consented, suppressed); the
// queueing killed after 400 and run again queues each consenting person once, in their
// language, and nobody else, and the counters equal the items.
func TestBroadcastQueuesEachConsentingPersonOnce(t *testing.T) {
	env := emulator.Get(t)
	ctx, db, table := context.Background(), env.DB(), emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(db, table)
	store.Now = func() time.Time { return bcNow }
	want := population(t, db, table, 1000)
	a := broadcast.Audience{Kind: broadcast.News}
	newBroadcast(t, store, "bc_once", a)
	first, err := queueAll(store, "bc_once", a, 400)
	// The lookups in hand at the kill may queue theirs, or have it applied with the
	// answer lost to the cancel (counted by neither run): checkQueued sees each once.
	if !errors.Is(err, context.Canceled) || first < 400 || first >= 400+dynamo.ExpandWorkers {
		t.Fatalf("first run: %d queued, %v", first, err)
	}
	second, err := queueAll(store, "bc_once", a, 0)
	if err != nil || first+second > 1000 || first+second <= 1000-dynamo.ExpandWorkers {
		t.Fatalf("second run: %d queued, %v", second, err)
	}
	checkQueued(t, db, store, "bc_once", want)

	// Cancelled, a cancelled broadcast is sent no more (the mailer skips its emails:
	// mail's tests).
	if err := store.SetBroadcastState(ctx, "bc_once", broadcast.StateSending, broadcast.StateCancelled); err != nil {
		t.Fatal(err)
	}
	var se *dynamo.StateError
	if err := store.SetBroadcastState(ctx, "bc_once", broadcast.StateSending, broadcast.StateSent); !errors.As(err, &se) {
		t.Fatalf("a cancelled broadcast marked sent: %v", err)
	}
	if err := store.SetBroadcastState(ctx, "bc_once", broadcast.StateDraft, broadcast.StateCancelled); err != nil {
		t.Fatalf("cancelled again: %v", err)
	}
	if err := store.SetBroadcastState(ctx, "nope", broadcast.StateDraft, broadcast.StateSending); !errors.Is(err, dynamo.ErrBroadcastNotFound) {
		t.Fatalf("no broadcast: %v", err)
	}
	if err := store.SetBroadcastState(ctx, "bc_once", broadcast.StateSent, broadcast.StateDraft); err == nil {
		t.Fatal("sent → draft allowed")
	}
	checkQueued(t, db, store, "bc_once", want)
}

// TestBroadcastQueueUnderFaults: under injected DynamoDB faults (errors, throttling,
// transaction conflicts, answers lost after the write applied), queueing run again
// until it completes queues each consenting person once and counts each once.
func TestBroadcastQueueUnderFaults(t *testing.T) {
	env := emulator.Get(t)
	ctx, table := context.Background(), emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		t.Fatal(err)
	}
	want := population(t, env.DB(), table, 40)
	proxy, err := faults.New(env.Moto.URL, faults.Rates{InternalError: 0.03, Throttle: 0.03, Conflict: 0.03, LostAnswer: 0.1}, 19)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	db := dynamodb.NewFromConfig(emulator.AWSConfig(srv.URL))
	store := dynamo.New(db, table)
	store.Now = func() time.Time { return bcNow }
	a := broadcast.Audience{Kind: broadcast.News}
	newBroadcast(t, store, "bc_faults", a)
	proxy.On()
	runs := 0
	for {
		runs++
		_, err := queueAll(store, "bc_faults", a, 0)
		if err == nil {
			break
		}
		if runs == 50 {
			counts, _ := proxy.Counts()
			t.Fatalf("still failing after %d runs (faults so far %v), the last with: %v", runs, counts, err)
		}
	}
	proxy.Off()
	counts, _ := proxy.Counts()
	if counts[faults.KindLostAnswer] == 0 {
		t.Fatalf("no answer was lost: %v", counts)
	}
	checkQueued(t, env.DB(), dynamo.New(env.DB(), table), "bc_faults", want)
}

// TestAudienceFilters: each audience reaches its people, intersected with news
// consent and the suppression list, each once.
func TestAudienceFilters(t *testing.T) {
	env := emulator.Get(t)
	ctx, db, table := context.Background(), env.DB(), emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	s := &seeder{t: t, db: db, table: table}
	for _, p := range []struct {
		email, branch, province, lang, status string
		news                                  bool
	}{
		{"ana@example.org", "montreal", "QC", "fr", member.StatusActive, true},
		{"ben@example.org", "laval", "QC", "en", member.StatusActive, true},
		{"cy@example.org", "ottawa", "ON", "en", member.StatusActive, true},
		{"dee@example.org", "laval", "QC", "fr", member.StatusActive, false}, // unsubscribed
		{"eve@example.org", "laval", "ON", "fr", member.StatusPending, true}, // not confirmed
		{"fay@example.org", "ottawa", "ON", "en", member.StatusActive, true}, // suppressed below
		{"gus@example.org", "montreal", "BC", "", member.StatusActive, true},
	} {
		s.member(p.email, p.branch, p.province, p.lang, p.status)
		s.news(p.email, p.news)
	}
	sub := func(id, email, kind, status, lang string) {
		s.put(subscription.Subscription{ID: id, Plan: "p", Kind: kind, Email: email, Status: status, Language: lang, CreatedAt: bcNow},
			"SUBSCRIPTION#"+id, "META", dynamo.TypeSubscription, nil)
	}
	sub("s1", "ana@example.org", plan.KindSubscription, subscription.StatusActive, "fr")
	sub("s2", "ana@example.org", plan.KindSubscription, subscription.StatusPastDue, "fr") // twice: once
	sub("s3", "hal@example.org", plan.KindSubscription, subscription.StatusActive, "en")  // no news state: nothing
	sub("s4", "ivy@example.org", plan.KindSubscription, subscription.StatusCanceled, "en")
	sub("s5", "ben@example.org", plan.KindDues, subscription.StatusActive, "en")
	sub("s6", "jo@example.org", plan.KindSubscription, subscription.StatusActive, "fr")
	s.news("hal@example.org", false)
	s.news("ivy@example.org", true)
	s.news("jo@example.org", true)
	gift := func(id, email, camp, status, lang string) {
		s.put(donation.Donation{ID: id, Campaign: camp, Email: email, Status: status, Language: lang, CreatedAt: bcNow},
			"DONATION#"+id, "META", dynamo.TypeDonation, nil)
	}
	gift("d1", "jo@example.org", "autumn", donation.StatusPaid, "fr")
	gift("d2", "jo@example.org", "autumn", donation.StatusPaid, "fr")
	gift("d3", "kim@example.org", "autumn", donation.StatusPaid, "en")
	s.news("kim@example.org", true)
	gift("d4", "ivy@example.org", "autumn", donation.StatusPending, "en")
	gift("d5", "cy@example.org", "spring", donation.StatusPaid, "en")
	gift("d6", "dee@example.org", "autumn", donation.StatusPaid, "fr")
	s.flush()
	s.suppressed("fay@example.org")
	store := dynamo.New(db, table)
	for _, tt := range []struct {
		spec string
		want []string // address/language/branch
	}{
		{"news", []string{"ana@example.org/fr/montreal", "ben@example.org/en/laval", "cy@example.org/en/ottawa", "eve@example.org/fr/laval",
			"gus@example.org//montreal", "ivy@example.org//", "jo@example.org//", "kim@example.org//"}},
		{"branches:laval,ottawa", []string{"ben@example.org/en/laval", "cy@example.org/en/ottawa"}},
		{"branches:nowhere", nil},
		{"provinces:QC", []string{"ana@example.org/fr/montreal", "ben@example.org/en/laval"}},
		{"provinces:ON,BC", []string{"cy@example.org/en/ottawa", "gus@example.org//montreal"}},
		{"subscribers", []string{"ana@example.org/fr/montreal", "jo@example.org/fr/"}},
		{"dues", []string{"ben@example.org/en/laval"}},
		{"donors:autumn", []string{"jo@example.org/fr/", "kim@example.org/en/"}},
		{"donors:spring", []string{"cy@example.org/en/ottawa"}},
	} {
		a, err := broadcast.ParseAudience(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var mu sync.Mutex
		if err := store.ExpandAudience(ctx, a, func(r broadcast.Recipient) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.Email+"/"+r.Language+"/"+r.Branch)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.spec, got, tt.want)
		}
	}
}
