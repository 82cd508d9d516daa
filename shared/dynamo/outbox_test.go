package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// TestOutboxClaims: the mailer's writes, one call each — a claim is taken once, taken
// again by its own claimant, refused to another until it goes stale, given up only by
// its claimant, and an email marked sent is reported sent, not held.
func TestOutboxClaims(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	e := outbox.Email{ID: "portal_claims", Template: outbox.PortalLink, Language: "en", To: "claims@example.org"}
	if sent, err := store.RequestPortal(ctx, e.To, e); err != nil || !sent {
		t.Fatalf("write email: %v %v", sent, err)
	}
	k := dynamo.EmailKey(e.ID)
	now := time.Now()
	claim := func(who string, at time.Time) outbox.ClaimOutcome {
		t.Helper()
		got, err := store.ClaimEmail(ctx, k, who, at, at.Add(-5*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	c.reset()
	steps := []struct {
		what string
		do   func() outbox.ClaimOutcome
		want outbox.ClaimOutcome
	}{
		{"a pending email", func() outbox.ClaimOutcome { return claim("a", now) }, outbox.ClaimTaken},
		{"its claimant again", func() outbox.ClaimOutcome { return claim("a", now) }, outbox.ClaimTaken},
		{"another claimant", func() outbox.ClaimOutcome { return claim("b", now) }, outbox.ClaimHeld},
		{"another, after another's release", func() outbox.ClaimOutcome {
			if err := store.ReleaseEmail(ctx, k, "b"); err != nil { // not b's: left alone
				t.Fatal(err)
			}
			return claim("b", now)
		}, outbox.ClaimHeld},
		{"another, once the claim is stale", func() outbox.ClaimOutcome { return claim("b", now.Add(6*time.Minute)) }, outbox.ClaimTaken},
		{"the first, after the second's release", func() outbox.ClaimOutcome {
			if err := store.ReleaseEmail(ctx, k, "b"); err != nil {
				t.Fatal(err)
			}
			return claim("a", now)
		}, outbox.ClaimTaken},
		{"anyone, once sent", func() outbox.ClaimOutcome {
			if err := store.MarkEmailSent(ctx, k, "ses-1", now); err != nil {
				t.Fatal(err)
			}
			return claim("a", now)
		}, outbox.ClaimSent},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("claim of %s: %v, want %v", s.what, got, s.want)
		}
	}
	c.expect(t, "mailer: claims, releases, mark sent", map[string]int{"UpdateItem": 10})

	var owed []string
	if err := store.OwedEmails(ctx, now.Add(time.Hour), func(_ outbox.Key, e outbox.Email) error {
		owed = append(owed, e.ID)
		return nil
	}); err != nil || len(owed) != 0 {
		t.Fatalf("owed after sending: %v %v", owed, err)
	}

	raw, tok := token.Mint(token.Confirm, e.To, "en", now, time.Hour)
	if err := store.PutToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := store.PutToken(ctx, tok); err == nil {
		t.Fatal("a token was stored twice under one hash")
	}
	if got, err := store.Token(ctx, token.Hash(raw)); err != nil || got.Subject != e.To {
		t.Fatalf("token %+v %v", got, err)
	}
}

// TestEmailFromImage: the stream's images of outbox emails decode with their key; other
// items are skipped.
func TestEmailFromImage(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"pk": events.NewStringAttribute("EMAIL#receipt_pi_1"), "sk": events.NewStringAttribute("META"),
		"type": events.NewStringAttribute("email"), "id": events.NewStringAttribute("receipt_pi_1"),
		"template": events.NewStringAttribute(outbox.DonationReceipt), "to": events.NewStringAttribute("a@example.org"),
		"status": events.NewStringAttribute(outbox.StatusPending), "attempts": events.NewNumberAttribute("0"),
	}
	store := dynamo.New(nil, "unused") // decoding reads no table
	k, e, ok, err := store.EmailFromImage(img)
	if err != nil || !ok || e.ID != "receipt_pi_1" || e.To != "a@example.org" || k != dynamo.EmailKey("receipt_pi_1") {
		t.Fatalf("%v %+v %v %v", k, e, ok, err)
	}
	img["type"] = events.NewStringAttribute("donation")
	if _, _, ok, err := store.EmailFromImage(img); ok || err != nil {
		t.Fatalf("a donation decoded as an email: %v %v", ok, err)
	}
	if _, _, ok, err := store.EmailFromImage(map[string]events.DynamoDBAttributeValue{}); ok || err != nil {
		t.Fatalf("an empty image: %v %v", ok, err)
	}
}

// TestRateCounterAndExportRecord: a window counts up to its limit, then refuses without
// counting; an export's record is kept under its day, typed for readers of the table.
func TestRateCounterAndExportRecord(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, true, false, false} {
		got, err := store.Hit(ctx, "abc123", start, 2, start.Add(2*time.Hour))
		if err != nil || got != want {
			t.Fatalf("hit %d: %v %v, want %v", i+1, got, err, want)
		}
	}
	if got, err := store.Hit(ctx, "abc123", start.Add(time.Hour), 2, start.Add(3*time.Hour)); err != nil || !got {
		t.Fatalf("next window: %v %v", got, err)
	}
	// A hit the SDK sends again, its first answer lost, counts once: allowed, then the
	// window holds its one hit.
	retried := start.Add(2 * time.Hour)
	for i := 0; i < 2; i++ {
		if got, err := dynamo.HitNamed(store, ctx, "abc123", retried, 2, retried.Add(time.Hour), "hit_same"); err != nil || !got {
			t.Fatalf("try %d of one hit: %v %v", i+1, got, err)
		}
	}
	for i, want := range []bool{true, false} {
		if got, err := store.Hit(ctx, "abc123", retried, 2, retried.Add(time.Hour)); err != nil || got != want {
			t.Fatalf("hit %d after the retried one: %v %v, want %v", i+2, got, err, want)
		}
	}
	c.expect(t, "rate limit: hits", map[string]int{"UpdateItem": 9, "GetItem": 4})

	type record struct {
		ARN    string `dynamodbav:"export_arn,omitempty"`
		Status string `dynamodbav:"status"`
	}
	day := start.Add(13 * time.Hour).In(time.FixedZone("EST", -5*3600)) // 2026-11-28 in UTC
	var got record
	if found, err := store.ExportRecord(ctx, day, &got); err != nil || found {
		t.Fatalf("a record before any claim: %v %v", found, err)
	}
	if err := store.RecordExport(ctx, day, "arn:export/1", "IN_PROGRESS"); err == nil {
		t.Fatal("an export recorded without a claim")
	}
	for i, status := range []string{"first", "second"} {
		if claimed, err := store.ClaimExport(ctx, day, record{Status: status}); err != nil || claimed != (i == 0) {
			t.Fatalf("claim %d: %v %v", i+1, claimed, err)
		}
	}
	if found, err := store.ExportRecord(ctx, day, &got); err != nil || !found || got != (record{Status: "first"}) {
		t.Fatalf("the second claim of the day changed the first: %+v %v %v", got, found, err)
	}
	for _, arn := range []string{"arn:export/1", "arn:export/1"} { // a retry records the same ARN again
		if err := store.RecordExport(ctx, day, arn, "IN_PROGRESS"); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.RecordExport(ctx, day, "arn:export/2", "IN_PROGRESS"); err == nil {
		t.Fatal("a second export replaced the day's")
	}
	if found, err := store.ExportRecord(ctx, day, &got); err != nil || !found || got != (record{"arn:export/1", "IN_PROGRESS"}) {
		t.Fatalf("the day's record: %+v %v %v", got, found, err)
	}
	c.expect(t, "export: claim and record", map[string]int{"GetItem": 3, "PutItem": 2, "UpdateItem": 4})
	out, err := c.env.DB().Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(c.table)})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range out.Items {
		kinds[dynamo.ItemType(it)]++
		if pk, _ := it["pk"].(*types.AttributeValueMemberS); dynamo.ItemType(it) == dynamo.TypeExport && pk.Value != "EXPORT#2026-11-28" {
			t.Errorf("export recorded under %s, want its UTC day", pk.Value)
		}
	}
	if kinds[dynamo.TypeRateLimit] != 3 || kinds[dynamo.TypeExport] != 1 {
		t.Fatalf("items by type: %v", kinds)
	}
}

// TestMarkSentAfterErasure: an email erased while it was being sent is not written back
// as a husk when the send completes, and that is not an error.
func TestMarkSentAfterErasure(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	e := outbox.Email{ID: "portal_erased_mid_send", Template: outbox.PortalLink, Language: "en", To: "erased.mid.send@example.org"}
	if sent, err := store.RequestPortal(ctx, e.To, e); err != nil || !sent {
		t.Fatalf("write email: %v %v", sent, err)
	}
	k := dynamo.EmailKey(e.ID)
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	if got, err := store.ClaimEmail(ctx, k, "a", at, at.Add(-5*time.Minute)); err != nil || got != outbox.ClaimTaken {
		t.Fatalf("claim: %v %v", got, err)
	}
	if _, err := store.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(store.Table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k.Partition}, "sk": &types.AttributeValueMemberS{Value: k.Sort}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkEmailSent(ctx, k, "ses-1", at); err != nil {
		t.Fatalf("mark sent after erasure: %v", err)
	}
	out, err := store.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(store.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k.Partition}, "sk": &types.AttributeValueMemberS{Value: k.Sort}}})
	if err != nil || len(out.Item) != 0 {
		t.Fatalf("the erased email came back: %v %v", out.Item, err)
	}
}
