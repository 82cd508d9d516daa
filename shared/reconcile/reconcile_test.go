package reconcile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/webhook"
)

var now = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// fakeStripe lists what it holds, newest first as Stripe does.
type fakeStripe struct {
	events   []*stripe.Event // oldest first
	charges  []*stripe.Charge
	disputes []*stripe.Dispute
	types    []string
}

func (f *fakeStripe) Events(_ context.Context, types []string, w Window, fn func(*stripe.Event) error) error {
	f.types = types
	for i := len(f.events) - 1; i >= 0; i-- {
		ev := f.events[i]
		if ev.Created < w.From.Unix() || ev.Created > w.To.Unix() || !slices.Contains(types, string(ev.Type)) {
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStripe) Charges(_ context.Context, w Window, fn func(*stripe.Charge) error) error {
	for _, c := range f.charges {
		if c.Created >= w.From.Unix() && c.Created <= w.To.Unix() {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fakeStripe) Disputes(_ context.Context, w Window, charge string, fn func(*stripe.Dispute) error) error {
	for _, d := range f.disputes {
		if (charge != "" && d.Charge.ID == charge) || (charge == "" && d.Created >= w.From.Unix() && d.Created <= w.To.Unix()) {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// fakeLedger is the ledger: events seen, payments by key.
type fakeLedger struct {
	seen     map[string]bool
	payments map[string]dynamo.PaymentRecord
	records  map[string]bool // "kind id" of this deployment's records
}

func (l *fakeLedger) RecordExists(_ context.Context, kind, id string) (bool, error) {
	return l.records[kind+" "+id], nil
}

func (l *fakeLedger) EventSeen(_ context.Context, id string) (bool, error) { return l.seen[id], nil }
func (l *fakeLedger) Payment(_ context.Context, key string) (dynamo.PaymentRecord, bool, error) {
	pr, ok := l.payments[key]
	return pr, ok, nil
}

// fakeApplier applies events to the fake ledger: a payment event records its payment,
// a refund needs it first; results says what an event id answers instead.
type fakeApplier struct {
	l       *fakeLedger
	applied []string
	results map[string]error
}

func (a *fakeApplier) Apply(_ context.Context, ev stripe.Event) error {
	a.applied = append(a.applied, ev.ID)
	if err, ok := a.results[ev.ID]; ok {
		return err
	}
	pi, _ := ev.Data.Object["payment_intent"].(string)
	switch ev.Type {
	case "checkout.session.completed":
		amount, _ := ev.Data.Object["amount_total"].(float64)
		a.l.payments[pi] = dynamo.PaymentRecord{Key: pi, AmountCents: int64(amount), Currency: "cad"}
	case "charge.refunded":
		pr, ok := a.l.payments[pi]
		if !ok {
			return donation.ErrUnknownPayment
		}
		refunded, _ := ev.Data.Object["amount_refunded"].(float64)
		if int64(refunded) <= pr.RefundedCents {
			return donation.ErrDuplicate
		}
		pr.RefundedCents = int64(refunded)
		a.l.payments[pi] = pr
	case "invoice.upcoming":
		return nil // nothing recorded
	}
	a.l.seen[ev.ID] = true
	return nil
}

func anEvent(id, typ string, at time.Time, obj map[string]any) *stripe.Event {
	raw, _ := json.Marshal(obj)
	obj = nil
	_ = json.Unmarshal(raw, &obj) // numbers as stripe-go decodes them
	return &stripe.Event{ID: id, Type: stripe.EventType(typ), Created: at.Unix(), Data: &stripe.EventData{Object: obj, Raw: raw}}
}

func aCharge(id, pi string, amount, refunded int64, at time.Time, meta map[string]string) *stripe.Charge {
	return &stripe.Charge{ID: id, PaymentIntent: &stripe.PaymentIntent{ID: pi}, Amount: amount, Currency: "cad",
		AmountRefunded: refunded, Status: stripe.ChargeStatusSucceeded, Created: at.Unix(), Metadata: meta}
}

// capture runs f with slog writing JSON to a buffer, and returns the lines.
func capture(t *testing.T, f func()) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	f()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func alarms(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["alarm"] == AlarmDifference {
			out = append(out, l)
		}
	}
	return out
}

// The outage: the ledger saw the first payment only. Run applies the rest oldest first,
// the refund that came before its payment again after it, and a second run applies
// nothing.
func TestRunAppliesWhatTheLedgerMissed(t *testing.T) {
	day := now.Add(-24 * time.Hour)
	src := &fakeStripe{events: []*stripe.Event{
		anEvent("evt_1", "checkout.session.completed", day, map[string]any{"payment_intent": "pi_1", "amount_total": 2500}),
		// Stripe dates the refund before the payment event (same second, listed after it).
		anEvent("evt_3", "charge.refunded", day.Add(time.Minute), map[string]any{"payment_intent": "pi_2", "amount_refunded": 400}),
		anEvent("evt_2", "checkout.session.completed", day.Add(2*time.Minute), map[string]any{"payment_intent": "pi_2", "amount_total": 1000}),
		anEvent("evt_4", "invoice.upcoming", day.Add(3*time.Minute), map[string]any{}),
		anEvent("evt_5", "charge.refunded", day.Add(4*time.Minute), map[string]any{"payment_intent": "pi_1", "amount_refunded": 0}),
		anEvent("evt_old", "checkout.session.completed", now.Add(-10*24*time.Hour), map[string]any{"payment_intent": "pi_9", "amount_total": 1}),
		anEvent("evt_other", "customer.created", day, map[string]any{}),
	}, charges: []*stripe.Charge{
		aCharge("ch_1", "pi_1", 2500, 0, day, map[string]string{"kind": "donation", "record_id": "don_1"}),
		aCharge("ch_2", "pi_2", 1000, 400, day, map[string]string{"kind": "donation", "record_id": "don_2"}),
		aCharge("ch_x", "pi_x", 700, 0, day, nil), // another app's, on a shared account
		{ID: "ch_f", PaymentIntent: &stripe.PaymentIntent{ID: "pi_f"}, Amount: 900, Status: stripe.ChargeStatusFailed, Created: day.Unix()},
	}}
	l := &fakeLedger{seen: map[string]bool{"evt_1": true}, payments: map[string]dynamo.PaymentRecord{
		"pi_1": {Key: "pi_1", AmountCents: 2500, Currency: "cad"}}}
	a := &fakeApplier{l: l}
	rc := Reconciler{Stripe: src, Ledger: l, Apply: a, Types: []string{"charge.refunded", "checkout.session.completed", "invoice.upcoming"}}
	var rep Report
	var err error
	lines := capture(t, func() { rep, err = rc.Run(context.Background(), Last(now, DefaultWindow), Options{}) })
	if err != nil {
		t.Fatal(err, rep.Differences)
	}
	if want := []string{"evt_3", "evt_2", "evt_4", "evt_5", "evt_3"}; !slices.Equal(a.applied, want) {
		t.Errorf("applied %v, want %v", a.applied, want)
	}
	got := []int{rep.Events, rep.Applied, rep.Ignored, rep.Seen, rep.Duplicate, rep.Unknown, rep.Charges, rep.Compared, rep.NotOurs, rep.Unpaid}
	if want := []int{5, 2, 1, 1, 1, 0, 4, 2, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("events applied ignored seen duplicate unknown charges compared notours unpaid = %v, want %v", got, want)
	}
	if len(rep.Differences) != 0 || len(alarms(lines)) != 0 {
		t.Errorf("differences %v, alarms %v", rep.Differences, alarms(lines))
	}
	if l.payments["pi_2"].RefundedCents != 400 {
		t.Errorf("pi_2 refunded %d", l.payments["pi_2"].RefundedCents)
	}

	// Again: nothing applied, nothing changed.
	before := len(a.applied)
	rep, err = rc.Run(context.Background(), Last(now, DefaultWindow), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Applied != 0 || rep.Seen != 3 || rep.Ignored != 1 || rep.Duplicate != 1 || len(rep.Differences) != 0 {
		t.Errorf("second run: %s", rep.Summary())
	}
	if again := a.applied[before:]; !slices.Equal(again, []string{"evt_4", "evt_5"}) {
		t.Errorf("second run applied %v: only the events the ledger keeps no trace of are offered again", again)
	}
	if !strings.Contains(rep.Summary(), "0 applied, 1 without effect, 3 already seen, 1 duplicate, 0 still unknown") {
		t.Errorf("summary %q", rep.Summary())
	}
}

// The handled types are the webhook's.
func TestRunReadsTheHandledTypes(t *testing.T) {
	src := &fakeStripe{}
	l := &fakeLedger{seen: map[string]bool{}, payments: map[string]dynamo.PaymentRecord{}}
	if _, err := (Reconciler{Stripe: src, Ledger: l, Apply: &fakeApplier{l: l}}).Run(context.Background(), Last(now, DefaultWindow), Options{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(src.types, webhook.HandledEvents()) {
		t.Errorf("types %v, want %v", src.types, webhook.HandledEvents())
	}
}

// A difference events cannot repair is reported, logged by ids and cents with the
// alarm, and is Run's error; a dry run applies nothing and raises no alarm. A refund of
// a charge of no record of ours (another system's, another deployment's), charges of
// the other mode and charges too recent to have their events are no difference.
func TestRunReportsWhatItCannotRepair(t *testing.T) {
	day := now.Add(-time.Hour)
	ours := map[string]string{"kind": "donation", "record_id": "don_1"}
	refundOf := func(pi string, meta map[string]string) map[string]any {
		return map[string]any{"object": "charge", "payment_intent": pi, "amount_refunded": 100, "metadata": meta}
	}
	src := &fakeStripe{
		events: []*stripe.Event{
			anEvent("evt_r", "charge.refunded", day, refundOf("pi_gone", map[string]string{"kind": "donation", "record_id": "don_9"})),
			anEvent("evt_s", "charge.refunded", day, refundOf("pi_stranger", nil)),
			anEvent("evt_o", "charge.refunded", day, refundOf("pi_other", map[string]string{"kind": "donation", "record_id": "don_elsewhere"})),
			anEvent("evt_m", "checkout.session.completed", day, map[string]any{}),
			anEvent("evt_v", "invoice.paid", day, map[string]any{}),
		},
		charges: []*stripe.Charge{
			aCharge("ch_1", "pi_1", 2500, 2500, day, ours),                                                 // refunded, no event
			aCharge("ch_3", "pi_3", 4000, 0, day, map[string]string{"kind": "dues", "record_id": "sub_1"}), // no payment
			aCharge("ch_4", "pi_4", 4000, 0, day, map[string]string{"kind": "dues", "record_id": "sub_other"}),
			aCharge("ch_5", "pi_5", 4000, 0, now.Add(-time.Minute), map[string]string{"kind": "dues", "record_id": "sub_1"}),
		},
	}
	other := aCharge("ch_6", "pi_6", 4000, 0, day, ours)
	other.Livemode = true
	src.charges = append(src.charges, other)
	l := &fakeLedger{seen: map[string]bool{}, payments: map[string]dynamo.PaymentRecord{
		"pi_1": {Key: "pi_1", AmountCents: 2500, Currency: "cad"}},
		records: map[string]bool{"donation don_1": true, "donation don_9": true, "dues sub_1": true}}
	// A real malformed event's error, from the webhook's handler.
	malformed := webhook.Handler{}.Apply(context.Background(), stripe.Event{Type: "charge.refunded", APIVersion: webhook.APIVersion,
		Data: &stripe.EventData{Raw: []byte("[")}})
	if !webhook.IsMalformed(malformed) {
		t.Fatalf("not malformed: %v", malformed)
	}
	a := &fakeApplier{l: l, results: map[string]error{"evt_m": malformed, "evt_v": webhook.ErrWrongVersion,
		"evt_s": webhook.ErrHeld, "evt_o": webhook.ErrHeld, "evt_r": webhook.ErrHeld}}
	rc := Reconciler{Stripe: src, Ledger: l, Apply: a, Types: []string{"charge.refunded", "checkout.session.completed", "invoice.paid"}}

	rep, err := rc.Run(context.Background(), Last(now, DefaultWindow), Options{DryRun: true})
	if !errors.Is(err, ErrDifferences) || len(a.applied) != 0 || rep.Pending != 5 {
		t.Fatalf("dry run: %v, applied %v, %s", err, a.applied, rep.Summary())
	}

	var lines []map[string]any
	lines = capture(t, func() { rep, err = rc.Run(context.Background(), Last(now, DefaultWindow), Options{}) })
	if !errors.Is(err, ErrDifferences) {
		t.Fatalf("err = %v", err)
	}
	var printed bytes.Buffer
	rep.Print(&printed)
	want := "difference malformed_event event evt_m\n" +
		"difference api_version event evt_v\n" +
		"difference unknown_payment event evt_r payment pi_gone\n" +
		"difference refunded payment pi_1 charge ch_1: stripe 2500 ledger 0\n" +
		"difference missing_payment payment pi_3 charge ch_3: stripe 4000, no payment recorded\n"
	if !strings.HasPrefix(printed.String(), want) {
		t.Errorf("printed:\n%s\nwant first:\n%s", printed.String(), want)
	}
	if rep.Held != 2 || rep.WrongVersion != 1 || rep.NotOurs != 2 || rep.Recent != 1 || len(rep.Differences) != 5 {
		t.Errorf("report %s", rep.Summary())
	}
	got := alarms(lines)
	if len(got) != 5 {
		t.Fatalf("%d alarm lines: %v", len(got), lines)
	}
	if got[3]["msg"] != DifferenceMessage || got[3]["kind"] != DiffRefunded || got[3]["payment_key"] != "pi_1" ||
		got[3]["charge_id"] != "ch_1" || got[3]["stripe_cents"] != float64(2500) || got[3]["ledger_cents"] != float64(0) {
		t.Errorf("alarm line %v", got[3])
	}
}

// Events of the other mode are all refused: the key is of the other mode.
func TestRunRefusesTheOtherMode(t *testing.T) {
	src := &fakeStripe{events: []*stripe.Event{anEvent("evt_1", "invoice.paid", now.Add(-time.Hour), map[string]any{})}}
	l := &fakeLedger{seen: map[string]bool{}, payments: map[string]dynamo.PaymentRecord{}}
	a := &fakeApplier{l: l, results: map[string]error{"evt_1": webhook.ErrWrongMode}}
	rep, err := Reconciler{Stripe: src, Ledger: l, Apply: a, Types: []string{"invoice.paid"}}.Run(context.Background(), Last(now, DefaultWindow), Options{})
	if !errors.Is(err, ErrWrongMode) || rep.WrongMode != 1 {
		t.Fatalf("err %v, %s", err, rep.Summary())
	}
}

// A failure to apply is Run's error, saying to run again; the rest is still applied.
func TestRunSaysToRunAgainAfterAFailure(t *testing.T) {
	src := &fakeStripe{events: []*stripe.Event{
		anEvent("evt_1", "checkout.session.completed", now.Add(-time.Hour), map[string]any{"payment_intent": "pi_1", "amount_total": 100}),
		anEvent("evt_2", "checkout.session.completed", now.Add(-time.Hour), map[string]any{"payment_intent": "pi_2", "amount_total": 100}),
	}}
	l := &fakeLedger{seen: map[string]bool{}, payments: map[string]dynamo.PaymentRecord{}}
	a := &fakeApplier{l: l, results: map[string]error{"evt_1": errors.New("ProvisionedThroughputExceededException")}}
	rep, err := Reconciler{Stripe: src, Ledger: l, Apply: a, Types: []string{"checkout.session.completed"}}.Run(context.Background(), Last(now, DefaultWindow), Options{})
	if err == nil || !strings.Contains(err.Error(), "run again") || rep.Failed != 1 || rep.Applied != 1 {
		t.Fatalf("err %v, %s", err, rep.Summary())
	}
}

func TestCompare(t *testing.T) {
	plain := dynamo.PaymentRecord{Key: "pi_1", AmountCents: 10000, Currency: "cad"}
	converted := dynamo.PaymentRecord{Key: "pi_1", AmountCents: 2500, Currency: "cad", ChargedCents: 1800, ChargedCurrency: "usd"}
	foreign := dynamo.PaymentRecord{Key: "pi_1", AmountCents: 0, Currency: "cad", ChargedCents: 29000000, ChargedCurrency: "idr", Foreign: true}
	lost := &stripe.Dispute{ID: "dp_1", Amount: 10000, Status: "lost",
		BalanceTransactions: []*stripe.BalanceTransaction{{Amount: -10000}}}
	open := &stripe.Dispute{ID: "dp_2", Amount: 4000, Status: "under_review",
		BalanceTransactions: []*stripe.BalanceTransaction{{Amount: -4000}}}
	won := &stripe.Dispute{ID: "dp_3", Amount: 4000, Status: "won",
		BalanceTransactions: []*stripe.BalanceTransaction{{Amount: -4000}, {Amount: 4000}}}
	ch := func(amount, refunded int64, cur string) *stripe.Charge {
		return &stripe.Charge{ID: "ch_1", Amount: amount, AmountRefunded: refunded, Currency: stripe.Currency(cur)}
	}
	with := func(pr dynamo.PaymentRecord, f func(*dynamo.PaymentRecord)) dynamo.PaymentRecord { f(&pr); return pr }
	for _, tc := range []struct {
		name     string
		c        *stripe.Charge
		disputes []*stripe.Dispute
		pr       dynamo.PaymentRecord
		want     []string
	}{
		{"equal", ch(10000, 0, "cad"), nil, plain, nil},
		{"amount", ch(9000, 0, "cad"), nil, plain, []string{"amount 9000 10000"}},
		{"currency", ch(10000, 0, "usd"), nil, plain, []string{"amount 10000 10000"}},
		{"refund missed", ch(10000, 2500, "cad"), nil, plain, []string{"refunded 2500 0"}},
		{"refund recorded", ch(10000, 2500, "cad"), nil, with(plain, func(p *dynamo.PaymentRecord) { p.RefundedCents = 2500 }), nil},
		{"lost dispute missed", ch(10000, 0, "cad"), []*stripe.Dispute{lost}, plain, []string{"disputed 10000 0"}},
		{"lost dispute recorded", ch(10000, 0, "cad"), []*stripe.Dispute{lost}, with(plain, func(p *dynamo.PaymentRecord) { p.DisputedCents = 10000 }), nil},
		{"withdrawn and reinstated", ch(10000, 0, "cad"), []*stripe.Dispute{won}, plain, nil},
		{"withdrawn, open", ch(10000, 0, "cad"), []*stripe.Dispute{open, won}, plain, []string{"disputed 4000 0"}},
		{"converted equal", ch(1800, 0, "usd"), nil, converted, nil},
		{"converted refund counted", ch(1800, 900, "usd"), nil, with(converted, func(p *dynamo.PaymentRecord) { p.RefundedCents = 1250 }), nil},
		{"converted refund missed", ch(1800, 900, "usd"), nil, converted, []string{"refunded 1250 0"}},
		{"foreign counts nothing", ch(29000000, 29000000, "idr"), []*stripe.Dispute{lost}, foreign, nil},
		{"partial refund and lost dispute", ch(10000, 3000, "cad"), []*stripe.Dispute{{Amount: 7000, Status: "lost",
			BalanceTransactions: []*stripe.BalanceTransaction{{Amount: -7000}}}},
			with(plain, func(p *dynamo.PaymentRecord) { p.RefundedCents, p.DisputedCents = 3000, 7000 }), nil},
		// Refunded in full, then disputed and lost: Stripe withdrew nothing, nothing is held.
		{"refunded, then lost without a withdrawal", ch(10000, 10000, "cad"), []*stripe.Dispute{{Amount: 10000, Status: "lost"}},
			with(plain, func(p *dynamo.PaymentRecord) { p.RefundedCents = 10000 }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range Compare(tc.c, tc.disputes, tc.pr) {
				if d.PaymentKey != "pi_1" || d.ChargeID != "ch_1" {
					t.Errorf("ids %+v", d)
				}
				got = append(got, strings.Join([]string{d.Kind, itoa(d.Stripe), itoa(d.Ledger)}, " "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestHeldCents(t *testing.T) {
	bt := func(amounts ...int64) []*stripe.BalanceTransaction {
		var out []*stripe.BalanceTransaction
		for _, a := range amounts {
			out = append(out, &stripe.BalanceTransaction{Amount: a})
		}
		return out
	}
	for _, tc := range []struct {
		status string
		bts    []*stripe.BalanceTransaction
		want   int64
	}{
		{"needs_response", nil, 0},
		{"needs_response", bt(-500), 500},
		{"under_review", bt(-500, 500), 0},
		{"won", bt(-500), 500}, // won, its reinstatement not listed yet: still held
		{"won", bt(-500, 500), 0},
		{"lost", nil, 0}, // a charge refunded in full: Stripe withdrew nothing
		{"lost", bt(-500), 500},
		{"warning_closed", nil, 0},
	} {
		if got := HeldCents(&stripe.Dispute{Amount: 500, Status: stripe.DisputeStatus(tc.status), BalanceTransactions: tc.bts}); got != tc.want {
			t.Errorf("%s %d transactions: %d, want %d", tc.status, len(tc.bts), got, tc.want)
		}
	}
}

func TestWindowCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Window
		ok   bool
	}{
		{"default", Last(now, DefaultWindow), true},
		{"30 days", Last(now, Retention), true},
		{"31 days", Last(now, Retention+24*time.Hour), false},
		{"reversed", Window{From: now, To: now.Add(-time.Hour)}, false},
		{"empty", Window{}, false},
	} {
		if err := tc.w.Check(now); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestOurs(t *testing.T) {
	for meta, want := range map[string]bool{
		`{"kind":"donation","record_id":"d"}`: true, `{"kind":"subscription","record_id":"s"}`: true,
		`{"kind":"dues","record_id":"s"}`: true, `{"kind":"donation"}`: false, `{"kind":"other","record_id":"x"}`: false, `{}`: false,
	} {
		var m map[string]string
		_ = json.Unmarshal([]byte(meta), &m)
		if Ours(m) != want {
			t.Errorf("Ours(%s) = %v", meta, !want)
		}
	}
}
