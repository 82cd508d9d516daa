package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/organization"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
)

func campaignRaised(s *stack) int64 { return s.campaign().RaisedCents() }

// TestGiveOnceInFrench is the newcomer's path: a $25 gift in French, paid, receipted in
// French, counted once however often Stripe delivers the event, then partly refunded.
func TestGiveOnceInFrench(t *testing.T) {
	s := newStack(t, true)
	d := s.donate(map[string]any{"email": "elise.once@example.org"})
	if got := campaignRaised(s); got != 9_000_000 {
		t.Fatalf("raised before paying %d", got)
	}
	paidAt := time.Now() // the event's creation: the receipt's date
	completed := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), paidAt)
	for i := 0; i < 5; i++ {
		if st := s.deliver(completed); st != http.StatusOK {
			t.Fatalf("delivery %d: %d", i+1, st)
		}
	}
	c := s.campaign()
	if c.RaisedCents() != 9_002_500 || c.DonationCount != 1 || c.DonorCount != 1 {
		t.Fatalf("after five deliveries: raised %d, donations %d, donors %d", c.RaisedCents(), c.DonationCount, c.DonorCount)
	}
	if got := s.donationByID(d.ID); got.Status != donation.StatusPaid || got.PaidCents != 2500 || got.PaymentCount != 1 {
		t.Fatalf("donation %+v", got)
	}
	res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", nil).json(t)
	if res["raised_cents"] != 9_002_500.0 {
		t.Fatalf("GET raised_cents %v", res["raised_cents"])
	}

	mails := s.waitEmails("elise.once@example.org", 1)
	m := mails[0]
	if m.Source != organization.Default().From(i18n.FR, "appeal@solidarity.example") || !strings.Contains(m.Subject, "Reçu de votre don") {
		t.Fatalf("email %q from %q", m.Subject, m.Source)
	}
	for _, want := range []string{"Bonjour Élise", "25,00", "Numéro de reçu : SOL-", "don unique",
		"Date : " + i18n.FormatDate(i18n.FR, paidAt.UTC()), "ne sont pas déductibles d’impôt"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("receipt lacks %q:\n%s", want, m.Body)
		}
	}

	refund := func(total int64) int {
		return s.deliver(localpay.Event("charge.refunded",
			localpay.ChargeRefunded(localpay.PaymentIntentID(d), 2500, total, "cad"), time.Now()))
	}
	if st := refund(500); st != http.StatusOK {
		t.Fatalf("refund: %d", st)
	}
	if got := campaignRaised(s); got != 9_002_000 {
		t.Fatalf("after a $5 refund: %d", got)
	}
	refund(500) // the same total again (a new event id): nothing more
	if got := campaignRaised(s); got != 9_002_000 {
		t.Fatalf("after a repeated refund total: %d", got)
	}
	refund(1500) // a second partial refund brings the total to $15
	refund(500)  // the older event arriving late changes nothing
	if got := campaignRaised(s); got != 9_001_000 {
		t.Fatalf("after refunds totalling $15: %d", got)
	}
	if got := s.donationByID(d.ID); got.RefundedCents != 1500 {
		t.Fatalf("donation refunded %d", got.RefundedCents)
	}
}

// TestMonthlyGift counts each month's invoice.paid, once, and the session itself never.
func TestMonthlyGift(t *testing.T) {
	s := newStack(t, true)
	d := s.donate(map[string]any{"frequency": "monthly", "amount_cents": 1000, "language": "en", "email": "monthly@example.org"})
	now := time.Now()
	if st := s.deliver(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), now)); st != http.StatusOK {
		t.Fatalf("completed: %d", st)
	}
	if got := campaignRaised(s); got != 9_000_000 {
		t.Fatalf("the session must not count money: %d", got)
	}
	if got := s.donationByID(d.ID); got.SubscriptionID != localpay.SubscriptionID(d) || got.CustomerID != localpay.CustomerID(d) {
		t.Fatalf("subscription not linked: %+v", got)
	}
	for month := 1; month <= 3; month++ {
		ev := localpay.Event("invoice.paid", localpay.InvoicePaid(d, month, now.AddDate(0, month-1, 0)), now)
		for i := 0; i < 2; i++ {
			if st := s.deliver(ev); st != http.StatusOK {
				t.Fatalf("month %d: %d", month, st)
			}
		}
		if got := campaignRaised(s); got != 9_000_000+int64(month)*1000 {
			t.Fatalf("after month %d: %d", month, got)
		}
	}
	c := s.campaign()
	if c.DonationCount != 1 || c.DonorCount != 1 {
		t.Fatalf("donations %d donors %d", c.DonationCount, c.DonorCount)
	}
	got := s.donationByID(d.ID)
	if got.PaymentCount != 3 || got.PaidCents != 3000 || got.Status != donation.StatusPaid {
		t.Fatalf("donation %+v", got)
	}
	mails := s.waitEmails("monthly@example.org", 3)
	if !strings.Contains(mails[0].Subject, "monthly donation") || !strings.Contains(mails[0].Body, "stop your monthly donation") ||
		!strings.Contains(mails[0].Body, "not tax-deductible") || !strings.Contains(mails[0].Body, "reply to this email") {
		t.Fatalf("monthly receipt: %s\n%s", mails[0].Subject, mails[0].Body)
	}
}

func TestRepeatDonorCountsOnce(t *testing.T) {
	s := newStack(t, false)
	for i := 0; i < 2; i++ {
		d := s.donate(map[string]any{"email": "again@example.org"})
		s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	}
	c := s.campaign()
	if c.DonationCount != 2 || c.DonorCount != 1 || c.RaisedCents() != 9_005_000 {
		t.Fatalf("donations %d donors %d raised %d", c.DonationCount, c.DonorCount, c.RaisedCents())
	}
}

func TestFailedAndDisputedPayments(t *testing.T) {
	s := newStack(t, true)
	failed := s.donate(map[string]any{"email": "declined@example.org", "language": "en"})
	s.deliverUntilOK(localpay.Event("checkout.session.async_payment_failed", localpay.SessionAsyncFailed(failed), time.Now()))
	if got := s.donationByID(failed.ID); got.Status != donation.StatusFailed {
		t.Fatalf("status %s", got.Status)
	}
	mails := s.waitEmails("declined@example.org", 1)
	if !strings.Contains(mails[0].Subject, "did not go through") {
		t.Fatalf("subject %q", mails[0].Subject)
	}

	paid := s.donate(map[string]any{"email": "disputed@example.org"})
	dispute := localpay.Event("charge.dispute.created", localpay.DisputeCreated(localpay.PaymentIntentID(paid), 2500, "cad", time.Now()), time.Now())
	if st := s.deliver(dispute); st != 200 {
		t.Fatalf("a dispute before its payment is kept for it (200), got %d", st)
	}
	if n := len(s.items("dispute")); n != 0 {
		t.Fatalf("%d disputes recorded before their payment", n)
	}
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(paid), time.Now()))
	if got := s.donationByID(paid.ID); !got.Disputed {
		t.Fatal("the kept dispute was not applied with its payment")
	}
	s.deliverUntilOK(dispute)
	if n := len(s.items("dispute")); n != 1 {
		t.Fatalf("%d disputes recorded", n)
	}
	if got := campaignRaised(s); got != 9_002_500 {
		t.Fatalf("a dispute opened, no money withdrawn yet, must not change the total: %d", got)
	}
	// Stripe withdraws the money: the total loses it; the dispute won, it comes back.
	withdrawn := localpay.Event("charge.dispute.funds_withdrawn",
		localpay.Dispute(localpay.PaymentIntentID(paid), 2500, "cad", time.Now(), localpay.DisputeWithdrawn), time.Now())
	s.deliverUntilOK(withdrawn)
	if got := campaignRaised(s); got != 9_000_000 {
		t.Fatalf("withdrawn: raised %d", got)
	}
	s.deliverUntilOK(localpay.Event("charge.dispute.closed",
		localpay.Dispute(localpay.PaymentIntentID(paid), 2500, "cad", time.Now(), localpay.DisputeWon), time.Now()))
	s.deliverUntilOK(withdrawn) // late and again: changes nothing
	if got := campaignRaised(s); got != 9_002_500 {
		t.Fatalf("won: raised %d", got)
	}
}

// TestShuffledConcurrentDeliveries delivers a batch of events for many donations in a
// random order, each two or three times, four at a time, redelivering 5xx answers like
// Stripe. The totals must equal those computed independently from the batch.
func TestShuffledConcurrentDeliveries(t *testing.T) {
	s := newStack(t, false)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	now := time.Now()
	var batch [][]byte
	var wantPaid, wantRefunded int64
	donors := map[string]bool{}
	for i := 0; i < 12; i++ {
		email := fmt.Sprintf("donor%d@example.org", i%8) // some give twice
		amount := int64(500 + rng.IntN(50)*100)
		freq := "once"
		if i%3 == 0 {
			freq = "monthly"
		}
		d := s.donate(map[string]any{"email": email, "amount_cents": amount, "frequency": freq})
		donors[email] = true
		batch = append(batch, localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), now))
		pi := localpay.PaymentIntentID(d)
		if freq == "monthly" {
			for m := 1; m <= 2; m++ {
				batch = append(batch, localpay.Event("invoice.paid", localpay.InvoicePaid(d, m, now), now))
			}
			wantPaid += 2 * amount
			pi = localpay.InvoicePaymentIntentID(d, 1)
		} else {
			wantPaid += amount
		}
		if i%4 == 1 { // two partial refunds, the later total wins
			batch = append(batch,
				localpay.Event("charge.refunded", localpay.ChargeRefunded(pi, amount, 100, "cad"), now),
				localpay.Event("charge.refunded", localpay.ChargeRefunded(pi, amount, 300, "cad"), now))
			wantRefunded += 300
		}
	}
	var deliveries [][]byte
	for _, ev := range batch {
		for n := 2 + rng.IntN(2); n > 0; n-- {
			deliveries = append(deliveries, ev)
		}
	}
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	failures := deliverLikeStripe(s, deliveries, 4)
	if len(failures) > 0 {
		t.Fatalf("%d deliveries never accepted", len(failures))
	}
	c := s.campaign()
	if c.PaidCents != wantPaid || c.RefundedCents != wantRefunded || c.DonationCount != 12 || c.DonorCount != int64(len(donors)) {
		t.Fatalf("paid %d/%d refunded %d/%d donations %d/12 donors %d/%d",
			c.PaidCents, wantPaid, c.RefundedCents, wantRefunded, c.DonationCount, c.DonorCount, len(donors))
	}
	if got := len(s.items("email")); got != 16 { // 8 one-time + 4×2 monthly receipts
		t.Fatalf("%d receipts in the outbox, want 16", got)
	}
}

// deliverLikeStripe delivers events with workers at once; an event answered 5xx goes to
// the back of the queue and is tried again later, as Stripe retries, up to 30 times. It
// returns the events never accepted.
func deliverLikeStripe(s *stack, events [][]byte, workers int) [][]byte {
	type job struct {
		ev       []byte
		attempts int
	}
	queue := make(chan job, len(events))
	for _, ev := range events {
		queue <- job{ev: ev}
	}
	var pending sync.WaitGroup
	pending.Add(len(events))
	var mu sync.Mutex
	var failed [][]byte
	for w := 0; w < workers; w++ {
		go func() {
			for j := range queue {
				st := s.deliverNoFatal(j.ev)
				switch {
				case st == http.StatusOK:
					pending.Done()
				case (st == 0 || st >= 500) && j.attempts < 30:
					time.Sleep(5 * time.Millisecond)
					queue <- job{ev: j.ev, attempts: j.attempts + 1}
				default:
					mu.Lock()
					failed = append(failed, j.ev)
					mu.Unlock()
					pending.Done()
				}
			}
		}()
	}
	pending.Wait()
	close(queue)
	return failed
}

// deliverNoFatal is deliver for use off the test goroutine.
func (s *stack) deliverNoFatal(payload []byte) int {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url+"/webhooks/stripe", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", localpay.Sign(payload, testSecret, time.Now()))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func TestWebhookRefusals(t *testing.T) {
	s := newStack(t, false)
	d := s.donate(map[string]any{"email": "refused@example.org"})
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
	send := func(sig string, body []byte) response {
		return s.do(http.MethodPost, "/webhooks/stripe", "application/json", string(body), map[string]string{"Stripe-Signature": sig})
	}
	cases := []struct {
		name string
		res  response
	}{
		{"bad signature", send(localpay.Sign(payload, "whsec_wrong", time.Now()), payload)},
		{"stale signature", send(localpay.Sign(payload, testSecret, time.Now().Add(-10*time.Minute)), payload)},
		{"no signature", send("", payload)},
		{"tampered body", send(localpay.Sign(payload, testSecret, time.Now()), []byte(strings.Replace(string(payload), "2500", "9999", 1)))},
		{"other API version", func() response {
			other := []byte(strings.Replace(string(payload), `"api_version":"2023-10-16"`, `"api_version":"2025-03-31.basil"`, 1))
			return send(localpay.Sign(other, testSecret, time.Now()), other)
		}()},
	}
	for _, c := range cases {
		if c.res.status != http.StatusBadRequest || c.res.json(t)["error"] != "bad_request" {
			t.Errorf("%s: %d %s", c.name, c.res.status, c.res.body)
		}
	}
	if got := campaignRaised(s); got != 9_000_000 {
		t.Fatalf("a refused event changed the total: %d", got)
	}
	if n := len(s.items("stripe_event")) + len(s.items("payment")) + len(s.items("email")); n != 0 {
		t.Fatalf("%d items written by refused events", n)
	}
	other := localpay.Event("customer.created", localpay.Object{"id": "cus_1", "object": "customer"}, time.Now())
	if st := s.deliver(other); st != http.StatusOK {
		t.Fatalf("an unhandled event type: %d", st)
	}
}

// TestMonthlyGiftFailsAndEnds: a declined month tells the donor once, with a link to fix
// the card; the end of the gift is recorded and told once.
func TestMonthlyGiftFailsAndEnds(t *testing.T) {
	s := newStack(t, true)
	d := s.donate(map[string]any{"frequency": "monthly", "email": "monthly-ends@example.org", "amount_cents": 1000})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	s.deliverUntilOK(localpay.Event("invoice.paid", localpay.InvoicePaid(d, 1, time.Now()), time.Now()))
	failed := localpay.Event("invoice.payment_failed", localpay.InvoicePaymentFailed(d, 2), time.Now())
	ended := localpay.Event("customer.subscription.deleted", localpay.MonthlySubscription(d, "canceled"), time.Now())
	for _, ev := range [][]byte{failed, ended, failed, ended} {
		s.deliverUntilOK(ev)
	}
	var subjects []string
	var failMail emulator.SentEmail
	for _, m := range s.waitEmails("monthly-ends@example.org", 3) {
		subjects = append(subjects, m.Subject)
		if strings.Contains(m.Subject, "n’a pas fonctionné") {
			failMail = m
		}
	}
	if !strings.Contains(strings.Join(subjects, "|"), "Votre don mensuel a pris fin") || failMail.Subject == "" {
		t.Fatalf("emails %v", subjects)
	}
	if res := s.press(link(t, failMail, "/portal")); res.status != http.StatusSeeOther {
		t.Fatalf("the card-fixing link: %d %s", res.status, res.body)
	}
	if got := s.donationByID(d.ID); got.MonthlyEndedAt == nil || got.Status != "paid" {
		t.Fatalf("donation %+v", got)
	}
}
