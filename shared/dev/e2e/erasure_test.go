package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() {
	emulator.Logs.Personal("Noor", "Haddad", "31 avenue Laurier", "H2T 2N6", "500 rue Sherbrooke", "H3A 3G6")
}

// erasureKey is the test's erasure key, as the staff tool reads it.
func erasureKey(src staff.Sources) staff.Sources {
	src.ErasureKey = func(context.Context) ([]byte, error) {
		return []byte("the end-to-end tests' erasure key, over 32 bytes"), nil
	}
	return src
}

// fullScanTraces scans every item of the table and returns where any of traces appears,
// as a whole word whatever its case, in any attribute (names, keys and values, however
// nested).
func (s *stack) fullScanTraces(traces ...string) []string {
	s.t.Helper()
	var left []string
	if err := export.ScanTable(context.Background(), s.env.DB(), s.table, 2, func(it export.Item) error {
		var strs []string
		for k, v := range it {
			strs = append(strs, k)
			allStrings(v, &strs)
		}
		for _, str := range strs {
			for _, tr := range traces {
				if wordIn(strings.ToLower(str), strings.ToLower(tr)) {
					left = append(left, tr+" in "+it["pk"].(*types.AttributeValueMemberS).Value)
				}
			}
		}
		return nil
	}); err != nil {
		s.t.Fatal(err)
	}
	return left
}

// wordIn reports whether w is in s with no letter, digit or address character on
// either side: "noor@example.org" is not in "manoor@example.org".
func wordIn(s, w string) bool {
	inWord := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || strings.IndexByte("._-+", b) >= 0 || b >= 0x80
	}
	for i := 0; i <= len(s); {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || !inWord(s[j-1])) && (j+len(w) == len(s) || !inWord(s[j+len(w)])) {
			return true
		}
		i = j + 1
	}
	return false
}

// outboxTo lists the outbox emails in the table to or about any of addrs.
func (s *stack) outboxTo(addrs ...string) []string {
	s.t.Helper()
	var out []string
	for _, it := range s.items(dynamo.TypeEmail) {
		e := unmarshal[outbox.Email](s.t, it)
		for _, a := range addrs {
			if e.To == a || e.Data["email"] == a {
				out = append(out, e.ID)
			}
		}
	}
	return out
}

// pressConfirm presses the button of a confirmation link's page: it posts the link's
// token.
func (s *stack) pressConfirm(confirmLink string) {
	s.t.Helper()
	u, err := url.Parse(confirmLink)
	if err != nil {
		s.t.Fatal(err)
	}
	if res := s.postForm(u.Path, url.Values{"token": {u.Query().Get("token")}}, nil); res.status != http.StatusOK {
		s.t.Fatalf("confirm: %d %s", res.status, res.body)
	}
}

// TestErasedSubscriberStaysErased: erasing a person whose subscription and monthly gift
// Stripe still charges refuses with a message naming both; once they were cancelled, the
// erasure goes through, and the person's later Stripe events — a renewal, an address
// change from the portal, a reactivation, a cancellation, another month of the gift, a
// failed month, a refund — count their money but restore nothing and send nothing. A
// full scan of the table then finds no trace of the person, and privacy find nothing.
func TestErasedSubscriberStaysErased(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	const email = "noor@example.org"
	p := plan.Default()["solidarity-annual"]
	home := subscription.Shipping{Name: "Noor Haddad", Line1: "31 avenue Laurier", City: "Montréal", State: "QC", PostalCode: "H2T 2N6", Country: "CA"}
	sub := s.subscribe(email, p.Slug, "en")
	now := time.Now()
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &home), now))
	s.deliverUntilOK(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 1, true), now.Add(time.Second)))
	gift := s.donate(map[string]any{"frequency": "monthly", "amount_cents": 1000, "language": "en", "email": email,
		"first_name": "Noor", "last_name": "Haddad"})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now))
	s.deliverUntilOK(localpay.Event("invoice.paid", localpay.InvoicePaid(gift, 1, now), now.Add(time.Second)))
	s.waitEmails(email, 3) // welcome, the subscription's receipt, the gift's receipt

	var out bytes.Buffer
	err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out)
	if err == nil {
		t.Fatal("a live subscriber was erased")
	}
	for _, want := range []string{"erasure refused, nothing was changed", "subscription solidarity-annual", localpay.PlanStripeID(sub),
		"status active", "monthly gift to " + gift.Campaign, localpay.SubscriptionID(gift), "Stripe's dashboard", "customer portal",
		"money decision"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if got := s.subscriptionByID(sub.ID); got.Shipping == nil || got.Email != email {
		t.Fatalf("a refused erasure changed the subscription: %+v", got)
	}

	// Staff cancel both in Stripe's dashboard; Stripe tells us, and the person.
	s.deliverUntilOK(localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", false), now.Add(2*time.Second)))
	s.deliverUntilOK(localpay.Event("customer.subscription.deleted", localpay.MonthlySubscription(gift, "canceled"), now.Add(2*time.Second)))
	sent := len(s.waitEmails(email, 5))
	before := s.campaign()
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"erased:", "35 days after each export", "point-in-time recovery keeps 35 days",
		localpay.PlanCustomerID(sub), localpay.CustomerID(gift), "SES"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the erasure does not say %q:\n%s", want, out.String())
		}
	}

	later := now.Add(time.Hour)
	moved := subscription.Shipping{Name: "Noor Haddad", Line1: "500 rue Sherbrooke", City: "Montréal", State: "QC", PostalCode: "H3A 3G6", Country: "CA"}
	for _, ev := range [][]byte{
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 2, true), later),
		localpay.Event("customer.updated", localpay.CustomerWithShipping(sub, moved), later.Add(time.Second)),
		localpay.Event("customer.subscription.updated", localpay.PlanSubscription(sub, "active", true), later.Add(2*time.Second)),
		localpay.Event("invoice.upcoming", localpay.UpcomingInvoice(sub, p, 3), later.Add(3*time.Second)),
		localpay.Event("invoice.payment_failed", localpay.PlanInvoice(sub, p, 3, false), later.Add(4*time.Second)),
		localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", true), later.Add(5*time.Second)),
		localpay.Event("invoice.paid", localpay.InvoicePaid(gift, 2, later), later),
		localpay.Event("invoice.payment_failed", localpay.InvoicePaymentFailed(gift, 3), later.Add(time.Second)),
		localpay.Event("customer.subscription.deleted", localpay.MonthlySubscription(gift, "canceled"), later.Add(2*time.Second)),
		localpay.Event("charge.refunded", localpay.ChargeRefunded(localpay.InvoicePaymentIntentID(gift, 2), 1000, 300, "cad"), later.Add(3*time.Second)),
	} {
		s.deliverUntilOK(ev)
	}

	// Nothing owed to anyone (the webhook writes the outbox in the same transaction as
	// the change, so the table tells at once); nothing sent, to the address or to
	// "erased".
	if owed := s.outboxTo(email, dynamo.Erased); len(owed) > 0 {
		t.Fatalf("emails owed to an erased person: %v", owed)
	}
	s.waitEmails(email, sent)
	if got := s.env.SentEmails(t, dynamo.Erased); len(got) > 0 {
		t.Fatalf("%d emails sent to %q", len(got), dynamo.Erased)
	}

	// The money still counts.
	if got := s.subscriptionByID(sub.ID); !got.Erased || got.Shipping != nil || got.PaidCents != 2*p.AmountCents ||
		got.Status != subscription.StatusCanceled || got.FirstName != "" {
		t.Fatalf("erased subscription %+v %+v", got, got.Shipping)
	}
	after := s.campaign()
	if after.PaidCents != before.PaidCents+1000 || after.RefundedCents != before.RefundedCents+300 ||
		after.DonorCount != before.DonorCount || after.DonationCount != before.DonationCount {
		t.Fatalf("totals %+v → %+v", before, after)
	}

	// A full scan finds no trace; privacy find finds nothing.
	if left := s.fullScanTraces(email, "Noor", "Haddad", "31 avenue Laurier", "H2T 2N6", "500 rue Sherbrooke", "H3A 3G6"); len(left) > 0 {
		t.Fatalf("traces in the table: %v", left)
	}
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"privacy", "find", "-json", "-email", email, "-name", "Noor Haddad"}, &out); err != nil {
		t.Fatal(err)
	}
	var found struct {
		Items    []map[string]any `json:"items"`
		Refusals []map[string]any `json:"erase_refused_until"`
	}
	if err := json.Unmarshal(out.Bytes(), &found); err != nil || found.Items == nil || len(found.Items) != 0 || len(found.Refusals) != 0 {
		t.Fatalf("find after the erasure (%v):\n%s", err, out.String())
	}
}

// TestPendingAndSentExpire: a donation and a subscription whose Checkout is opened carry
// the table's TTL, PendingRetention after they were created; the first payment removes
// it; an email the mailer sent carries one, SentRetention after it went out.
func TestPendingAndSentExpire(t *testing.T) {
	s := newStack(t, true)
	ttlOf := func(it map[string]types.AttributeValue) (int64, bool) {
		n, ok := it[dynamo.TTLAttribute].(*types.AttributeValueMemberN)
		if !ok {
			return 0, false
		}
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v, true
	}
	byKey := func(typ, pk string) map[string]types.AttributeValue {
		for _, it := range s.items(typ) {
			if it["pk"].(*types.AttributeValueMemberS).Value == pk {
				return it
			}
		}
		t.Fatalf("no %s %s", typ, pk)
		return nil
	}
	d := s.donate(map[string]any{"email": "pending-ttl@example.org"})
	sub := s.subscribe("pending-ttl@example.org", "solidarity-monthly", "en")
	if got, ok := ttlOf(byKey(dynamo.TypeDonation, "DONATION#"+d.ID)); !ok || got != d.CreatedAt.Add(dynamo.PendingRetention).Unix() {
		t.Fatalf("pending donation expires at %d (%v)", got, ok)
	}
	if got, ok := ttlOf(byKey(dynamo.TypeSubscription, "SUBSCRIPTION#"+sub.ID)); !ok || got != sub.CreatedAt.Add(dynamo.PendingRetention).Unix() {
		t.Fatalf("pending subscription expires at %d (%v)", got, ok)
	}

	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, nil), time.Now()))
	if got, ok := ttlOf(byKey(dynamo.TypeDonation, "DONATION#"+d.ID)); ok {
		t.Fatalf("a paid donation expires at %d", got)
	}
	if got, ok := ttlOf(byKey(dynamo.TypeSubscription, "SUBSCRIPTION#"+sub.ID)); ok {
		t.Fatalf("a live subscription expires at %d", got)
	}

	s.waitEmails("pending-ttl@example.org", 2) // the receipt, the welcome
	deadline := time.Now().Add(30 * time.Second)
	for {
		var sentItems, withTTL int
		for _, it := range s.items(dynamo.TypeEmail) {
			e := unmarshal[struct {
				Status string `dynamodbav:"status"`
				SentAt string `dynamodbav:"sent_at"`
			}](t, it)
			if e.Status != outbox.StatusSent {
				continue
			}
			sentItems++
			at, err := time.Parse(time.RFC3339, e.SentAt)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := ttlOf(it); ok && got == at.Add(dynamo.SentRetention).Unix() {
				withTTL++
			}
		}
		if sentItems == 2 && withTTL == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sent emails, %d with their expiry", sentItems, withTTL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tableAt is every item of the table, by key.
func (s *stack) tableAt() map[string]export.Item {
	s.t.Helper()
	out := map[string]export.Item{}
	if err := export.ScanTable(context.Background(), s.env.DB(), s.table, 2, func(it export.Item) error {
		out[it["pk"].(*types.AttributeValueMemberS).Value+" "+it["sk"].(*types.AttributeValueMemberS).Value] = it
		return nil
	}); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// storeAt is the stack's store with its clock at now, as staff would run the tool then.
func (s *stack) storeAt(now time.Time) *dynamo.Store {
	st := *s.sys.Store
	st.Now = func() time.Time { return now }
	return &st
}

// TestErasedOnlyOnceCheckoutsClose: a person who just opened the Checkout of a
// subscription, of a monthly gift and of a one-time gift cannot be erased while any could
// still be paid (what it started would charge them with nothing here to find it by): the
// refusal names each, says when erasing will be possible, and changes nothing. Once the
// store's clock is 25 hours on, the erasure goes through and leaves no trace.
func TestErasedOnlyOnceCheckoutsClose(t *testing.T) {
	s := newStack(t, false)
	ctx := context.Background()
	const email = "open-checkout@example.org"
	sub := s.subscribe(email, "solidarity-annual", "en")
	monthly := s.donate(map[string]any{"frequency": "monthly", "amount_cents": 1000, "language": "en", "email": email,
		"first_name": "Nora", "last_name": "Kasongo"})
	once := s.donate(map[string]any{"email": email, "first_name": "Nora", "last_name": "Kasongo", "language": "en"})
	latest := once.CreatedAt
	for _, c := range []time.Time{sub.CreatedAt, monthly.CreatedAt} {
		if c.After(latest) {
			latest = c
		}
	}
	before := s.tableAt()

	var out bytes.Buffer
	err := staff.Run(ctx, s.storeAt(latest.Add(2*time.Hour)), erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out)
	if err == nil {
		t.Fatal("erased while Checkouts could still be paid")
	}
	until := func(created time.Time) string { return staff.LocalTime(created.Add(24*time.Hour + 15*time.Minute)) }
	for _, want := range []string{"erasure refused, nothing was changed",
		"subscription solidarity-annual (record " + sub.ID + ", status pending), whose Checkout, opened " + staff.LocalTime(sub.CreatedAt),
		"erasing is possible after " + until(sub.CreatedAt) + ", in 23 hours",
		"monthly gift to " + monthly.Campaign + " (record " + monthly.ID + ", status pending)",
		"erasing is possible after " + until(monthly.CreatedAt) + ", in 23 hours",
		"gift to " + once.Campaign + " (record " + once.ID + ", status pending)",
		"erasing is possible after " + until(once.CreatedAt) + ", in 23 hours",
		"run privacy erase again after " + until(latest) + " (staff's local time)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if after := s.tableAt(); !reflect.DeepEqual(after, before) {
		t.Fatalf("a refused erasure changed the table: %d items, was %d", len(after), len(before))
	}

	out.Reset()
	if err := staff.Run(ctx, s.storeAt(latest.Add(25*time.Hour)), erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err != nil {
		t.Fatalf("erase once the Checkouts closed: %v", err)
	}
	if !strings.Contains(out.String(), "3 kept without identity") {
		t.Errorf("the erasure says:\n%s", out.String())
	}
	if left := s.fullScanTraces(email, "Nora", "Kasongo"); len(left) > 0 {
		t.Fatalf("traces in the table: %v", left)
	}
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"privacy", "find", "-json", "-email", email}, &out); err != nil {
		t.Fatal(err)
	}
	var found struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(out.Bytes(), &found); err != nil || found.Items == nil || len(found.Items) != 0 {
		t.Fatalf("find after the erasure (%v):\n%s", err, out.String())
	}
}

// TestErasedUnsubscribeLinkCannotResubscribe: the unsubscribe link of an erased person,
// and the way back on the page that followed it, no longer work: the erasure deleted
// their tokens with the rest, so no one holding the link can give consent in their name.
func TestErasedUnsubscribeLinkCannotResubscribe(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	const email = "undo-erased@example.org"
	s.join(joiner(email, nil))
	s.pressConfirm(link(t, s.waitEmails(email, 1)[0], "/members/confirm"))
	unsub := link(t, s.waitEmails(email, 2)[1], "/unsubscribe")
	done := s.pressOn(unsub, s.open(http.MethodGet, unsub))
	if done.status != http.StatusOK {
		t.Fatalf("unsubscribe: %d %s", done.status, done.body)
	}
	if back := s.pressOn(s.url+"/unsubscribe", done); back.status != http.StatusOK { // the way back works, before
		t.Fatalf("the way back: %d %s", back.status, back.body)
	}

	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err != nil {
		t.Fatal(err)
	}
	if back := s.pressOn(s.url+"/unsubscribe", done); back.status != http.StatusNotFound {
		t.Fatalf("the way back after the erasure: %d %s", back.status, back.body)
	}
	if res := s.open(http.MethodGet, unsub); res.status != http.StatusNotFound || strings.Contains(string(res.body), "<form") {
		t.Fatalf("the link after the erasure: %d %s", res.status, res.body)
	}
	if res := s.oneClick(unsub); res.status != http.StatusNotFound {
		t.Fatalf("one-click after the erasure: %d %s", res.status, res.body)
	}
	if recs := s.consentRecords(email); len(recs) != 0 {
		t.Fatalf("consent records after the erasure: %+v", recs)
	}
	if st, ok := s.newsState(email); ok {
		t.Fatalf("a news state after the erasure: %+v", st)
	}
	if left := s.fullScanTraces(email, "Éloïse", "Bergeron"); len(left) > 0 {
		t.Fatalf("traces in the table: %v", left)
	}
}
