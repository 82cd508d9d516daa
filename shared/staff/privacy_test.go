package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() { emulator.Logs.Personal("Inès", "Gagnon") }

var testKey = []byte("a test erasure key of more than thirty-two bytes")

// privacyTable is a fresh table with a subscriber whose subscription Stripe still
// charges, and a run of the staff tool on it with the sources given.
func privacyTable(t *testing.T) (*dynamo.Store, func(src Sources, args ...string) (string, error), subscription.Subscription) {
	t.Helper()
	store, _ := onTable(t)
	ctx := context.Background()
	created := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_ines", Plan: "solidarity-monthly", Kind: plan.KindSubscription, Email: "ines@example.org",
		FirstName: "Inès", LastName: "Gagnon", Language: "fr", Status: subscription.StatusPending, CreatedAt: created}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	if err := store.ApplySubscriptionEvent(ctx, donation.Event{ID: "evt_ines_1", Type: subscription.Completed}, sub.ID,
		subscription.Change{EventID: "evt_ines_1", Type: subscription.Completed, Created: created.Unix(), StripeID: "sub_ines",
			CustomerID: "cus_ines", Shipping: &subscription.Shipping{Name: "Inès Gagnon", Line1: "3 rue Saint-Denis", City: "Montréal"}},
		plan.Default()); err != nil {
		t.Fatal(err)
	}
	run := func(src Sources, args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(ctx, store, src, args, &out)
		return out.String(), err
	}
	return store, run, sub
}

func withKey(src Sources) Sources {
	src.ErasureKey = func(context.Context) ([]byte, error) { return testKey, nil }
	return src
}

// TestPrivacyFindShape: find prints one JSON object whose fields are always there (empty
// lists, not null), each item with the same fields, and says what erasing would refuse.
func TestPrivacyFindShape(t *testing.T) {
	_, run, sub := privacyTable(t)
	type shape struct {
		Email     *string           `json:"email"`
		Names     *[]string         `json:"names_searched"`
		Customers *[]string         `json:"stripe_customers"`
		Items     *[]map[string]any `json:"items"`
		Refused   *[]map[string]any `json:"erase_refused_until"`
		NotReach  *[]string         `json:"not_reachable"`
	}
	for _, tt := range []struct {
		email             string
		items, refusals   int
		customers, traces bool
	}{
		{"nobody@example.org", 0, 0, false, false},
		{"INES@example.org", 3, 1, true, true},
	} {
		out, err := run(Sources{}, "privacy", "find", "-email", tt.email, "-json")
		if err != nil {
			t.Fatal(err)
		}
		var got shape
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v\n%s", tt.email, err, out)
		}
		if got.Email == nil || got.Names == nil || got.Customers == nil || got.Items == nil || got.Refused == nil || got.NotReach == nil {
			t.Fatalf("%s: a field is missing or null:\n%s", tt.email, out)
		}
		if len(*got.Items) < tt.items || len(*got.Refused) != tt.refusals || (len(*got.Customers) > 0) != tt.customers {
			t.Fatalf("%s: %d items, %d refusals, customers %v", tt.email, len(*got.Items), len(*got.Refused), *got.Customers)
		}
		for _, it := range *got.Items {
			for _, f := range []string{"pk", "sk", "type", "matched", "erase", "item"} {
				if _, ok := it[f]; !ok {
					t.Fatalf("an item without %q: %v", f, it)
				}
			}
		}
		if tt.refusals > 0 {
			r := (*got.Refused)[0]
			if r["kind"] != dynamo.RefuseSubscription || r["stripe_id"] != "sub_ines" || r["status"] != "active" || r["record_id"] != sub.ID ||
				!strings.Contains(r["what_to_do"].(string), "cancel") {
				t.Fatalf("refusal %v", r)
			}
		}
	}
	if _, err := run(Sources{}, "privacy", "find", "-email", "not-an-address"); !errors.Is(err, ErrUsage) {
		t.Fatalf("a bad address: %v", err)
	}
}

// TestPrivacyEraseRefuses: an erasure refuses, changing nothing, without the key (or
// with one too short), and while a subscription is not ended at Stripe — naming it, with
// what to do and why — or while the person organizes a branch.
func TestPrivacyEraseRefuses(t *testing.T) {
	store, run, sub := privacyTable(t)
	ctx := context.Background()
	erase := []string{"privacy", "erase", "-email", "ines@example.org", "-confirm"}
	for _, src := range []Sources{
		{},
		{ErasureKey: func(context.Context) ([]byte, error) { return []byte("too short"), nil }},
		{ErasureKey: func(context.Context) ([]byte, error) {
			return nil, errors.New("ERASURE_KEY or ERASURE_KEY_PARAM must be set")
		}},
	} {
		_, err := run(src, erase...)
		if err == nil || !strings.Contains(err.Error(), "nothing was erased") || !strings.Contains(err.Error(), "ERASURE_KEY_PARAM") {
			t.Fatalf("erase without a usable key: %v", err)
		}
	}
	_, err := run(withKey(Sources{}), erase...)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{"erasure refused, nothing was changed", "subscription solidarity-monthly", "record " + sub.ID,
		"Stripe sub_ines", "status active", "Stripe's dashboard", "customer portal", "run privacy erase again",
		"money decision", "the paper stops, dues lapse"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if s, err := store.Subscription(ctx, sub.ID); err != nil || s.FirstName != "Inès" || s.Shipping == nil || s.IsErased() {
		t.Fatalf("a refused erasure changed the record: %+v %v", s, err)
	}

	// Cancelled at Stripe, but organizing a branch: refused again, for that.
	if err := store.ApplySubscriptionEvent(ctx, donation.Event{ID: "evt_ines_2", Type: subscription.Deleted}, sub.ID,
		subscription.Change{EventID: "evt_ines_2", Type: subscription.Deleted, Created: sub.CreatedAt.Unix() + 60, StripeID: "sub_ines"},
		plan.Default()); err != nil {
		t.Fatal(err)
	}
	if err := store.PutBranches(ctx, []branch.Branch{{Slug: "plateau", NameEN: "Plateau", NameFR: "Plateau",
		Organizers: []string{"ines@example.org"}, Language: "fr"}}); err != nil {
		t.Fatal(err)
	}
	_, err = run(withKey(Sources{}), erase...)
	if err == nil || !strings.Contains(err.Error(), "organizer of branch plateau") || !strings.Contains(err.Error(), "branches import") ||
		strings.Contains(err.Error(), "Cancel each") {
		t.Fatalf("erase of an organizer: %v", err)
	}
}

// TestPrivacyEraseSaysWhatItCannotReach: a done erasure says what holds the person
// still — the exports for the days the stack keeps them, point-in-time recovery, Stripe's
// customer by id, the mail providers — and leaves nothing to find.
func TestPrivacyEraseSaysWhatItCannotReach(t *testing.T) {
	store, run, sub := privacyTable(t)
	ctx := context.Background()
	if err := store.ApplySubscriptionEvent(ctx, donation.Event{ID: "evt_ines_3", Type: subscription.Deleted}, sub.ID,
		subscription.Change{EventID: "evt_ines_3", Type: subscription.Deleted, Created: sub.CreatedAt.Unix() + 60, StripeID: "sub_ines"},
		plan.Default()); err != nil {
		t.Fatal(err)
	}
	out, err := run(withKey(Sources{ExportRetentionDays: 14}), "privacy", "erase", "-email", "ines@example.org", "-confirm")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"erased:", "kept without identity", "keyed hash", "14 days after each export",
		"point-in-time recovery keeps 35 days", "customer cus_ines", "SES"} {
		if !strings.Contains(out, want) {
			t.Errorf("the erasure does not say %q:\n%s", want, out)
		}
	}
	held, err := store.Find(ctx, dynamo.Query{Email: "ines@example.org", Names: []string{"Inès Gagnon"}})
	if err != nil || len(held.Items) != 0 {
		t.Fatalf("found after the erasure: %d items %v", len(held.Items), err)
	}
	if s, _ := store.Subscription(ctx, sub.ID); !s.Erased || s.Shipping != nil || s.FirstName != "" {
		t.Fatalf("the record keeps its identity: %+v", s)
	}
}

// TestPrivacyEraseWaitsForOpenCheckout: while a subscription's Checkout can still be
// paid, erasing refuses, naming it and saying when erasing will be possible (in staff's
// local time, and in how many hours, by the store's clock), and find says to wait; a day
// and an hour after it opened, the erasure goes through.
func TestPrivacyEraseWaitsForOpenCheckout(t *testing.T) {
	store, _ := onTable(t)
	ctx := context.Background()
	created := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_open", Plan: "solidarity-monthly", Kind: plan.KindSubscription, Email: "ines@example.org",
		FirstName: "Inès", LastName: "Gagnon", Language: "fr", Status: subscription.StatusPending, CreatedAt: created}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	run := func(now time.Time, args ...string) (string, error) {
		at := *store
		at.Now = func() time.Time { return now }
		var out bytes.Buffer
		err := Run(ctx, &at, withKey(Sources{}), args, &out)
		return out.String(), err
	}
	until := created.Add(24*time.Hour + 15*time.Minute)
	_, err := run(created.Add(2*time.Hour), "privacy", "erase", "-email", "ines@example.org", "-confirm")
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{"erasure refused, nothing was changed",
		"subscription solidarity-monthly (record subs_open, status pending), whose Checkout, opened " + LocalTime(created) + ", can still be paid",
		"erasing is possible after " + LocalTime(until) + ", in 23 hours",
		"run privacy erase again after " + LocalTime(until) + " (staff's local time), in 23 hours",
		"Stripe ends a Checkout 24 hours after it opens"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "Cancel each") {
		t.Errorf("the refusal asks to cancel a subscription that does not exist yet:\n%s", msg)
	}
	if s, err := store.Subscription(ctx, sub.ID); err != nil || s.FirstName != "Inès" || s.IsErased() {
		t.Fatalf("a refused erasure changed the record: %+v %v", s, err)
	}
	out, err := run(until.Add(-30*time.Minute), "privacy", "find", "-format", "json", "ines@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var found struct {
		Refused []map[string]any `json:"erase_refused_until"`
	}
	if err := json.Unmarshal([]byte(out), &found); err != nil || len(found.Refused) != 1 {
		t.Fatalf("find: %v\n%s", err, out)
	}
	if r := found.Refused[0]; r["erasable_after"] != until.Format(time.RFC3339) || r["checkout_opened_at"] != created.Format(time.RFC3339) ||
		!strings.HasPrefix(r["what_to_do"].(string), "wait") || !strings.Contains(r["what_to_do"].(string), "in 30 minutes") {
		t.Fatalf("refusal %v", r)
	}

	if out, err := run(created.Add(25*time.Hour), "privacy", "erase", "-email", "ines@example.org", "-confirm"); err != nil || !strings.Contains(out, "erased:") {
		t.Fatalf("erase once the Checkout closed: %v\n%s", err, out)
	}
	if s, err := store.Subscription(ctx, sub.ID); err != nil || !s.IsErased() || s.FirstName != "" {
		t.Fatalf("the record after the erasure: %+v %v", s, err)
	}
}

func TestInHours(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "in 1 minute"}, {30 * time.Second, "in 1 minute"}, {90 * time.Second, "in 2 minutes"}, {59 * time.Minute, "in 59 minutes"},
		{time.Hour, "in 1 hour"}, {time.Hour + time.Second, "in 2 hours"}, {22*time.Hour + 15*time.Minute, "in 23 hours"},
	} {
		if got := inHours(tt.d); got != tt.want {
			t.Errorf("inHours(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// TestIncompleteMessage: an erasure that left something says what, and what to do.
func TestIncompleteMessage(t *testing.T) {
	item := func(pk, sk, typ string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk},
			"type": &types.AttributeValueMemberS{Value: typ}}
	}
	msg := IncompleteMessage("ines@example.org", &dynamo.IncompleteError{Passes: 3, Left: dynamo.Held{Items: []dynamo.Found{
		{Item: item("EMAIL#x", "META", "email"), Matched: "email", Action: dynamo.ActionDelete}}}})
	for _, want := range []string{"erasure incomplete", "after 3 passes", "items of theirs (1)", "email EMAIL#x META (email)", "Run privacy erase again", "ask the developers"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q not in:\n%s", want, msg)
		}
	}
}
