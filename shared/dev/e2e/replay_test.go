package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/subscription"
)

// The replay scenario: a generated day of activity, run once fault-free (ordered, each
// event delivered once) and once through the fault-injecting proxy (each Stripe event
// delivered two or three times, shuffled, concurrently, AWS failing underneath). Both
// must end in the same state, with every owed email sent once or dead-lettered, and all
// sent after `staff mail redrive`. `make test` runs a short day; `make proof` a long one.
var (
	replayEvents = flag.Int("replay.events", 150, "Stripe events in the replayed day (make proof: 2000 or more)")
	replaySeed   = flag.Uint64("replay.seed", 0, "seed of the replayed day and its faults (0: from the clock; a failure prints it)")
)

// replayRates are the faults of the replay: about one DynamoDB call in five meets one.
var replayRates = faults.Rates{
	InternalError: 0.04, Throttle: 0.04, Conflict: 0.04, LostAnswer: 0.04, Slow: 0.04, MaxDelay: 50 * time.Millisecond,
	SESError: 0.05, SESThrottle: 0.05,
}

// Actor kinds of the replayed day.
const (
	actorGift    = "gift"
	actorMonthly = "monthly"
	actorPlan    = "plan"
	actorMember  = "member"
)

// step is one Stripe event of an actor's life, built from its record once created.
type step struct {
	typ string
	at  time.Duration // after the day's start: orders the events
	obj func(r record) localpay.Object
}

// record is what an actor's request created: a donation or a subscription.
type record struct {
	d   donation.Donation
	sub subscription.Subscription
}

type actor struct {
	n           int
	kind        string
	first, last string
	lang        string
	amount      int64
	plan        string
	postal      [3]string // member: postal code, city, province
	confirm     bool      // member: opens the confirmation link
	steps       []step
}

func (a actor) email(run string) string { return fmt.Sprintf("%s-%d@replay.example", run, a.n) }

var (
	replayFirst = []string{"Amira", "Benoît", "Chloé", "Dmitri", "Émilie", "Farid", "Gaëlle", "Hiroshi", "Inès", "Jonah"}
	replayLast  = []string{"Ouellet", "Nakamura", "Diallo", "Fraser", "Côté", "Singh", "Lavoie", "MacLeod", "Haddad", "Gagnon"}
	// Postal code, city and province of members, across branches and at-large lists.
	replayPlaces = [][3]string{
		{"H2X 1Y4", "Montréal", "QC"}, {"M5V 2T6", "Toronto", "ON"}, {"R0G 1A0", "Altona", "MB"},
		{"K1R 1A4", "Ottawa", "ON"}, {"V6B 1A1", "Vancouver", "BC"}, {"G1R 4P5", "Québec", "QC"},
		{"B3H 1A1", "Halifax", "NS"}, {"T2P 1J9", "Calgary", "AB"}, {"X1A 2L9", "Yellowknife", "NT"},
	}
)

// generateDay makes actors until their events number at least events.
func generateDay(seed uint64, events int) []actor {
	rnd := rand.New(rand.NewPCG(seed, seed^0xda7))
	plans := plan.Default()
	slugs := []string{"solidarity-annual", "solidarity-monthly", "dues-monthly"}
	var day []actor
	total := 0
	for n := 0; total < events; n++ {
		a := actor{n: n, first: replayFirst[rnd.IntN(len(replayFirst))], last: replayLast[rnd.IntN(len(replayLast))],
			lang: []string{"en", "fr"}[rnd.IntN(2)]}
		start := time.Duration(n) * time.Minute // each actor's life starts a minute after the last's
		at := func(d time.Duration) time.Duration { return start + d }
		switch x := rnd.Float64(); {
		case x < 0.35:
			a.kind, a.amount = actorGift, int64(500+rnd.IntN(40)*500)
			switch y := rnd.Float64(); {
			case y < 0.15: // abandoned at Checkout: no event
			case y < 0.25:
				a.steps = append(a.steps, step{"checkout.session.async_payment_failed", at(time.Second),
					func(r record) localpay.Object { return localpay.SessionAsyncFailed(r.d) }})
			case y < 0.29: // charged in US dollars, unconverted: recorded, in no total
				a.steps = append(a.steps, step{"checkout.session.completed", at(time.Second), func(r record) localpay.Object {
					o := localpay.SessionCompleted(r.d)
					o["currency"], o["amount_total"] = "usd", r.d.ChargeCents*3/4
					return o
				}})
			case y < 0.33: // charged in rupiah, converted from our dollars (Adaptive Pricing)
				a.steps = append(a.steps, step{"checkout.session.completed", at(time.Second), func(r record) localpay.Object {
					o := localpay.SessionCompleted(r.d)
					o["currency"], o["amount_total"] = "idr", r.d.ChargeCents*11128
					o["currency_conversion"] = map[string]any{"amount_subtotal": r.d.ChargeCents, "amount_total": r.d.ChargeCents,
						"fx_rate": "11128", "source_currency": r.d.Currency}
					return o
				}})
			default:
				a.steps = append(a.steps, step{"checkout.session.completed", at(time.Second),
					func(r record) localpay.Object { return localpay.SessionCompleted(r.d) }})
				switch z := rnd.Float64(); {
				case z < 0.15: // a partial refund, then the rest
					a.steps = append(a.steps,
						step{"charge.refunded", at(time.Hour), func(r record) localpay.Object {
							return localpay.ChargeRefunded(localpay.PaymentIntentID(r.d), r.d.ChargeCents, r.d.ChargeCents/2, r.d.Currency)
						}},
						step{"charge.refunded", at(2 * time.Hour), func(r record) localpay.Object {
							return localpay.ChargeRefunded(localpay.PaymentIntentID(r.d), r.d.ChargeCents, r.d.ChargeCents, r.d.Currency)
						}})
				case z < 0.25:
					a.steps = append(a.steps, step{"charge.refunded", at(time.Hour), func(r record) localpay.Object {
						return localpay.ChargeRefunded(localpay.PaymentIntentID(r.d), r.d.ChargeCents, r.d.ChargeCents/4, r.d.Currency)
					}})
				case z < 0.36: // a chargeback's whole life, lost or won
					a.steps = append(a.steps, disputeLife(rnd, at(3*time.Hour), func(r record) (string, int64, string) {
						return localpay.PaymentIntentID(r.d), r.d.ChargeCents, r.d.Currency
					})...)
				}
			}
		case x < 0.55:
			a.kind, a.amount = actorMonthly, int64(1000+rnd.IntN(10)*500)
			a.steps = append(a.steps,
				step{"checkout.session.completed", at(time.Second), func(r record) localpay.Object { return localpay.SessionCompleted(r.d) }},
				step{"invoice.paid", at(2 * time.Second), func(r record) localpay.Object { return localpay.InvoicePaid(r.d, 1, time.Unix(0, 0)) }})
			months := 1 + rnd.IntN(3)
			for m := 2; m <= months; m++ {
				m := m
				a.steps = append(a.steps, step{"invoice.paid", at(time.Duration(m) * 720 * time.Hour),
					func(r record) localpay.Object { return localpay.InvoicePaid(r.d, m, time.Unix(0, 0)) }})
			}
			next := months + 1
			if rnd.Float64() < 0.3 { // a declined month, recovered or not
				a.steps = append(a.steps, step{"invoice.payment_failed", at(time.Duration(next) * 720 * time.Hour),
					func(r record) localpay.Object { return localpay.InvoicePaymentFailed(r.d, next) }})
				if rnd.Float64() < 0.5 {
					a.steps = append(a.steps, step{"invoice.paid", at(time.Duration(next)*720*time.Hour + 72*time.Hour),
						func(r record) localpay.Object { return localpay.InvoicePaid(r.d, next, time.Unix(0, 0)) }})
				}
			}
			if rnd.Float64() < 0.3 {
				a.steps = append(a.steps, step{"customer.subscription.deleted", at(time.Duration(next+1) * 720 * time.Hour),
					func(r record) localpay.Object { return localpay.MonthlySubscription(r.d, "canceled") }})
			}
			if rnd.Float64() < 0.1 {
				a.steps = append(a.steps, step{"charge.refunded", at(time.Duration(next+2) * 720 * time.Hour), func(r record) localpay.Object {
					return localpay.ChargeRefunded(localpay.InvoicePaymentIntentID(r.d, 1), r.d.ChargeCents, r.d.ChargeCents, r.d.Currency)
				}})
			}
		case x < 0.8:
			a.kind, a.plan = actorPlan, slugs[rnd.IntN(len(slugs))]
			a.steps = planLife(rnd, plans[a.plan], start)
		default:
			a.kind, a.confirm = actorMember, rnd.Float64() < 0.75
			a.postal = replayPlaces[rnd.IntN(len(replayPlaces))]
		}
		total += len(a.steps)
		day = append(day, a)
	}
	return day
}

// disputeLife is a chargeback on a payment (charge names its payment intent, amount and
// currency), from its opening, from at: lost, or won and its money given back.
func disputeLife(rnd *rand.Rand, at time.Duration, charge func(r record) (string, int64, string)) []step {
	stages := []localpay.DisputeStage{localpay.DisputeOpened, localpay.DisputeWithdrawn, localpay.DisputeLost}
	if rnd.Float64() < 0.5 {
		stages = []localpay.DisputeStage{localpay.DisputeOpened, localpay.DisputeWithdrawn, localpay.DisputeReinstated, localpay.DisputeWon}
	}
	var steps []step
	for i, st := range stages {
		steps = append(steps, step{localpay.DisputeEvent(st), at + time.Duration(i)*24*time.Hour, func(r record) localpay.Object {
			pi, cents, cur := charge(r)
			return localpay.Dispute(pi, cents, cur, time.Unix(0, 0), st)
		}})
	}
	return steps
}

// planLife is a subscription's or dues' life: created, paid, renewed, perhaps declined
// and recovered, perhaps moved, perhaps cancelled at period end and ended.
func planLife(rnd *rand.Rand, p plan.Plan, start time.Duration) []step {
	period := 720 * time.Hour
	if p.Interval == "year" {
		period = 8760 * time.Hour
	}
	at := func(k int, d time.Duration) time.Duration { return start + time.Duration(k)*period + d }
	ship := &subscription.Shipping{Name: "Replay Reader", Line1: "350 Albert St", City: "Ottawa", State: "ON", PostalCode: "K1R 1A4", Country: "CA"}
	if !p.Mailed {
		ship = nil
	}
	steps := []step{
		{"customer.subscription.created", at(0, 0), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "incomplete", false) }},
		{"checkout.session.completed", at(0, time.Second), func(r record) localpay.Object { return localpay.PlanSessionCompleted(r.sub, ship) }},
		{"invoice.paid", at(0, 2*time.Second), func(r record) localpay.Object { return localpay.PlanInvoice(r.sub, p, 1, true) }},
		{"customer.subscription.updated", at(0, 3*time.Second), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "active", false) }},
	}
	paid := 1 + rnd.IntN(3)
	for k := 2; k <= paid; k++ {
		k := k
		if p.Interval == "year" {
			steps = append(steps, step{"invoice.upcoming", at(k-1, -168*time.Hour), func(r record) localpay.Object { return localpay.UpcomingInvoice(r.sub, p, k) }})
		}
		steps = append(steps, step{"invoice.paid", at(k-1, 0), func(r record) localpay.Object { return localpay.PlanInvoice(r.sub, p, k, true) }})
	}
	next := paid + 1
	if rnd.Float64() < 0.35 {
		steps = append(steps,
			step{"invoice.payment_failed", at(next-1, 0), func(r record) localpay.Object { return localpay.PlanInvoice(r.sub, p, next, false) }},
			step{"customer.subscription.updated", at(next-1, time.Second), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "past_due", false) }})
		if rnd.Float64() < 0.6 {
			steps = append(steps,
				step{"invoice.paid", at(next-1, 72*time.Hour), func(r record) localpay.Object { return localpay.PlanInvoice(r.sub, p, next, true) }},
				step{"customer.subscription.updated", at(next-1, 72*time.Hour+time.Second), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "active", false) }})
		}
	}
	if ship != nil && rnd.Float64() < 0.2 {
		steps = append(steps, step{"customer.updated", at(next-1, 100*time.Hour), func(r record) localpay.Object {
			return localpay.CustomerWithShipping(r.sub, subscription.Shipping{Name: "Replay Reader", Line1: "12 Bank St", City: "Ottawa", State: "ON", PostalCode: "K1P 5N2", Country: "CA"})
		}})
	}
	switch x := rnd.Float64(); { // the first invoice refunded, in part, or lost to a chargeback
	case x < 0.1:
		steps = append(steps, step{"charge.refunded", at(0, 48*time.Hour), func(r record) localpay.Object {
			return localpay.ChargeRefunded(localpay.PlanPaymentIntentID(r.sub, 1), p.AmountCents, p.AmountCents/2, p.Currency)
		}})
	case x < 0.15:
		steps = append(steps, disputeLife(rnd, at(0, 96*time.Hour), func(r record) (string, int64, string) {
			return localpay.PlanPaymentIntentID(r.sub, 1), p.AmountCents, p.Currency
		})...)
	}
	if rnd.Float64() < 0.3 {
		steps = append(steps,
			step{"customer.subscription.updated", at(next-1, 200*time.Hour), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "active", true) }},
			step{"customer.subscription.deleted", at(next, 0), func(r record) localpay.Object { return localpay.PlanSubscription(r.sub, "canceled", true) }})
	}
	return steps
}

// delivery is one signed-event payload, and which actor it belongs to.
type delivery struct {
	actor   int
	at      time.Duration
	payload []byte
}

// replayRun is one run of the day on its own table.
type replayRun struct {
	t       *testing.T
	name    string // tags the run's email addresses
	s       *stack
	proxy   *faults.Proxy // nil: fault-free
	day     []actor
	records map[int]record
	client  *http.Client
	ses     *sesLog
	store   *dynamo.Store // reads straight from the emulator, past the faults

	deliveries, redelivered, requestRetries atomic.Int64
	deadLettered                            atomic.Int64 // records the stream sent to the dead-letter queue
}

// replayDay is the day's start: events are dated from it, so both runs date them alike.
var replayDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// start runs the stack's mailer on the stream, with its sends logged.
func (r *replayRun) start(s *stack) {
	r.s = s
	r.store = dynamo.New(s.env.DB(), s.table)
	r.ses = &sesLog{SES: s.sys.Mailer.SES, sent: map[string][]string{}}
	s.sys.Mailer.SES = r.ses
	s.sys.Poller.Handle = s.sys.Mailer.Handle
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.sys.Poller.Run(ctx); close(done) }()
	r.t.Cleanup(func() { cancel(); <-done })
}

// request sends one form request, as a person whose browser shows an error would: again,
// after a moment, on a 5xx or a broken connection. It returns the last answer.
func (r *replayRun) request(method, path string, body any) (int, []byte, error) {
	var raw []byte
	contentType := ""
	switch b := body.(type) {
	case nil:
	case url.Values: // a plain form: a link page's button
		raw, contentType = []byte(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, _ = json.Marshal(body)
		contentType = "application/json"
	}
	var lastErr error
	for attempt := 0; attempt < 20; attempt++ {
		if attempt > 0 {
			r.requestRetries.Add(1)
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		req, err := http.NewRequest(method, r.s.url+path, bytes.NewReader(raw))
		if err != nil {
			return 0, nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := r.client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			lastErr = fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
			continue
		}
		return res.StatusCode, b, nil
	}
	return 0, nil, lastErr
}

// create makes each actor's record through the public endpoints.
func (r *replayRun) create() error {
	ctx := context.Background()
	r.records = map[int]record{}
	for _, a := range r.day {
		var status int
		var body []byte
		var err error
		switch a.kind {
		case actorGift, actorMonthly:
			freq := "once"
			if a.kind == actorMonthly {
				freq = "monthly"
			}
			status, body, err = r.request(http.MethodPost, "/donations", map[string]any{"campaign": localdev.AppealSlug,
				"amount_cents": a.amount, "frequency": freq, "first_name": a.first, "last_name": a.last,
				"email": a.email(r.name), "language": a.lang})
		case actorPlan:
			status, body, err = r.request(http.MethodPost, "/subscriptions", map[string]any{"plan": a.plan,
				"first_name": a.first, "last_name": a.last, "email": a.email(r.name), "language": a.lang})
		case actorMember:
			status, body, err = r.request(http.MethodPost, "/members", map[string]any{"first_name": a.first, "last_name": a.last,
				"email": a.email(r.name), "phone": "613 555 0142", "language": a.lang,
				"address": map[string]any{"line1": "1 Replay Rd", "city": a.postal[1], "province": a.postal[2], "postal_code": a.postal[0]}})
		}
		if err != nil {
			return fmt.Errorf("actor %d (%s): %w", a.n, a.kind, err)
		}
		var ids struct {
			Donation     string `json:"donation_id"`
			Subscription string `json:"subscription_id"`
		}
		_ = json.Unmarshal(body, &ids)
		switch {
		case a.kind == actorMember && status == http.StatusAccepted:
		case a.kind == actorPlan && status == http.StatusCreated:
			sub, err := r.store.Subscription(ctx, ids.Subscription)
			if err != nil {
				return fmt.Errorf("actor %d: %w", a.n, err)
			}
			r.records[a.n] = record{sub: sub}
		case status == http.StatusCreated:
			d, err := r.store.Donation(ctx, ids.Donation)
			if err != nil {
				return fmt.Errorf("actor %d: %w", a.n, err)
			}
			r.records[a.n] = record{d: d}
		default:
			return fmt.Errorf("actor %d (%s): %d %s", a.n, a.kind, status, body)
		}
	}
	return nil
}

// events signs up each actor's Stripe events, in the day's order.
func (r *replayRun) events() []delivery {
	var out []delivery
	for _, a := range r.day {
		for _, st := range a.steps {
			out = append(out, delivery{actor: a.n, at: st.at,
				payload: localpay.Event(st.typ, st.obj(r.records[a.n]), replayDay.Add(st.at))})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// attempt posts one event as Stripe does, signed at the time of the attempt. It reports
// whether the endpoint took it (200); a 5xx or a broken connection is neither taken nor
// an error (Stripe tries again later); any other answer is an error.
func (r *replayRun) attempt(payload []byte) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, r.s.url+"/webhooks/stripe", bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", localpay.Sign(payload, testSecret, time.Now()))
	res, err := r.client.Do(req)
	if err != nil {
		return false, nil
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	switch {
	case res.StatusCode == http.StatusOK:
		return true, nil
	case res.StatusCode < 500:
		return false, fmt.Errorf("webhook answered %d: %s", res.StatusCode, b)
	}
	return false, nil
}

// An SES outage begins once a third of the faulted deliveries are done and lasts until
// the stream has given up on outageDeadLetters records (the mailer's retries exhausted,
// as an outage long enough for operators to notice would), or outageMax.
const (
	outageDeadLetters = 3
	outageMax         = time.Minute
)

// redeliveryPause is Stripe's growing pause before the n-th redelivery (hours there,
// milliseconds here).
func redeliveryPause(n int) time.Duration {
	return min(time.Duration(n*n)*10*time.Millisecond, 2*time.Second)
}

// deliverAll delivers the events: in order once, or, with faults, each two or three times,
// shuffled, by workers in parallel, each refused delivery redelivered after a pause
// (without holding up the others), with an SES outage once a third are done.
func (r *replayRun) deliverAll(events []delivery, rnd *rand.Rand) error {
	if r.proxy == nil {
		for _, e := range events {
			for n := 0; ; n++ {
				taken, err := r.attempt(e.payload)
				if err != nil || (!taken && n == 20) {
					return fmt.Errorf("actor %d: %d attempts: %v", e.actor, n+1, err)
				}
				if taken {
					break
				}
				time.Sleep(redeliveryPause(n + 1))
			}
		}
		return nil
	}
	type pending struct {
		delivery
		attempts int
	}
	var all []pending
	for _, e := range events {
		for range 2 + rnd.IntN(2) {
			all = append(all, pending{delivery: e})
		}
	}
	rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	r.deliveries.Store(int64(len(all)))
	deadline := time.Now().Add(5*time.Minute + time.Duration(len(all))*200*time.Millisecond)
	queue := make(chan pending, len(all)) // room for every delivery: a redelivery never blocks
	for _, p := range all {
		queue <- p
	}
	errs := make(chan error, len(all))
	var outstanding sync.WaitGroup
	outstanding.Add(len(all))
	var completed atomic.Int64
	finish := func() {
		if completed.Add(1) == int64(len(all)/3) {
			r.proxy.SESOutage(true)
			go func() {
				for end := time.Now().Add(outageMax); r.deadLettered.Load() < outageDeadLetters && time.Now().Before(end); {
					time.Sleep(50 * time.Millisecond)
				}
				r.proxy.SESOutage(false)
			}()
		}
		outstanding.Done()
	}
	for range 8 {
		go func() {
			for p := range queue {
				taken, err := r.attempt(p.payload)
				switch {
				case err != nil:
					errs <- fmt.Errorf("actor %d: %w", p.actor, err)
					finish()
				case taken:
					finish()
				case time.Now().After(deadline):
					errs <- fmt.Errorf("actor %d: event still refused after %d attempts", p.actor, p.attempts+1)
					finish()
				default:
					p.attempts++
					r.redelivered.Add(1)
					time.AfterFunc(redeliveryPause(p.attempts), func() { queue <- p })
				}
			}
		}()
	}
	outstanding.Wait()
	close(queue)
	close(errs)
	return <-errs
}

// outboxEmail is an owed email as the table holds it.
type outboxEmail struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	To       string `dynamodbav:"to"`
	Template string `dynamodbav:"template"`
	Status   string `dynamodbav:"status"`
	Attempts int    `dynamodbav:"attempts"`
}

func (r *replayRun) outbox() []outboxEmail {
	r.t.Helper()
	var out []outboxEmail
	if err := attributevalue.UnmarshalListOfMaps(r.s.items("email"), &out); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// deadLetters reads the keys the dead-letter queue points at, leaving the messages there
// (hidden for a few seconds; wait that long before emptying the queue).
func (r *replayRun) deadLetters(queue string) map[string]bool {
	ctx := context.Background()
	q := sqs.NewFromConfig(r.s.env.AWS)
	keys := map[string]bool{}
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 10, VisibilityTimeout: 3})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return keys
		}
		for _, m := range out.Messages {
			k := deadLetterKeys(r.t, m)
			keys[k["pk"]+"|"+k["sk"]] = true
		}
	}
}

// settle waits until every owed email is sent or dead-lettered, and returns how many
// are waiting in the dead-letter queue. It reads the outbox twice, before and after:
// moto scans a table in time that grows with it, while SES's log and the queue are cheap
// to watch meanwhile.
func (r *replayRun) settle(queue string, within time.Duration) int {
	r.t.Helper()
	deadline := time.Now().Add(within)
	owed, recipient := map[string]int{}, map[string]string{}
	for _, e := range r.outbox() {
		to := strings.ToLower(e.To)
		owed[to]++
		recipient[e.PK+"|"+e.SK] = to
	}
	dead := map[string]bool{}
	for {
		// Messages are hidden a few seconds once read: keep what earlier reads saw.
		for k := range r.deadLetters(queue) {
			dead[k] = true
		}
		deadTo := map[string]int{}
		for k := range dead {
			deadTo[recipient[k]]++
		}
		short := 0
		for to, n := range owed {
			short += max(0, n-len(r.ses.bodies(to))-deadTo[to])
		}
		if short == 0 {
			break
		}
		if time.Now().After(deadline) {
			var stuck []string
			for _, e := range r.outbox() {
				if e.Status != outbox.StatusSent && !dead[e.PK+"|"+e.SK] {
					stuck = append(stuck, fmt.Sprintf("%s (%s) %s, %d attempts", e.PK, e.Template, e.Status, e.Attempts))
				}
			}
			r.t.Fatalf("%s: %d emails neither sent nor dead-lettered after %v: %v", r.name, short, within, stuck)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Sent a moment ago may not be marked sent yet.
	for {
		waiting, unsent := 0, []string{}
		for _, e := range r.outbox() {
			switch {
			case e.Status == outbox.StatusSent:
			case dead[e.PK+"|"+e.SK]:
				waiting++
			default:
				unsent = append(unsent, e.PK+" ("+e.Template+") "+e.Status)
			}
		}
		if len(unsent) == 0 {
			return waiting
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: emails neither marked sent nor dead-lettered: %v", r.name, unsent)
		}
		time.Sleep(time.Second)
	}
}

// redrive runs `staff mail redrive` with AWS behaving, and returns its report.
func (r *replayRun) redrive(queue string) string {
	r.t.Helper()
	time.Sleep(3500 * time.Millisecond) // the dead letters read by settle are visible again
	mailer := r.s.sys.Mailer
	src := staff.Sources{DB: r.s.env.DB(), Mailer: &mailer, Queue: sqs.NewFromConfig(r.s.env.AWS)}
	var out bytes.Buffer
	if err := staff.Run(context.Background(), r.s.sys.Store, src, []string{"mail", "redrive", "-settle", "0s", "-queue", queue}, &out); err != nil {
		r.t.Fatalf("%s: redrive: %v\n%s", r.name, err, out.String())
	}
	return strings.TrimSpace(out.String())
}

// confirm opens the confirmation link of each member who does, as emailed.
func (r *replayRun) confirm() error {
	for _, a := range r.day {
		if a.kind != actorMember || !a.confirm {
			continue
		}
		var l string
		for _, body := range r.ses.bodies(a.email(r.name)) {
			if m := linkRE.FindString(body); strings.Contains(m, "/members/confirm?token=") {
				l = m
			}
		}
		if l == "" {
			return fmt.Errorf("actor %d: no confirmation email", a.n)
		}
		// The button of the link's page: a post of its token in the form.
		u, err := url.Parse(l)
		if err != nil {
			return fmt.Errorf("actor %d: %w", a.n, err)
		}
		status, body, err := r.request(http.MethodPost, u.Path, url.Values{"token": {u.Query().Get("token")}})
		if err != nil {
			return fmt.Errorf("actor %d: %w", a.n, err)
		}
		// A retried click whose first answer was lost finds the link used.
		if status != http.StatusOK && !(r.proxy != nil && status == http.StatusGone) {
			return fmt.Errorf("actor %d: confirm %d %s", a.n, status, body)
		}
	}
	return nil
}

// dayState is what the day leaves, in terms both runs share (actors, not record ids).
type dayState struct {
	Paid, Refunded, Disputed, Offline, Donations, Donors int64
	Gifts                                                map[int]string
	Plans                                                map[int]string
	Members                                              map[int]string
	Emails                                               map[string]int // recipient (actor or organizer) and template
}

func (r *replayRun) state() dayState {
	r.t.Helper()
	ctx := context.Background()
	c, err := r.store.Campaign(ctx, localdev.AppealSlug)
	if err != nil {
		r.t.Fatal(err)
	}
	st := dayState{Paid: c.PaidCents, Refunded: c.RefundedCents, Disputed: c.DisputedCents, Offline: c.OfflineCents, Donations: c.DonationCount,
		Donors: c.DonorCount, Gifts: map[int]string{}, Plans: map[int]string{}, Members: map[int]string{}, Emails: map[string]int{}}
	who := map[string]string{}
	for _, a := range r.day {
		who[a.email(r.name)] = fmt.Sprintf("actor %d", a.n)
		switch a.kind {
		case actorGift, actorMonthly:
			d, err := r.store.Donation(ctx, r.records[a.n].d.ID)
			if err != nil {
				r.t.Fatal(err)
			}
			st.Gifts[a.n] = fmt.Sprintf("%s paid %d refunded %d payments %d (%d foreign) disputed %v holding %d ended %v",
				d.Status, d.PaidCents, d.RefundedCents, d.PaymentCount, d.ForeignPayments, d.Disputed, d.DisputedCents, d.MonthlyEndedAt != nil)
		case actorPlan:
			s, err := r.store.Subscription(ctx, r.records[a.n].sub.ID)
			if err != nil {
				r.t.Fatal(err)
			}
			through := ""
			if !s.PaidThrough.IsZero() {
				// Periods are counted from the creation, to the second, as Stripe's are.
				through = s.PaidThrough.Sub(s.CreatedAt.Truncate(time.Second)).String()
			}
			street := ""
			if s.Shipping != nil {
				street = s.Shipping.Line1
			}
			st.Plans[a.n] = fmt.Sprintf("%s paid %d refunded %d disputed %d invoices %d through +%s cancel %v ship %q",
				s.Status, s.PaidCents, s.RefundedCents, s.DisputedCents, len(s.Invoices), through, s.CancelAtPeriodEnd, street)
		case actorMember:
			m, err := r.store.Member(ctx, a.email(r.name))
			if err != nil {
				r.t.Fatal(err)
			}
			st.Members[a.n] = m.Status + " " + m.Branch
		}
	}
	for _, e := range r.outbox() {
		to := who[e.To]
		if to == "" {
			to = e.To // an organizer
		}
		st.Emails[to+" "+e.Template]++
	}
	return st
}

// sesSent is the number of messages moto's SES has sent in all (GetSendQuota's
// SentLast24Hours): reading every message back would take moto longer than the run.
func sesSent(t *testing.T, motoURL string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, motoURL+"/", strings.NewReader("Action=GetSendQuota&Version=2010-12-01"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/ca-central-1/ses/aws4_request, SignedHeaders=host, Signature=0")
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Sent float64 `xml:"GetSendQuotaResult>SentLast24Hours"`
	}
	if err := xml.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("GetSendQuota: %v", err)
	}
	return int(out.Sent)
}

// sesLog passes each email on to SES and keeps, per recipient, the bodies SES accepted.
type sesLog struct {
	mail.SES
	mu   sync.Mutex
	sent map[string][]string
}

func (l *sesLog) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	out, err := l.SES.SendEmail(ctx, in, opts...)
	if err == nil {
		l.mu.Lock()
		for _, to := range in.Destination.ToAddresses {
			l.sent[strings.ToLower(to)] = append(l.sent[strings.ToLower(to)], aws.ToString(in.Content.Simple.Body.Text.Data))
		}
		l.mu.Unlock()
	}
	return out, err
}

func (l *sesLog) bodies(to string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent[strings.ToLower(to)]...)
}

// checkSentOnce: every owed email of the run is sent, exactly once: per recipient, SES
// accepted as many as are owed, and moto counted as many in all since before the run.
func (r *replayRun) checkSentOnce(before int) int {
	r.t.Helper()
	owed := map[string]int{}
	total := 0
	for _, e := range r.outbox() {
		if e.Status != outbox.StatusSent {
			r.t.Errorf("%s: email %s (%s) still %s", r.name, e.PK, e.Template, e.Status)
		}
		owed[strings.ToLower(e.To)]++
		total++
	}
	for to, n := range owed {
		if got := len(r.ses.bodies(to)); got != n {
			r.t.Errorf("%s: %d messages sent to %s, %d owed", r.name, got, to, n)
		}
	}
	if got := sesSent(r.t, r.s.env.Moto.URL) - before; got != total {
		r.t.Errorf("%s: moto sent %d messages, %d owed", r.name, got, total)
	}
	return total
}

func (r *replayRun) dlqURL() string {
	out, err := sqs.NewFromConfig(r.s.env.AWS).GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(localdev.DeadLetterQueue)})
	if err != nil {
		r.t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

// referenceRun runs day on a stack of its own as the reference does: fault-free, every
// event once and in order, each owed email sent, the members' links opened. It returns
// the run, the dead-letter queue, the day's events, how long a run of them may take to
// settle, and the messages moto had sent before it.
func referenceRun(t *testing.T, name string, day []actor, client *http.Client) (ref *replayRun, queue string, events []delivery, wait time.Duration, sentBefore int) {
	t.Helper()
	env := emulator.Get(t)
	ref = &replayRun{t: t, name: name, day: day, client: client}
	ref.start(newStack(t, false))
	queue = ref.dlqURL()
	_, _ = sqs.NewFromConfig(env.AWS).PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(queue)})
	sentBefore = sesSent(t, env.Moto.URL)
	if err := ref.create(); err != nil {
		t.Fatal(err)
	}
	events = ref.events()
	if err := ref.deliverAll(events, nil); err != nil {
		t.Fatal(err)
	}
	wait = 2*time.Minute + time.Duration(len(events))*200*time.Millisecond
	if n := ref.settle(queue, wait); n != 0 {
		t.Fatalf("reference: %d emails dead-lettered with no faults", n)
	}
	if err := ref.confirm(); err != nil {
		t.Fatal(err)
	}
	ref.settle(queue, wait)
	return ref, queue, events, wait, sentBefore
}

// TestReplayDayUnderFaults is the replay scenario (see replayEvents).
func TestReplayDayUnderFaults(t *testing.T) {
	seed := *replaySeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("replay seed %d (rerun: go test ./shared/dev/e2e -run TestReplayDayUnderFaults -args -replay.seed=%d -replay.events=%d)", seed, seed, *replayEvents)
	day := generateDay(seed, *replayEvents)
	env := emulator.Get(t)
	client := &http.Client{Timeout: 60 * time.Second}

	// The reference: fault-free, each event once, in order.
	started := time.Now()
	ref, queue, events, wait, before := referenceRun(t, fmt.Sprintf("ref%d", seed%100000), day, client)
	owed := ref.checkSentOnce(before)
	want := ref.state()
	t.Logf("reference: %d actors, %d events, %d emails, in %v", len(day), len(events), owed, time.Since(started).Round(time.Millisecond))

	// The same day through the faults.
	proxy, err := faults.New(env.Moto.URL, replayRates, seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	run := &replayRun{t: t, name: fmt.Sprintf("run%d", seed%100000), day: day, client: client, proxy: proxy}
	proxy.Observe = func(r *http.Request, body []byte) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".SendMessage") || bytes.Contains(body, []byte("Action=SendMessage")) {
			run.deadLettered.Add(1)
		}
	}
	run.start(newStack(t, false, func(s *setup) { s.opts.MotoURL = srv.URL }))
	before = sesSent(t, env.Moto.URL)
	started = time.Now()
	proxy.On()
	if err := run.create(); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(seed, 7))
	if err := run.deliverAll(run.events(), rnd); err != nil {
		t.Fatal(err)
	}
	dead := run.settle(queue, wait)
	proxy.Off()
	report1 := run.redrive(queue)
	run.settle(queue, wait)
	proxy.On()
	if err := run.confirm(); err != nil {
		t.Fatal(err)
	}
	dead2 := run.settle(queue, wait)
	proxy.Off()
	report2 := run.redrive(queue)
	sent := run.checkSentOnce(before)
	got := run.state()
	t.Logf("faults: %s", proxy.Summary())
	t.Logf("faulted run: %d events delivered %d times with %d redeliveries, %d form requests retried; %d emails sent, %d then %d dead-lettered; redrives: %q, %q; in %v",
		len(events), run.deliveries.Load(), run.redelivered.Load(), run.requestRetries.Load(), sent, dead, dead2, report1, report2,
		time.Since(started).Round(time.Millisecond))

	if dead+dead2 == 0 {
		t.Errorf("no email was dead-lettered in an SES outage of up to %v: the redrive went untested", outageMax)
	}
	if !reflect.DeepEqual(got, want) {
		diffStates(t, want, got)
	}
	left := run.deadLetters(queue)
	if len(left) != 0 {
		t.Errorf("the dead-letter queue holds %d messages after the redrive", len(left))
	}
}

func diffStates(t *testing.T, want, got dayState) {
	t.Helper()
	if a, b := fmt.Sprint(want.Paid, want.Refunded, want.Disputed, want.Offline, want.Donations, want.Donors),
		fmt.Sprint(got.Paid, got.Refunded, got.Disputed, got.Offline, got.Donations, got.Donors); a != b {
		t.Errorf("campaign (paid refunded disputed offline donations donors): faulted %s, reference %s", b, a)
	}
	for _, m := range []struct {
		what      string
		want, got map[int]string
	}{{"gift", want.Gifts, got.Gifts}, {"subscription", want.Plans, got.Plans}, {"member", want.Members, got.Members}} {
		for k, v := range m.want {
			if m.got[k] != v {
				t.Errorf("%s of actor %d: faulted %q, reference %q", m.what, k, m.got[k], v)
			}
		}
	}
	keys := map[string]bool{}
	for k := range want.Emails {
		keys[k] = true
	}
	for k := range got.Emails {
		keys[k] = true
	}
	for k := range keys {
		if want.Emails[k] != got.Emails[k] {
			t.Errorf("emails %s: faulted %d, reference %d", k, got.Emails[k], want.Emails[k])
		}
	}
}
