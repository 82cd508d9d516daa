package dynamo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
	"github.com/solidarity/solidarity/shared/webhook"
)

func init() { emulator.Logs.Personal("Odile", "Beaulieu", "9 rue Rachel") }

var eraseKey = []byte("0123456789abcdef0123456789abcdef-test-key")

// scanAll reads every item of the table.
func scanAll(t *testing.T, db dynamo.DB, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

// strs are every string of an attribute value, however nested, with map keys.
func strs(v types.AttributeValue) []string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return []string{v.Value}
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberM:
		var out []string
		for k, e := range v.Value {
			out = append(append(out, k), strs(e)...)
		}
		return out
	case *types.AttributeValueMemberL:
		var out []string
		for _, e := range v.Value {
			out = append(out, strs(e)...)
		}
		return out
	}
	return nil
}

// traces lists the items of the table holding any of words, as whole words whatever
// their case ("ana@example.org" is not in "diana@example.org").
func traces(t *testing.T, c counted, words ...string) []string {
	t.Helper()
	var left []string
	for _, it := range scanAll(t, c.env.DB(), c.table) {
		for _, s := range strs(&types.AttributeValueMemberM{Value: it}) {
			for _, w := range words {
				if containsWord(strings.ToLower(s), strings.ToLower(w)) {
					left = append(left, w+" in "+dynamo.ItemType(it))
				}
			}
		}
	}
	return left
}

func emailItems(t *testing.T, c counted) int {
	t.Helper()
	n := 0
	for _, it := range scanAll(t, c.env.DB(), c.table) {
		if dynamo.ItemType(it) == dynamo.TypeEmail {
			n++
		}
	}
	return n
}

// TestEraseRefusesLiveRecurringThenHolds: erasing a person whose subscription and monthly
// gift Stripe still charges refuses and changes nothing; once both ended, the erasure
// goes through, and every later event of theirs — renewals, an address change, updates,
// cancellations, a failed month, a refund — counts its money but restores no identity
// and writes no email.
func TestEraseRefusesLiveRecurringThenHolds(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	const email = "odile@example.org"
	plans := plan.Default()
	p := plans["solidarity-annual"]
	now := time.Now().UTC().Truncate(time.Second)
	sub := subscription.Subscription{ID: ids.New("subs"), Plan: p.Slug, Kind: p.Kind, Email: email, FirstName: "Odile",
		LastName: "Beaulieu", Language: "fr", Status: subscription.StatusPending, CreatedAt: now}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	gift := donation.Donation{ID: ids.New("don"), Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
		AmountCents: 1000, ChargeCents: 1000, Frequency: donation.Monthly, FirstName: "Odile", LastName: "Beaulieu",
		Email: email, Language: "fr", Status: donation.StatusPending, CreatedAt: now}
	if err := store.CreateDonation(ctx, gift, nil); err != nil {
		t.Fatal(err)
	}
	hook := webhook.Handler{Secret: "whsec_erase", Ledger: store, Subscriptions: store, Plans: plans}
	deliver := func(payload []byte) {
		t.Helper()
		if st := signedDelivery(hook, payload); st != 200 {
			t.Fatalf("webhook %d", st)
		}
	}
	home := subscription.Shipping{Name: "Odile Beaulieu", Line1: "9 rue Rachel", City: "Montréal", State: "QC", PostalCode: "H2J 2H1", Country: "CA"}
	deliver(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &home), now))
	deliver(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 1, true), now.Add(time.Second)))
	deliver(localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now))
	deliver(localpay.Event("invoice.paid", localpay.InvoicePaid(gift, 1, now), now.Add(time.Second)))

	// Both still charged: refused, with each named, and nothing changed.
	before := len(scanAll(t, c.env.DB(), c.table))
	_, _, err := store.Erase(ctx, dynamo.Query{Email: email}, eraseKey)
	var refused *dynamo.RefusedError
	if !errors.As(err, &refused) || !errors.Is(err, dynamo.ErrRefused) || len(refused.Refusals) != 2 {
		t.Fatalf("erase of a live subscriber: %v", err)
	}
	kinds := map[string]dynamo.Refusal{}
	for _, r := range refused.Refusals {
		kinds[r.Kind] = r
	}
	if r := kinds[dynamo.RefuseSubscription]; r.StripeID != localpay.PlanStripeID(sub) || r.Status != subscription.StatusActive || r.Name != p.Slug {
		t.Errorf("subscription refusal %+v", r)
	}
	if r := kinds[dynamo.RefuseMonthlyGift]; r.StripeID != localpay.SubscriptionID(gift) || r.Name != localdev.AppealSlug || r.RecordID != gift.ID {
		t.Errorf("monthly gift refusal %+v", r)
	}
	if s, _ := store.Subscription(ctx, sub.ID); s.Shipping == nil || s.FirstName != "Odile" || len(scanAll(t, c.env.DB(), c.table)) != before {
		t.Fatalf("a refused erasure changed the table: %+v", s)
	}
	// Without a key, nothing happens either.
	if _, _, err := store.Erase(ctx, dynamo.Query{Email: email}, []byte("short")); !errors.Is(err, dynamo.ErrNoErasureKey) {
		t.Fatalf("erase with a short key: %v", err)
	}

	// Cancelled at Stripe: now it goes through.
	deliver(localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", false), now.Add(2*time.Second)))
	deliver(localpay.Event("customer.subscription.deleted", localpay.MonthlySubscription(gift, "canceled"), now.Add(2*time.Second)))
	campBefore, _ := store.Campaign(ctx, localdev.AppealSlug)
	er, held, err := store.Erase(ctx, dynamo.Query{Email: email}, eraseKey)
	if err != nil {
		t.Fatal(err)
	}
	if er.Anonymized < 3 || er.Deleted < 3 || len(held.Customers) != 2 {
		t.Fatalf("erasure %+v, customers %v", er, held.Customers)
	}
	if n := emailItems(t, c); n != 0 {
		t.Fatalf("%d emails left after the erasure", n)
	}

	// Stripe keeps sending events of the records: late, replayed, or made in its dashboard.
	later := now.Add(time.Hour)
	moved := subscription.Shipping{Name: "Odile Beaulieu", Line1: "40 rue Marie-Anne", City: "Montréal", State: "QC", PostalCode: "H2J 2B3", Country: "CA"}
	deliver(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 2, true), later))
	deliver(localpay.Event("customer.updated", localpay.CustomerWithShipping(sub, moved), later.Add(time.Second)))
	deliver(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &moved), later.Add(2*time.Second)))
	deliver(localpay.Event("customer.subscription.updated", localpay.PlanSubscription(sub, "active", true), later.Add(3*time.Second)))
	deliver(localpay.Event("invoice.payment_failed", localpay.PlanInvoice(sub, p, 3, false), later.Add(4*time.Second)))
	deliver(localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", true), later.Add(5*time.Second)))
	deliver(localpay.Event("invoice.paid", localpay.InvoicePaid(gift, 2, later), later))
	deliver(localpay.Event("invoice.payment_failed", localpay.InvoicePaymentFailed(gift, 3), later.Add(time.Second)))
	deliver(localpay.Event("customer.subscription.deleted", localpay.MonthlySubscription(gift, "canceled"), later.Add(2*time.Second)))
	deliver(localpay.Event("charge.refunded", localpay.ChargeRefunded(localpay.InvoicePaymentIntentID(gift, 2), 1000, 400, "cad"), later.Add(3*time.Second)))

	if n := emailItems(t, c); n != 0 {
		t.Fatalf("%d emails owed to an erased person", n)
	}
	if left := traces(t, c, email, "Odile", "Beaulieu", "rue Rachel", "Marie-Anne", "H2J"); len(left) > 0 {
		t.Fatalf("personal data came back: %v", left)
	}
	s, err := store.Subscription(ctx, sub.ID)
	if err != nil || !s.Erased || s.Shipping != nil || s.PaidCents != 2*p.AmountCents || s.Status != subscription.StatusCanceled {
		t.Fatalf("erased subscription %+v %v", s, err)
	}
	d, err := store.Donation(ctx, gift.ID)
	if err != nil || !d.Erased || d.FirstName != "" || d.PaidCents != 2000 || d.RefundedCents != 400 || d.PaymentCount != 2 {
		t.Fatalf("erased gift %+v %v", d, err)
	}
	campAfter, _ := store.Campaign(ctx, localdev.AppealSlug)
	if campAfter.PaidCents != campBefore.PaidCents+1000 || campAfter.RefundedCents != campBefore.RefundedCents+400 ||
		campAfter.DonorCount != campBefore.DonorCount || campAfter.DonationCount != campBefore.DonationCount {
		t.Fatalf("the campaign %+v, before %+v", campAfter, campBefore)
	}
	// Nothing is found any more; the record is under a keyed hash only.
	if again, err := store.Find(ctx, dynamo.Query{Email: email}); err != nil || len(again.Items) != 0 {
		t.Fatalf("found after erasure: %d items, %v", len(again.Items), err)
	}
	bare := sha256.Sum256([]byte(email))
	if left := traces(t, c, hex.EncodeToString(bare[:])); len(left) > 0 {
		t.Fatalf("a bare hash of the address is in the table: %v", left)
	}
	var recs int
	for _, it := range scanAll(t, c.env.DB(), c.table) {
		if dynamo.ItemType(it) == dynamo.TypeErasure {
			recs++
			if pk := it["pk"].(*types.AttributeValueMemberS).Value; pk != "ERASURE#"+dynamo.ErasureHash(eraseKey, email) {
				t.Errorf("erasure recorded under %s", pk)
			}
		}
	}
	if recs != 1 {
		t.Fatalf("%d erasure records", recs)
	}
	if dynamo.ErasureHash(eraseKey, email) == dynamo.ErasureHash([]byte("another key, just as long as the first"), email) {
		t.Fatal("the hash does not depend on the key")
	}
}

// TestFindReachesEverything: find reaches the person's portal links (by their Stripe
// customer), confirmation links, offline gifts by address or by a name in the note
// (their records' full names, or one staff give), emails about them, and the branches they
// organize, which refuse the erasure; it leaves alone another person whose address
// contains theirs, and notes that name only their first name.
func TestFindReachesEverything(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	const email = "ana@example.org"
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_find", Plan: "solidarity-annual", Kind: plan.KindSubscription, Email: email,
		FirstName: "Ána", LastName: "Roy", Status: subscription.StatusPending, CreatedAt: now}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	hook := webhook.Handler{Secret: "whsec_find", Ledger: store, Subscriptions: store, Plans: plan.Default()}
	for _, ev := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{Name: "Ána Roy", City: "Laval"}), now),
		localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", false), now.Add(time.Second)),
	} {
		if st := signedDelivery(hook, ev); st != 200 {
			t.Fatalf("webhook %d", st)
		}
	}
	_, portal := token.Mint(token.Portal, localpay.PlanCustomerID(sub), "fr", now, time.Hour)
	_, confirm := token.Mint(token.Confirm, email, "fr", now, time.Hour)
	_, other := token.Mint(token.Confirm, "diana@example.org", "fr", now, time.Hour)
	for _, tok := range []token.Token{portal, confirm, other} {
		if err := store.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	gifts := []dynamo.OfflineGift{
		{ID: "by-email", DonorEmail: email},
		{ID: "by-name", Note: "cheque from ANA ROY, thanks"},
		{ID: "by-email-in-note", Note: "e-transfer, reply to ana@example.org"},
		{ID: "by-given-name", Note: "from Nana R. at the picnic"},
		{ID: "first-name-only", Note: "Ana's cousin brought it"},
		{ID: "someone-else", Note: "from Diana Royer", DonorEmail: "diana@example.org"},
		{ID: "voided-by-name"},
	}
	for _, g := range gifts {
		g.Campaign, g.AmountCents, g.Method, g.ReceivedOn, g.RecordedAt = localdev.AppealSlug, 500, "cash", "2026-11-20", now
		if err := store.AddOfflineGift(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	// Why a gift was voided is staff's words too: a name there is found and erased.
	if _, err := store.VoidOfflineGift(ctx, "voided-by-name", localdev.AppealSlug, dynamo.Void{By: "treasurer",
		Reason: "recorded twice: Nana R. gave it once", At: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.RequestPortal(ctx, "organizer@example.org", outbox.Email{ID: "about_ana", Template: outbox.BranchNotice,
		Language: "fr", To: "organizer@example.org", Data: map[string]string{"member_email": email}}); err != nil {
		t.Fatal(err)
	}
	if err := store.PutBranches(ctx, []branch.Branch{{Slug: "laval", NameEN: "Laval", NameFR: "Laval",
		Organizers: []string{"someone@example.org", email}, Language: "fr"}}); err != nil {
		t.Fatal(err)
	}

	held, err := store.Find(ctx, dynamo.Query{Email: email, Names: []string{"Nana R"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range held.Items {
		pk, sk := f.Item["pk"].(*types.AttributeValueMemberS).Value, f.Item["sk"].(*types.AttributeValueMemberS).Value
		got[pk+" "+sk] = f.Matched + "/" + f.Action
	}
	want := map[string]string{
		"TOKEN#" + portal.Hash + " META":                                "stripe customer/delete",
		"TOKEN#" + confirm.Hash + " META":                               "email/delete",
		"CAMPAIGN#" + localdev.AppealSlug + " OFFLINE#by-email":         "email/anonymize",
		"CAMPAIGN#" + localdev.AppealSlug + " OFFLINE#by-name":          "name in note/anonymize",
		"CAMPAIGN#" + localdev.AppealSlug + " OFFLINE#by-email-in-note": "name in note/anonymize",
		"CAMPAIGN#" + localdev.AppealSlug + " OFFLINE#by-given-name":    "name in note/anonymize",
		"CAMPAIGN#" + localdev.AppealSlug + " OFFLINE#voided-by-name":   "name in note/anonymize",
		"EMAIL#about_ana META":                                          "email/delete",
		"BRANCH#laval META":                                             "email/refuse",
		"SUBSCRIPTION#subs_find META":                                   "email/anonymize",
		"CUSTOMER#" + localpay.PlanCustomerID(sub) + " SUB#subs_find":   "email/anonymize",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		_, listed := want[k]
		own := strings.HasPrefix(k, "PERSON#"+email+" ") && g == "person/delete" // their Stripe customer link
		sent := strings.HasPrefix(k, "EMAIL#plan_") && g == "email/delete"       // the subscription's emails
		if !listed && !own && !sent {
			t.Errorf("found %s (%s), which is not about the person", k, got[k])
		}
	}
	if len(held.Refusals) != 1 || held.Refusals[0].Kind != dynamo.RefuseOrganizer || held.Refusals[0].Name != "laval" {
		t.Fatalf("refusals %+v", held.Refusals)
	}
	if _, _, err := store.Erase(ctx, dynamo.Query{Email: email}, eraseKey); !errors.Is(err, dynamo.ErrRefused) {
		t.Fatalf("erasing a branch organizer: %v", err)
	}

	// Once the directory changed, the erasure reaches what find found, and only that.
	if err := store.PutBranches(ctx, []branch.Branch{{Slug: "laval", NameEN: "Laval", NameFR: "Laval",
		Organizers: []string{"someone@example.org"}, Language: "fr"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Erase(ctx, dynamo.Query{Email: email, Names: []string{"Nana R"}}, eraseKey); err != nil {
		t.Fatal(err)
	}
	if left := traces(t, c, email, "Ána", "cheque from", "reply to", "picnic", "gave it once"); len(left) > 0 {
		t.Fatalf("left: %v", left)
	}
	for _, w := range []string{"diana@example.org", "from Diana Royer", "Ana's cousin"} {
		if len(traces(t, c, w)) == 0 {
			t.Errorf("%q was erased with the person", w)
		}
	}
	if camp, _ := store.Campaign(ctx, localdev.AppealSlug); camp.OfflineCents != localdev.AppealOfflineCents+int64(len(gifts)-1)*500 { // one voided
		t.Fatalf("offline total %d", camp.OfflineCents)
	}
}

// TestRetentionTTLs: a pending donation or subscription carries the TTL until its first
// payment (or, for a monthly gift, its link to Stripe), then none; a sent email carries
// one SentRetention after it went out.
func TestRetentionTTLs(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ttl := func(pk string) (int64, bool) {
		t.Helper()
		out, err := c.env.DB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), ConsistentRead: aws.Bool(true),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
		if err != nil || out.Item == nil {
			t.Fatalf("%s: %v", pk, err)
		}
		n, ok := out.Item[dynamo.TTLAttribute].(*types.AttributeValueMemberN)
		if !ok {
			return 0, false
		}
		var v int64
		for _, ch := range n.Value {
			v = v*10 + int64(ch-'0')
		}
		return v, true
	}
	wantTTL := created.Add(dynamo.PendingRetention).Unix()
	once := donation.Donation{ID: "don_ttl_once", Campaign: localdev.AppealSlug, Currency: "cad", AmountCents: 500, ChargeCents: 500,
		Frequency: donation.Once, Email: "ttl@example.org", Status: donation.StatusPending, CreatedAt: created}
	monthly := once
	monthly.ID, monthly.Frequency = "don_ttl_monthly", donation.Monthly
	sub := subscription.Subscription{ID: "subs_ttl", Plan: "solidarity-annual", Kind: plan.KindSubscription, Email: "ttl@example.org",
		Status: subscription.StatusPending, CreatedAt: created}
	for _, d := range []donation.Donation{once, monthly} {
		if err := store.CreateDonation(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	for _, pk := range []string{"DONATION#" + once.ID, "DONATION#" + monthly.ID, "SUBSCRIPTION#" + sub.ID} {
		if got, ok := ttl(pk); !ok || got != wantTTL {
			t.Fatalf("pending %s expires at %d (%v), want %d", pk, got, ok, wantTTL)
		}
	}
	hook := webhook.Handler{Secret: "whsec_ttl", Ledger: store, Subscriptions: store, Plans: plan.Default()}
	for _, ev := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(once), created),
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(monthly), created),
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, nil), created),
	} {
		if st := signedDelivery(hook, ev); st != 200 {
			t.Fatalf("webhook %d", st)
		}
	}
	for _, pk := range []string{"DONATION#" + once.ID, "DONATION#" + monthly.ID, "SUBSCRIPTION#" + sub.ID} {
		if got, ok := ttl(pk); ok {
			t.Fatalf("live %s still expires at %d", pk, got)
		}
	}

	sent := time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)
	if err := store.MarkEmailSent(ctx, dynamo.EmailKey("receipt_pi_local_"+once.ID), "ses-1", sent); err != nil {
		t.Fatal(err)
	}
	if got, ok := ttl("EMAIL#receipt_pi_local_" + once.ID); !ok || got != sent.Add(dynamo.SentRetention).Unix() {
		t.Fatalf("sent email expires at %d (%v)", got, ok)
	}
}

func containsWord(s, w string) bool {
	word := func(b byte) bool {
		return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-' || b == '+' || b >= 0x80
	}
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || !word(s[j-1])) && (j+len(w) == len(s) || !word(s[j+len(w)])) {
			return true
		}
		i = j + 1
	}
}
