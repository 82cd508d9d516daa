package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/reconcilefn"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/reconcile"
	"github.com/solidarity/solidarity/shared/staff"
)

// The outage of the reconciliation's scenario: the webhook takes no event created from
// outageFrom to outageTo of the replayed day; events after it that need one of those (a
// refund or dispute of a payment never recorded) are taken and kept for their payment
// (webhook.ErrHeld), which only the reconciliation brings. It runs at reconcileAt, over
// its default window, the last three days.
var (
	reconcileEvents = flag.Int("reconcile.events", 60, "Stripe events in the day whose outage the reconciliation heals")
	outageFrom      = 10 * time.Minute
	outageTo        = 90 * time.Minute
	reconcileAt     = 26 * time.Hour
)

// reconcileDay is the first day from seed on whose outage loses events, and with a
// payment of ours that no refund or dispute touches before reconcileAt (the charge the
// test then says Stripe refunded with no event), and that payment's intent.
func reconcileDay(seed uint64) ([]actor, uint64, int) {
	for ; ; seed++ {
		day := generateDay(seed, *reconcileEvents)
		lost, quiet := false, -1
		for _, a := range day {
			touched := false
			for _, st := range a.steps {
				lost = lost || (st.at >= outageFrom && st.at < outageTo)
				touched = touched || (st.at < reconcileAt && (strings.HasPrefix(st.typ, "charge.") || st.typ == "checkout.session.async_payment_failed"))
			}
			// Charged in our currency (the day has gifts charged in others).
			probe := record{d: donation.Donation{ID: "probe", ChargeCents: 100, Currency: "cad"}}
			if a.kind == actorGift && len(a.steps) > 0 && a.steps[0].typ == "checkout.session.completed" &&
				a.steps[0].obj(probe)["currency"] == "cad" && !touched && quiet < 0 {
				quiet = a.n
			}
		}
		if lost && quiet >= 0 {
			return day, seed, quiet
		}
	}
}

// reconcileRun runs `staff reconcile` on run's table against Stripe's lists at list, on
// the clock at, as staff would, and returns what it printed.
func (r *replayRun) reconcile(list string, at time.Time, args ...string) (string, error) {
	r.t.Helper()
	cfg, err := localdev.Settings(testVars(r.s.table).Get, r.s.url, list)
	if err != nil {
		r.t.Fatal(err)
	}
	src := staff.Sources{Now: func() time.Time { return at },
		Reconcile: func(ctx context.Context) (reconcile.Reconciler, error) {
			f, err := reconcilefn.New(ctx, assembly.Env{Config: cfg, AWS: r.s.env.AWS})
			return f.Reconciler, err
		}}
	var out bytes.Buffer
	err = staff.Run(context.Background(), r.s.sys.Store, src, append([]string{"reconcile"}, args...), &out)
	return out.String(), err
}

var appliedRE = regexp.MustCompile(`: (\d+) events: (\d+) applied, (\d+) without effect, (\d+) already seen, (\d+) duplicate, (\d+) still unknown, (\d+) malformed, (\d+) failed; (\d+) charges: (\d+) compared`)

// TestReconcileHealsAnOutage: a replayed day (each event once, in order) whose webhook
// missed the events of an outage ends, after `staff reconcile` against Stripe's lists,
// in the reference run's state with the same emails; a second reconcile applies and
// changes nothing; a refund Stripe holds with no event is reported and alarmed.
func TestReconcileHealsAnOutage(t *testing.T) {
	seed := *replaySeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	day, seed, quiet := reconcileDay(seed)
	t.Logf("reconcile seed %d (rerun: go test ./shared/dev/e2e -run TestReconcileHealsAnOutage -args -replay.seed=%d -reconcile.events=%d)", seed, seed, *reconcileEvents)
	client := &http.Client{Timeout: 60 * time.Second}

	// The reference: every event delivered once, in order.
	ref, queue, _, wait, _ := referenceRun(t, fmt.Sprintf("rcref%d", seed%100000), day, client)
	want := ref.state()

	// The outage.
	run := &replayRun{t: t, name: fmt.Sprintf("rcout%d", seed%100000), day: day, client: client}
	run.start(newStack(t, false))
	if err := run.create(); err != nil {
		t.Fatal(err)
	}
	stripeList := localpay.NewStripeList()
	srv := httptest.NewServer(stripeList)
	defer srv.Close()
	var before, lost, after []delivery
	gaveUp := 0
	for _, e := range run.events() {
		if e.at < reconcileAt {
			// Stripe holds every event up to the reconciliation, delivered or not.
			if err := stripeList.Record(e.payload); err != nil {
				t.Fatal(err)
			}
		}
		switch {
		case e.at < outageFrom:
			before = append(before, e)
		case e.at < outageTo:
			lost = append(lost, e)
		case e.at < reconcileAt:
			// After the outage, before the reconciliation: delivered as Stripe would (a
			// refund or dispute of a payment lost in the outage is kept for it).
			if err := run.deliverAll(before, nil); err != nil {
				t.Fatal(err)
			}
			before = nil
			taken := false
			for n := 0; n < 3 && !taken; n++ {
				var err error
				if taken, err = run.attempt(e.payload); err != nil {
					t.Fatal(err)
				}
			}
			if !taken {
				gaveUp++
			}
		default:
			after = append(after, e)
		}
	}
	if err := run.deliverAll(before, nil); err != nil {
		t.Fatal(err)
	}
	at := replayDay.Add(reconcileAt)
	out, err := run.reconcile(srv.URL, at)
	t.Logf("%d events lost in the outage, %d given up after it; staff reconcile:\n%s", len(lost), gaveUp, out)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	m := appliedRE.FindStringSubmatch(out)
	if m == nil || m[2] == "0" || m[6] != "0" || m[7] != "0" || m[8] != "0" || !strings.HasSuffix(strings.TrimSpace(out), "; 0 differences") {
		t.Errorf("the reconciliation applied nothing, or left something: %q", out)
	}
	healed := run.state()

	// Again, at once: nothing to apply, nothing changed, no alarm.
	var again string
	lines := emulator.Logged(t, func() { again, err = run.reconcile(srv.URL, at) })
	if err != nil {
		t.Fatalf("second reconcile: %v\n%s", err, again)
	}
	if m := appliedRE.FindStringSubmatch(again); m == nil || m[2] != "0" || m[4] == "0" || !strings.HasSuffix(strings.TrimSpace(again), "; 0 differences") {
		t.Errorf("the second reconciliation: %q", again)
	}
	for _, l := range lines {
		if l["alarm"] != nil {
			t.Errorf("the second reconciliation alarmed: %v", l)
		}
	}
	if st := run.state(); !reflect.DeepEqual(st, healed) {
		diffStates(t, healed, st)
	}

	// Stripe holds a refund no event reported: reported, alarmed, not repaired.
	pi := localpay.PaymentIntentID(run.records[quiet].d)
	ch := "ch_" + strings.TrimPrefix(pi, "pi_")
	amount := run.records[quiet].d.ChargeCents
	stripeList.SetCharge(localpay.Object{"id": ch, "object": "charge", "amount": amount, "currency": "cad",
		"amount_refunded": amount, "refunded": true, "paid": true, "status": "succeeded", "payment_intent": pi,
		"created": replayDay.Add(time.Hour).Unix(), "metadata": map[string]string{"kind": "donation", "record_id": run.records[quiet].d.ID}})
	var third string
	lines = emulator.Logged(t, func() { third, err = run.reconcile(srv.URL, at) })
	if err == nil || !strings.Contains(err.Error(), "1 differences remain") {
		t.Errorf("a difference left is not the command's error: %v", err)
	}
	if line := fmt.Sprintf("difference refunded payment %s charge %s: stripe %d ledger 0\n", pi, ch, amount); !strings.HasPrefix(third, line) {
		t.Errorf("reconcile printed %q, want first %q", third, line)
	}
	alarmed := 0
	for _, l := range lines {
		if l["alarm"] == reconcile.AlarmDifference {
			alarmed++
			if l["msg"] != reconcile.DifferenceMessage || l["kind"] != "refunded" || l["payment_key"] != pi || l["charge_id"] != ch ||
				l["stripe_cents"] != float64(amount) || l["ledger_cents"] != float64(0) {
				t.Errorf("alarm line %v", l)
			}
		}
	}
	if alarmed != 1 {
		t.Errorf("%d alarm lines: %v", alarmed, lines)
	}
	if st := run.state(); !reflect.DeepEqual(st, healed) {
		diffStates(t, healed, st)
	}

	// The rest of the day, delivered as it happens: the same end as the reference's.
	if err := run.deliverAll(after, nil); err != nil {
		t.Fatal(err)
	}
	run.settle(queue, wait)
	if err := run.confirm(); err != nil {
		t.Fatal(err)
	}
	run.settle(queue, wait)
	if got := run.state(); !reflect.DeepEqual(got, want) {
		diffStates(t, want, got)
	}
}
