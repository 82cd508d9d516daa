package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// hotSeconds is how long each run of BenchmarkHotAppeal sends for.
const hotSeconds = 4

// BenchmarkHotAppeal: one appeal's payment webhooks at 10, 50 and 100 a second (arrivals
// at random, as people pay, for hotSeconds; each payment its own sender, at most 256 at
// once) through the local server, with a proxy in front of moto applying DynamoDB's
// conflict rule (faults.Contention: a transaction holds its items a log-normal 12 ms
// median, 40 ms p99), the campaign counting on one item (shards=1: as before counters
// were spread) and on its default counter items. It reports the transactions cancelled
// for a conflict per 1,000 payments, the webhook's p50 and p99, the transaction attempts
// beyond one a payment (the SDK's retries and the ledger's own) per 1,000, the answers
// 5xx, and whether the campaign's total is exact (1) once all were answered.
func BenchmarkHotAppeal(b *testing.B) {
	for _, shards := range []int{1, campaign.DefaultCounterShards} {
		for _, rate := range []int{10, 50, 100} {
			b.Run(fmt.Sprintf("shards=%d/rate=%d", shards, rate), func(b *testing.B) {
				for range b.N {
					hotAppeal(b, shards, rate)
				}
			})
		}
	}
}

func hotAppeal(b *testing.B, shards, rate int) {
	contention := &faults.Contention{DrawnHoldOnly: true}
	bs := newBenchSystem(b, false, func(p *faults.Proxy) { p.Contention = contention })
	ctx := context.Background()
	store := dynamo.New(bs.env.DB(), bs.table) // setup beside the proxy
	slug := fmt.Sprintf("hot-%d-%d", shards, rate)
	if err := store.CreateCampaign(ctx, campaign.Campaign{Slug: slug, TitleEN: "Hot", TitleFR: "Chaud", Currency: "cad",
		GoalCents: 100_000_00, Open: true, CounterShards: shards}); err != nil {
		b.Fatal(err)
	}
	n := rate * hotSeconds
	const amount = 2500
	payloads := make([][]byte, n)
	for i := range n {
		d := donation.Donation{ID: fmt.Sprintf("don_%s_%05d", slug, i), Campaign: slug, CampaignTitle: "Hot", Currency: "cad",
			AmountCents: amount, ChargeCents: amount, Frequency: donation.Once, FirstName: "Hot", Email: fmt.Sprintf("hot-%d@example.org", i),
			Language: "en", Status: donation.StatusPending, CreatedAt: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), CounterShards: shards}
		if err := store.CreateDonation(ctx, d, nil); err != nil {
			b.Fatal(err)
		}
		payloads[i] = localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), d.CreatedAt)
	}
	before := bs.proxy.Transactions()
	conflictsBefore, _ := bs.proxy.Counts()

	rnd := rand.New(rand.NewPCG(uint64(rate), uint64(shards)))
	var (
		mu        sync.Mutex
		latencies []time.Duration
		fiveXX    int
		wg        sync.WaitGroup
	)
	slots := make(chan struct{}, 256)
	client := &http.Client{Timeout: 60 * time.Second}
	start := time.Now()
	at := time.Duration(0)
	for _, p := range payloads {
		at += time.Duration(rnd.ExpFloat64() / float64(rate) * float64(time.Second)) // Poisson arrivals
		time.Sleep(time.Until(start.Add(at)))
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			req, err := http.NewRequest(http.MethodPost, bs.url+"/webhooks/stripe", bytes.NewReader(p))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Stripe-Signature", localpay.Sign(p, testSecret, time.Now()))
			sent := time.Now()
			res, err := client.Do(req)
			took := time.Since(sent)
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, took)
			if err != nil || res.StatusCode >= 500 {
				fiveXX++
			}
			if err == nil {
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	span := time.Since(start)
	counts, _ := bs.proxy.Counts()
	conflicts := counts[faults.KindHeldTransaction] - conflictsBefore[faults.KindHeldTransaction]
	attempts := bs.proxy.Transactions() - before
	// Stripe would deliver again what was answered 5xx: the total is checked once
	// everything was answered, redelivering those until each is recorded.
	for i := 0; fiveXX > 0 && i < 20; i++ {
		again := 0
		for _, p := range payloads {
			if st, _ := bs.post(b, "/webhooks/stripe", p, map[string]string{"Stripe-Signature": localpay.Sign(p, testSecret, time.Now())}); st >= 500 {
				again++
			}
		}
		if again == 0 {
			break
		}
	}
	c, err := store.Campaign(ctx, slug)
	if err != nil {
		b.Fatal(err)
	}
	if c.PaidCents != int64(n*amount) || c.DonationCount != int64(n) || c.DonorCount != int64(n) {
		b.Fatalf("the total after all were answered: %d cents from %d gifts, %d donors; want %d from %d", c.PaidCents, c.DonationCount, c.DonorCount, n*amount, n)
	}
	slices.Sort(latencies)
	pct := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(n)/span.Seconds(), "payments/s")
	b.ReportMetric(1000*float64(conflicts)/float64(n), "conflicts/1000")
	b.ReportMetric(1000*float64(attempts-n)/float64(n), "retries/1000")
	b.ReportMetric(float64(fiveXX), "5xx")
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
