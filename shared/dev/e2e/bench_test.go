package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
)

// observed is one AWS call the system made, as the proxy saw it.
type observed struct {
	header http.Header
	body   []byte
}

// benchSystem is the local system on a fresh table, its AWS calls passing through a
// proxy (injecting nothing) that records them while recording is on, its HTTP handler
// and its mailer timed meanwhile.
type benchSystem struct {
	env         *emulator.Env
	sys         *localdev.System
	url, table  string
	proxy       *faults.Proxy
	proxyURL    string
	recording   atomic.Bool
	mu          sync.Mutex
	calls       []observed
	handlerTime time.Duration
	mailerTime  time.Duration
	requests    int
	invocations int
}

func newBenchSystem(b *testing.B, mailer bool, options ...func(*faults.Proxy)) *benchSystem {
	b.Helper()
	env := emulator.Get(b)
	bs := &benchSystem{env: env, table: emulator.TableName(b)}
	p, err := faults.New(env.Moto.URL, faults.Rates{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range options { // before it serves
		o(p)
	}
	p.Observe = func(r *http.Request, body []byte) {
		if bs.recording.Load() {
			bs.mu.Lock()
			bs.calls = append(bs.calls, observed{header: r.Header.Clone(), body: body})
			bs.mu.Unlock()
		}
	}
	proxy := httptest.NewServer(p)
	b.Cleanup(proxy.Close)
	bs.proxy, bs.proxyURL = p, proxy.URL
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		if bs.recording.Load() {
			bs.mu.Lock()
			bs.handlerTime += time.Since(start)
			bs.requests++
			bs.mu.Unlock()
		}
	}))
	b.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	settings, err := localdev.Settings(testVars(bs.table).Get, srv.URL, env.Stripe.URL)
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	sys, err := localdev.New(ctx, localdev.Options{Config: settings, MotoURL: proxy.URL,
		BranchesCSV: filepath.Join(emulator.Root(), "infra", "branches.csv")})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	h, bs.sys, bs.url = sys.Handler, sys, srv.URL
	done := make(chan struct{})
	if mailer {
		handle := sys.Mailer.Handle
		sys.Poller.Handle = func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
			start := time.Now()
			res, err := handle(ctx, ev)
			if bs.recording.Load() {
				bs.mu.Lock()
				bs.mailerTime += time.Since(start)
				bs.invocations++
				bs.mu.Unlock()
			}
			return res, err
		}
		go func() { _ = sys.Poller.Run(ctx); close(done) }()
	} else {
		close(done)
	}
	b.Cleanup(func() { cancel(); <-done })
	return bs
}

func (bs *benchSystem) post(b *testing.B, path string, body []byte, header map[string]string) (int, []byte) {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, bs.url+path, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return bs.send(b, req)
}

// create posts a request that creates a donation or a subscription and returns its id.
func (bs *benchSystem) create(b *testing.B, path string, body map[string]any) string {
	b.Helper()
	raw, _ := json.Marshal(body)
	st, res := bs.post(b, path, raw, nil)
	if st != http.StatusCreated {
		b.Fatalf("POST %s: %d %s", path, st, res)
	}
	var ids struct {
		Donation     string `json:"donation_id"`
		Subscription string `json:"subscription_id"`
	}
	_ = json.Unmarshal(res, &ids)
	return ids.Donation + ids.Subscription
}

func (bs *benchSystem) send(b *testing.B, req *http.Request) (int, []byte) {
	b.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (bs *benchSystem) deliver(b *testing.B, payload []byte) {
	b.Helper()
	if st, body := bs.post(b, "/webhooks/stripe", payload, map[string]string{"Stripe-Signature": localpay.Sign(payload, testSecret, time.Now())}); st != http.StatusOK {
		b.Fatalf("webhook %d %s", st, body)
	}
}

// settle waits until the outbox owes nothing.
func (bs *benchSystem) settle(b *testing.B) {
	b.Helper()
	db := bs.env.DB()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		owed := 0
		for _, it := range itemsOfType(b, db, bs.table, "email") {
			if st, _ := it["status"].(*types.AttributeValueMemberS); st == nil || st.Value != outbox.StatusSent {
				owed++
			}
		}
		if owed == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d emails still owed after 2 minutes", owed)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sentBodies are the text bodies of the emails SES was asked to send to addr.
func (bs *benchSystem) sentBodies(addr string) []string {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	var out []string
	for _, c := range bs.calls {
		var in struct {
			Destination struct{ ToAddresses []string }
			Content     struct {
				Simple struct {
					Body struct{ Text struct{ Data string } }
				}
			}
		}
		if json.Unmarshal(c.body, &in) == nil && len(in.Destination.ToAddresses) == 1 && in.Destination.ToAddresses[0] == addr {
			out = append(out, in.Content.Simple.Body.Text.Data)
		}
	}
	return out
}

// BenchmarkWebhookThroughput: payment events through the local server (signature,
// decoding, the ledger's reads and transaction), against the bare emulator calls those
// requests made, replayed byte for byte on a twin table in the same state. Both go
// through the same proxy hop; the mailer is off.
func BenchmarkWebhookThroughput(b *testing.B) {
	bs := newBenchSystem(b, false)
	ctx := context.Background()
	twin := emulator.TableName(b) + "-twin"
	if err := dynamo.CreateTable(ctx, bs.env.DB(), twin); err != nil {
		b.Fatal(err)
	}
	twinStore := dynamo.New(bs.env.DB(), twin)
	if err := localdev.Seed(ctx, twinStore); err != nil {
		b.Fatal(err)
	}
	payloads := make([][]byte, b.N)
	for i := range b.N {
		d := donation.Donation{ID: fmt.Sprintf("don_bench_%06d", i), Campaign: localdev.AppealSlug, CampaignTitle: "2024 financial appeal",
			Currency: "cad", AmountCents: 2500, ChargeCents: 2500, Frequency: donation.Once, FirstName: "Bench", LastName: "Mark",
			Email: fmt.Sprintf("bench-%d@example.org", i), Language: "en", Status: donation.StatusPending,
			CreatedAt: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
		for _, st := range []*dynamo.Store{dynamo.New(bs.env.DB(), bs.table), twinStore} {
			if err := st.CreateDonation(ctx, d, nil); err != nil {
				b.Fatal(err)
			}
		}
		payloads[i] = localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), d.CreatedAt)
	}
	bs.recording.Store(true)
	b.ResetTimer()
	start := time.Now()
	for _, p := range payloads {
		bs.deliver(b, p)
	}
	server := time.Since(start)
	b.StopTimer()
	bs.recording.Store(false)

	start = time.Now()
	for _, c := range bs.calls {
		req, err := http.NewRequest(http.MethodPost, bs.proxyURL+"/", bytes.NewReader(bytes.ReplaceAll(c.body, []byte(`"`+bs.table+`"`), []byte(`"`+twin+`"`))))
		if err != nil {
			b.Fatal(err)
		}
		req.Header = c.header.Clone()
		req.Header.Del("Content-Length")
		st, body := bs.send(b, req)
		if st != http.StatusOK {
			b.Fatalf("bare %s: %d %s", c.header.Get("X-Amz-Target"), st, body)
		}
	}
	bare := time.Since(start)
	b.ReportMetric(float64(b.N)/server.Seconds(), "req/s")
	b.ReportMetric(float64(b.N)/bare.Seconds(), "bare-req/s")
	b.ReportMetric(server.Seconds()/bare.Seconds(), "x-bare")
	b.ReportMetric(float64(len(bs.calls))/float64(b.N), "calls/req")
}

// BenchmarkOperationCost measures what one gift, one signup and one renewal cost in AWS
// terms, for the cost model of make bench: the functions' time (the requests' and the
// mailer's), their invocations, DynamoDB capacity units estimated from the calls made
// and their item sizes, and emails sent.
func BenchmarkOperationCost(b *testing.B) {
	b.Run("gift", func(b *testing.B) {
		bs := newBenchSystem(b, true)
		bs.recording.Store(true)
		for i := range b.N {
			id := bs.create(b, "/donations", map[string]any{"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once",
				"first_name": "Bench", "last_name": "Mark", "email": fmt.Sprintf("gift-%d@example.org", i), "language": "en"})
			d, err := dynamo.New(bs.env.DB(), bs.table).Donation(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			bs.deliver(b, localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
		}
		bs.settle(b)
		bs.report(b)
	})
	b.Run("signup", func(b *testing.B) {
		bs := newBenchSystem(b, true)
		bs.recording.Store(true)
		confirm := regexp.MustCompile(`https?://\S+/members/confirm\?token=[A-Za-z0-9_-]{43}`)
		for i := range b.N {
			addr := fmt.Sprintf("signup-%d@example.org", i)
			body, _ := json.Marshal(map[string]any{"first_name": "Bench", "last_name": "Mark", "email": addr, "phone": "613 555 0142",
				"language": "en", "address": map[string]any{"line1": "1 Bench St", "city": "Ottawa", "province": "ON", "postal_code": "K1R 1A4"}})
			if st, res := bs.post(b, "/members", body, nil); st != http.StatusAccepted {
				b.Fatalf("%d %s", st, res)
			}
			var link string
			for deadline := time.Now().Add(30 * time.Second); link == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				for _, t := range bs.sentBodies(addr) {
					link = confirm.FindString(t)
				}
			}
			if link == "" {
				b.Fatal("no confirmation email")
			}
			// The button of the link's page posts its token in the form.
			u, err := url.Parse(link)
			if err != nil {
				b.Fatal(err)
			}
			tok := u.Query().Get("token")
			u.RawQuery = ""
			req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(url.Values{"token": {tok}}.Encode()))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if st, res := bs.send(b, req); st != http.StatusOK {
				b.Fatalf("confirm %d %s", st, res)
			}
		}
		bs.settle(b)
		bs.report(b)
	})
	b.Run("renewal", func(b *testing.B) {
		bs := newBenchSystem(b, true)
		p := plan.Default()["solidarity-annual"]
		ctx := context.Background()
		subs := make([][]byte, b.N)
		for i := range b.N {
			id := bs.create(b, "/subscriptions", map[string]any{"plan": p.Slug, "first_name": "Bench", "last_name": "Mark",
				"email": fmt.Sprintf("renewal-%d@example.org", i), "language": "en"})
			sub, err := dynamo.New(bs.env.DB(), bs.table).Subscription(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			bs.deliver(b, localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, nil), time.Now()))
			bs.deliver(b, localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 1, true), time.Now()))
			subs[i] = localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 2, true), time.Now())
		}
		bs.settle(b)
		bs.recording.Store(true)
		b.ResetTimer()
		for _, ev := range subs {
			bs.deliver(b, ev)
		}
		bs.settle(b)
		bs.report(b)
	})
}

// report turns what was recorded into per-operation metrics.
func (bs *benchSystem) report(b *testing.B) {
	b.StopTimer()
	bs.recording.Store(false)
	bs.mu.Lock()
	defer bs.mu.Unlock()
	var wru, rru, emails float64
	for _, c := range bs.calls {
		op, ok := strings.CutPrefix(c.header.Get("X-Amz-Target"), "DynamoDB_20120810.")
		switch {
		case ok:
			w, r := capacityUnits(op, c.body)
			wru, rru = wru+w, rru+r
		case strings.Contains(c.header.Get("Authorization"), "/ses/"):
			emails++
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(bs.handlerTime.Microseconds())/1000/n, "request-ms/op")
	b.ReportMetric(float64(bs.mailerTime.Microseconds())/1000/n, "mailer-ms/op")
	b.ReportMetric(float64(bs.requests)/n, "requests/op")
	b.ReportMetric(float64(bs.invocations)/n, "mailer-invocations/op")
	b.ReportMetric(wru/n, "WRU/op")
	b.ReportMetric(rru/n, "RRU/op")
	b.ReportMetric(emails/n, "emails/op")
}

// capacityUnits estimates the on-demand request units of one DynamoDB call from its
// request: a strongly consistent read of an item up to 4 KB is 1 RRU (eventually
// consistent, as GSI queries are, 0.5); a write is 1 WRU per KB of the item written, 2
// in a transaction (condition checks included), plus the index's copy of an item that
// carries GSI keys. An update is counted at its item's size only when the item is in
// the request, else 1 KB.
func capacityUnits(op string, body []byte) (wru, rru float64) {
	var in struct {
		ConsistentRead bool
		Item           map[string]any
		TransactItems  []map[string]struct{ Item map[string]any }
		RequestItems   map[string]any
	}
	_ = json.Unmarshal(body, &in)
	write := func(item map[string]any, factor float64) float64 {
		units := math.Max(1, math.Ceil(float64(itemSize(item))/1024))
		if _, indexed := item["gsi1pk"]; indexed {
			return factor*units + units
		}
		return factor * units
	}
	switch op {
	case "GetItem":
		if in.ConsistentRead {
			return 0, 1
		}
		return 0, 0.5
	case "Query", "Scan":
		return 0, 0.5
	case "PutItem":
		return write(in.Item, 1), 0
	case "UpdateItem", "DeleteItem":
		return 1, 0
	case "TransactWriteItems":
		for _, it := range in.TransactItems {
			for _, v := range it {
				wru += write(v.Item, 2)
			}
		}
		return wru, 0
	case "TransactGetItems":
		return 0, 2
	}
	return 0, 0
}

// itemSize is an item's size as DynamoDB bills it, near enough: names plus values.
func itemSize(item map[string]any) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	m, ok := v.(map[string]any)
	if !ok {
		return 0
	}
	n := 0
	for typ, x := range m {
		switch typ {
		case "S", "B":
			s, _ := x.(string)
			n += len(s)
		case "N":
			s, _ := x.(string)
			n += len(s)/2 + 1
		case "BOOL", "NULL":
			n++
		case "M":
			inner, _ := x.(map[string]any)
			n += 3 + itemSize(inner)
		case "L":
			list, _ := x.([]any)
			n += 3
			for _, e := range list {
				n += 1 + valueSize(e)
			}
		case "SS", "NS", "BS":
			list, _ := x.([]any)
			for _, e := range list {
				s, _ := e.(string)
				n += len(s)
			}
		}
	}
	return n
}
