package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/suppression"
)

// The broadcast's subjects: each language's, and both in one message.
const (
	bcSubjectEN   = "Rally on Saturday"
	bcSubjectFR   = "Manifestation samedi"
	bcSubjectBoth = bcSubjectEN + " / " + bcSubjectFR
)

// countingSES passes sends on and counts, per recipient, the sends SES accepted (a send
// the fault proxy failed sent nothing), with the second each was asked in.
type countingSES struct {
	mail.SES
	mu        sync.Mutex
	to        map[string]int
	perSecond map[int64]int
	accepted  int
	calls     atomic.Int64
	after     func(n int64) // called after each accepted send, with how many so far
}

func newCountingSES(ses mail.SES) *countingSES {
	return &countingSES{SES: ses, to: map[string]int{}, perSecond: map[int64]int{}}
}

func (c *countingSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	c.calls.Add(1)
	asked := time.Now() // the second SES is asked in, as its rate counts
	out, err := c.SES.SendEmail(ctx, in, opts...)
	if err == nil {
		c.mu.Lock()
		c.to[strings.ToLower(in.Destination.ToAddresses[0])]++
		c.perSecond[asked.Unix()]++
		c.accepted++
		n := c.accepted
		c.mu.Unlock()
		if c.after != nil {
			c.after(int64(n))
		}
	}
	return out, err
}

// total is how many sends SES accepted.
func (c *countingSES) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

// reset forgets the sends counted.
func (c *countingSES) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.to, c.perSecond, c.accepted = map[string]int{}, map[int64]int{}, 0
}

func (c *countingSES) sends(to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.to[to]
}

// bcSystem is a table, a mailer and a broadcast sender on moto, their calls through a
// fault proxy (off until turned on), SES's counted.
type bcSystem struct {
	env   *emulator.Env
	store *dynamo.Store
	proxy *faults.Proxy
	ses   *countingSES
	m     mail.Mailer
	db    *dynamodb.Client
	table string
	// dynamoCalls and sesCalls count what the proxy saw while counting is on.
	counting    atomic.Bool
	dynamoCalls atomic.Int64
	sesCalls    atomic.Int64
	// units are the request units of those calls (capacityUnits' estimate).
	unitsMu  sync.Mutex
	wru, rru float64
}

// takeUnits returns the request units counted since the last call, and forgets them.
func (bs *bcSystem) takeUnits() (wru, rru float64) {
	bs.unitsMu.Lock()
	defer bs.unitsMu.Unlock()
	wru, rru, bs.wru, bs.rru = bs.wru, bs.rru, 0, 0
	return wru, rru
}

func newBCSystem(t testing.TB, rates faults.Rates, seed uint64) *bcSystem {
	t.Helper()
	env := emulator.Get(t)
	proxy, err := faults.New(env.Moto.URL, rates, seed)
	if err != nil {
		t.Fatal(err)
	}
	bs := &bcSystem{env: env, proxy: proxy, table: emulator.TableName(t)}
	proxy.Observe = func(r *http.Request, body []byte) {
		if !bs.counting.Load() {
			return
		}
		if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "DynamoDB_") {
			bs.dynamoCalls.Add(1)
			w, rd := capacityUnits(target[strings.LastIndexByte(target, '.')+1:], body)
			bs.unitsMu.Lock()
			bs.wru, bs.rru = bs.wru+w, bs.rru+rd
			bs.unitsMu.Unlock()
		} else if strings.Contains(r.URL.Path, "/outbound-emails") {
			bs.sesCalls.Add(1)
		}
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	cfg := emulator.AWSConfig(srv.URL)
	bs.db = dynamodb.NewFromConfig(cfg)
	if err := dynamo.CreateTable(ctx, env.DB(), bs.table); err != nil {
		t.Fatal(err)
	}
	ses := sesv2.NewFromConfig(cfg)
	if _, err := sesv2.NewFromConfig(env.AWS).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("appeal@solidarity.example")}); err != nil {
		t.Fatal(err)
	}
	bs.store = dynamo.New(bs.db, bs.table)
	bs.ses = newCountingSES(ses)
	bs.m = mail.Mailer{Outbox: bs.store, Suppressions: bs.store, SES: bs.ses, From: "appeal@solidarity.example",
		Broadcasts: &mail.BroadcastCache{Source: bs.store}, News: bs.store,
		ConfigurationSet: "", PublicURL: "https://api.example.org", Now: time.Now}
	return bs
}

// sender is a broadcast sender of rate emails a second.
func (bs *bcSystem) sender(rate float64) broadcast.Sender {
	return broadcast.Sender{Store: bs.store, Mailer: bs.m, Now: time.Now, Sleep: broadcast.SleepContext,
		Rate:     func(context.Context) (float64, error) { return rate, nil },
		Continue: func(context.Context, string) error { return nil }, Idle: 200 * time.Millisecond}
}

// newBroadcast creates a broadcast and starts it sending.
func (bs *bcSystem) newBroadcast(t testing.TB, id string) {
	t.Helper()
	ctx := context.Background()
	b := broadcast.Broadcast{ID: id, SubjectEN: bcSubjectEN, SubjectFR: bcSubjectFR,
		BodyEN: "Join us on **Saturday** at noon.", BodyFR: "Rejoignez-nous **samedi** à midi.",
		Audience: broadcast.Audience{Kind: broadcast.News}, CreatedBy: "ana", CreatedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	if err := bs.store.CreateBroadcast(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := bs.store.SetBroadcastState(ctx, id, broadcast.StateDraft, broadcast.StateSending); err != nil {
		t.Fatal(err)
	}
}

// bcPerson is one person of a test audience.
type bcPerson struct {
	email, lang string
	state       string // "subscribed", "never" (no news state), "unsubscribed", "bounced"
}

// people are n people of each state in turn: subscribed ones first, each language in turn.
func bcPeople(prefix string, subscribed, never, unsubscribed, bounced int) []bcPerson {
	var out []bcPerson
	langs := []string{"en", "fr", ""}
	add := func(n int, state string) {
		for i := range n {
			out = append(out, bcPerson{email: fmt.Sprintf("%s-%s-%d@example.org", prefix, state, i), lang: langs[len(out)%3], state: state})
		}
	}
	add(subscribed, "subscribed")
	add(never, "never")
	add(unsubscribed, "unsubscribed")
	add(bounced, "bounced")
	return out
}

// seed gives each person their news state (a batch write: the ledger's own writes are
// tested elsewhere), then queues every one of them through the queueing's own
// QueueRecipient, so that the sender's checks at send time are what keep the others
// out. Then the unsubscribed withdraw (after queueing: the mailer must honour it) and
// the bounced are suppressed.
func (bs *bcSystem) seed(t testing.TB, id string, people []bcPerson) {
	t.Helper()
	bs.seedStates(t, people)
	bs.queue(t, id, people)
}

// seedStates writes the news states of people.
func (bs *bcSystem) seedStates(t testing.TB, people []bcPerson) {
	t.Helper()
	ctx := context.Background()
	var batch []types.WriteRequest
	flush := func() {
		for len(batch) > 0 {
			out, err := bs.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{bs.table: batch}})
			if err != nil {
				t.Fatal(err)
			}
			batch = out.UnprocessedItems[bs.table]
		}
	}
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range people {
		if p.state == "never" {
			continue
		}
		it, err := attributevalue.MarshalMap(consent.State{Email: p.email, Subscribed: true, ChangedAt: at, Source: "donation"})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range dynamo.NewsKey(p.email) {
			it[k] = v
		}
		it["type"] = &types.AttributeValueMemberS{Value: dynamo.TypeNewsState}
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		if p.lang != "" { // the consent record that gave the language
			rec, err := attributevalue.MarshalMap(consent.Record{Email: p.email, Purpose: consent.News, Granted: true, Language: p.lang, At: at, SourceID: "seed"})
			if err != nil {
				t.Fatal(err)
			}
			rec["pk"] = &types.AttributeValueMemberS{Value: "PERSON#" + p.email}
			rec["sk"] = &types.AttributeValueMemberS{Value: "CONSENT#" + at.Format(time.RFC3339Nano) + "#seed"}
			rec["type"] = &types.AttributeValueMemberS{Value: dynamo.TypeConsent}
			batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: rec}})
		}
		if len(batch) >= 24 {
			flush()
		}
	}
	flush()
}

// queue queues each person through QueueRecipient, then withdraws the unsubscribed and
// suppresses the bounced.
func (bs *bcSystem) queue(t testing.TB, id string, people []bcPerson) {
	t.Helper()
	for _, p := range people {
		if _, err := bs.store.QueueRecipient(context.Background(), id, broadcast.Recipient{Email: p.email, Language: p.lang}); err != nil {
			t.Fatal(err)
		}
	}
	bs.turnAway(t, people)
}

// turnAway withdraws the news consent of the unsubscribed and suppresses the bounced.
func (bs *bcSystem) turnAway(t testing.TB, people []bcPerson) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for _, p := range people {
		switch p.state {
		case "unsubscribed":
			rec := consent.Grant(p.email, p.lang, "unsubscribe_link", "test", consent.Origin{}, at.Add(time.Hour))
			rec.Granted = false
			if _, err := bs.store.Withdraw(ctx, rec); err != nil {
				t.Fatal(err)
			}
		case "bounced":
			if _, err := bs.store.Suppress(ctx, suppression.Record{Address: p.email, Reason: suppression.ReasonBounce, MessageID: "m", At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// runUntilDone runs the sender as SQS would deliver its message, again after a failed
// run, until the broadcast is sent (another sender may have marked it so). It may run
// in a goroutine of its own: it reports with Errorf.
func (bs *bcSystem) runUntilDone(t testing.TB, s broadcast.Sender, id string) {
	for try := 0; ; try++ {
		p, err := s.RunProgress(context.Background(), id)
		if err == nil && (p.Done || p.Passes == 0) { // done here, or found sent by the other
			return
		}
		if try == 20 {
			t.Errorf("broadcast not sent after %d runs: %+v %v", try+1, p, err)
			return
		}
	}
}

// sentByAddress is moto's sent messages, by recipient.
func sentByAddress(t testing.TB, motoURL string) map[string][]emulator.SentEmail {
	t.Helper()
	res, err := http.Get(motoURL + "/solidarity/ses/sent")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var data struct {
		SES struct {
			Message []emulator.SentEmail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil {
		t.Fatal(err)
	}
	out := map[string][]emulator.SentEmail{}
	for _, m := range data.SES.Message {
		for _, d := range m.Destinations.ToAddresses {
			out[strings.ToLower(d)] = append(out[strings.ToLower(d)], m)
		}
	}
	return out
}

// checkSentOnce checks that each subscribed person got exactly one email, in their
// language, and that nobody else got any; and what the recipients' items say.
func (bs *bcSystem) checkSentOnce(t *testing.T, id string, people []bcPerson) {
	t.Helper()
	sent := sentByAddress(t, bs.env.Moto.URL)
	want := map[string]string{"en": bcSubjectEN, "fr": bcSubjectFR, "": bcSubjectBoth}
	bad := 0
	for _, p := range people {
		n, got := bs.ses.sends(p.email), sent[p.email]
		if p.state == "subscribed" {
			if n != 1 || len(got) != 1 || got[0].Subject != want[p.lang] {
				if bad++; bad <= 5 {
					t.Errorf("%s (%q): %d accepted sends, moto holds %d %+v", p.email, p.lang, n, len(got), got)
				}
			}
		} else if n != 0 || len(got) != 0 {
			if bad++; bad <= 5 {
				t.Errorf("%s (%s) was sent %d (moto %d), want none", p.email, p.state, n, len(got))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d people wrongly sent to", bad)
	}
	rep, err := bs.store.BroadcastReport(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var subscribed, unsubscribed, suppressed int64
	for _, p := range people {
		switch p.state {
		case "subscribed":
			subscribed++
		case "bounced":
			suppressed++
		default:
			unsubscribed++
		}
	}
	if rep.ByStatus[outbox.StatusSent] != subscribed || rep.ByStatus[outbox.StatusSuppressed] != suppressed ||
		rep.ByStatus[outbox.StatusSkipped] != unsubscribed || rep.Skipped[mail.SkipUnsubscribed] != unsubscribed {
		t.Fatalf("report %+v", rep)
	}
	b, err := bs.store.Broadcast(context.Background(), id)
	if err != nil || b.State != broadcast.StateSent {
		t.Fatalf("broadcast %s %v", b.State, err)
	}
}

// broadcastPeople is the size of TestBroadcastSendsEachOnceThroughFaults's audience:
// 500 in an ordinary run (moto sends about 10 emails a second under the faults), the
// issue's 2,500 under make proof.
var broadcastPeople = flag.Int("broadcast.people", 500, "people in the faults broadcast (make proof: 2500)")

var broadcastBench = flag.Int("broadcast.bench", 10_000, "recipients of BenchmarkBroadcastSend")

// TestBroadcastSendsEachOnceThroughFaults: a broadcast queued to people of whom four in
// five are subscribed to news (in English, French, or neither: both in one message) and
// one in five are not (2 in 25 never consented, 3 in 50 unsubscribed after being queued,
// 3 in 50 bounced): at make proof's 2,500, 2,000 and 500 (200, 150, 150). Sent by two
// senders at once through DynamoDB errors, throttling, answers lost after applying and
// SES failures, each run again (as SQS would) until the broadcast is sent: each
// subscribed person gets exactly one email, in their language, and nobody else any; the
// report counts them so.
func TestBroadcastSendsEachOnceThroughFaults(t *testing.T) {
	bs := newBCSystem(t, faults.Rates{InternalError: 0.02, Throttle: 0.02, LostAnswer: 0.03, SESError: 0.03, SESThrottle: 0.02}, 19)
	const id = "bc_faults"
	bs.newBroadcast(t, id)
	n := *broadcastPeople
	people := bcPeople("faults", n*4/5, n*2/25, n*3/50, n-n*4/5-n*2/25-n*3/50)
	bs.seed(t, id, people)
	bs.proxy.On()
	var wg sync.WaitGroup
	for range 2 { // the event source allows two senders at once
		wg.Go(func() { bs.runUntilDone(t, bs.sender(1000), id) })
	}
	wg.Wait()
	bs.proxy.Off()
	counts, _ := bs.proxy.Counts()
	t.Logf("faults: %s", bs.proxy.Summary())
	if counts[faults.KindLostAnswer] == 0 || counts[faults.KindSESError] == 0 {
		t.Fatal("no answer was lost or no send failed: the test proved nothing")
	}
	bs.checkSentOnce(t, id, people)
}

// TestBroadcastKilledAndRerun: a send killed halfway (its context cancelled after 100
// emails) and run again sends the rest, and no one twice; an unsubscribe that arrives
// while it is stopped is honoured by the rerun.
func TestBroadcastKilledAndRerun(t *testing.T) {
	bs := newBCSystem(t, faults.Rates{}, 1)
	const id = "bc_killed"
	bs.newBroadcast(t, id)
	people := bcPeople("killed", 300, 0, 0, 0)
	bs.seed(t, id, people)
	ctx, kill := context.WithCancel(context.Background())
	bs.ses.after = func(n int64) {
		if n == 100 {
			kill()
		}
	}
	p, err := bs.sender(1000).RunProgress(ctx, id)
	if err == nil || p.Done {
		t.Fatalf("the killed run ended %+v %v", p, err)
	}
	bs.ses.after = nil
	sentBefore := 0
	for _, p := range people {
		sentBefore += bs.ses.sends(p.email)
	}
	if sentBefore < 100 || sentBefore > 100+broadcast.DefaultWorkers { // those in hand at the kill may finish
		t.Fatalf("%d sent before the kill", sentBefore)
	}
	// The emails in hand at the kill finished their SES calls (moto holds what the
	// client saw accepted) and were marked, or released: none is left sending under a
	// claim that would hold it back for the claim timeout.
	rep, err := bs.store.BroadcastReport(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	held, moto := 0, sentByAddress(t, bs.env.Moto.URL)
	for _, p := range people {
		held += len(moto[p.email])
	}
	if rep.ByStatus[outbox.StatusSending] != 0 || held != sentBefore || rep.ByStatus[outbox.StatusSent] != int64(sentBefore) {
		t.Fatalf("after the kill: %v; moto holds %d, the client saw %d accepted", rep.ByStatus, held, sentBefore)
	}
	// While it is stopped, the last person unsubscribes.
	last := &people[len(people)-1]
	rec := consent.Grant(last.email, last.lang, "unsubscribe_link", "test", consent.Origin{}, time.Now().UTC())
	rec.Granted = false
	if _, err := bs.store.Withdraw(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	last.state = "unsubscribed"
	bs.runUntilDone(t, bs.sender(1000), id)
	bs.checkSentOnce(t, id, people)
}

// TestSendTokensHoldTheRate: two senders taking tokens as fast as they can, limit 7 a
// second, never take more than 7 in any second between them, and the bucket's count of
// each second is what they took.
func TestSendTokensHoldTheRate(t *testing.T) {
	bs := newBCSystem(t, faults.Rates{}, 1)
	const limit = 7
	var mu sync.Mutex
	taken := map[int64]int{}
	stop := time.Now().Add(2500 * time.Millisecond)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				now := time.Now()
				ok, err := bs.store.TakeSendToken(context.Background(), now, limit)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					taken[now.Unix()]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(taken) < 2 {
		t.Fatalf("tokens taken in %d seconds only", len(taken))
	}
	full := 0
	for sec, n := range taken {
		if n > limit {
			t.Errorf("second %d: %d tokens taken, limit %d", sec, n, limit)
		}
		if n == limit {
			full++
		}
		got, err := bs.store.SendTokens(context.Background(), time.Unix(sec, 0))
		if err != nil || got != n {
			t.Errorf("second %d: the bucket counts %d (%v), %d taken", sec, got, err, n)
		}
	}
	if full == 0 {
		t.Fatalf("no second reached its limit: the senders were too slow to test it (%v)", taken)
	}
}

// BenchmarkBroadcastSend queues 10,000 recipients of a broadcast to everyone subscribed
// to news (-broadcast.bench to change) as `staff broadcast send` does — counting the
// audience, then expanding it again and queueing each person — and sends them with one
// sender (as the stack runs one a broadcast) at a rate the emulators cannot reach,
// through the local emulators: it reports the time and the DynamoDB and SES calls of
// each phase per recipient. Then two senders send a broadcast of 600 at 10 a second,
// under what they could do together: the busiest second and the average stay at or
// under the configured rate.
func BenchmarkBroadcastSend(b *testing.B) {
	n := *broadcastBench
	for range b.N {
		bs := newBCSystem(b, faults.Rates{}, 1)
		id := fmt.Sprintf("bc_bench_%d", time.Now().UnixNano())
		made := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		if err := bs.store.CreateBroadcast(context.Background(), broadcast.Broadcast{ID: id, SubjectEN: bcSubjectEN, SubjectFR: bcSubjectFR,
			BodyEN: "Join us on **Saturday** at noon.", BodyFR: "Rejoignez-nous **samedi** à midi.",
			Audience: broadcast.Audience{Kind: broadcast.News}, CreatedBy: "ana", CreatedAt: made}); err != nil {
			b.Fatal(err)
		}
		bs.seedStates(b, bcPeople("bench", n, 0, 0, 0))
		bs.counting.Store(true)
		start := time.Now()
		var out strings.Builder
		posted := 0
		src := staff.Sources{Now: func() time.Time { return made.Add(time.Hour) },
			BroadcastQueue: func(context.Context, string) error { posted++; return nil }}
		if err := staff.Run(context.Background(), bs.store, src,
			[]string{"broadcast", "send", "-id", id, "-confirm", "-confirm-large", strconv.Itoa(n)}, &out); err != nil || posted != 1 {
			b.Fatalf("broadcast send: %v (%d posted)\n%s", err, posted, out.String())
		}
		queueTime := time.Since(start)
		queueDynamo := bs.dynamoCalls.Swap(0)
		queueWRU, queueRRU := bs.takeUnits()
		start = time.Now()
		bs.runUntilDone(b, bs.sender(1000), id)
		sendTime := time.Since(start)
		bs.counting.Store(false)
		if total := bs.ses.total(); total != n {
			b.Fatalf("%d sent, want %d", total, n)
		}
		b.ReportMetric(float64(n), "recipients")
		b.ReportMetric(queueTime.Seconds(), "queue-s")
		b.ReportMetric(float64(queueDynamo)/float64(n), "queue-dynamodb-calls/recipient")
		b.ReportMetric(sendTime.Seconds(), "send-s")
		b.ReportMetric(float64(n)/sendTime.Seconds(), "emails/s")
		b.ReportMetric(float64(bs.dynamoCalls.Load())/float64(n), "send-dynamodb-calls/recipient")
		b.ReportMetric(float64(bs.sesCalls.Load())/float64(n), "ses-calls/recipient")
		sendWRU, sendRRU := bs.takeUnits()
		b.ReportMetric(queueWRU/float64(n), "queue-WRU/recipient")
		b.ReportMetric(queueRRU/float64(n), "queue-RRU/recipient")
		b.ReportMetric(sendWRU/float64(n), "send-WRU/recipient")
		b.ReportMetric(sendRRU/float64(n), "send-RRU/recipient")

		const paced, rate = 600, 10
		bs.ses.reset()
		pid := id + "_paced"
		bs.newBroadcast(b, pid)
		bs.seed(b, pid, bcPeople("paced", paced, 0, 0, 0))
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { bs.runUntilDone(b, bs.sender(rate), pid) })
		}
		wg.Wait()
		busiest, first, last := 0, int64(math.MaxInt64), int64(0)
		for sec, c := range bs.ses.perSecond {
			busiest, first, last = max(busiest, c), min(first, sec), max(last, sec)
		}
		if total := bs.ses.total(); total != paced {
			b.Fatalf("paced: %d sent, want %d", total, paced)
		}
		if busiest > rate {
			b.Fatalf("%d sent in one second, over the configured %d", busiest, rate)
		}
		b.ReportMetric(rate, "paced-configured-emails/s")
		b.ReportMetric(float64(busiest), "paced-busiest-second-emails")
		b.ReportMetric(float64(paced)/float64(last-first+1), "paced-average-emails/s")
	}
}
