package dynamo_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/suppression"
)

// putEnded writes an outbox email that ended with status at ended, with its reason and
// expiry.
func putEnded(t *testing.T, c counted, id, status, ended, reason string, expires time.Time) {
	t.Helper()
	it, err := dynamo.EmailItem(outbox.Email{ID: id, Template: outbox.DonationReceipt, Language: "en", To: id + "@example.org",
		Status: status, CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if ended != "" {
		it["ended_at"], it["end_reason"] = &types.AttributeValueMemberS{Value: ended}, &types.AttributeValueMemberS{Value: reason}
		it[dynamo.TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)}
	}
	if _, err := c.store.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: it}); err != nil {
		t.Fatal(err)
	}
}

// TestFailedEmailsAndReopen: FailedEmails finds the emails that ended failed since a
// day, not suppressed, sent or expired ones; ReopenEmail makes one pending again without
// its end or expiry, once, and leaves any other alone.
func TestFailedEmailsAndReopen(t *testing.T) {
	ctx := context.Background()
	c := newCounted(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	c.store.Now = func() time.Time { return now }
	later := now.Add(20 * 24 * time.Hour)
	putEnded(t, c, "failed_new", outbox.StatusFailed, "2026-11-10T09:00:00Z", "MessageRejected: Email address is not verified.", later)
	putEnded(t, c, "failed_old", outbox.StatusFailed, "2026-10-30T09:00:00Z", "MessageRejected: old", later)
	putEnded(t, c, "failed_expired", outbox.StatusFailed, "2026-11-11T09:00:00Z", "MessageRejected: gone", now.Add(-time.Hour))
	putEnded(t, c, "suppressed", outbox.StatusSuppressed, "2026-11-12T09:00:00Z", "the address is suppressed", later)
	putEnded(t, c, "sent", outbox.StatusSent, "", "", time.Time{})

	var got []dynamo.FailedEmail
	if err := c.store.FailedEmails(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), func(f dynamo.FailedEmail) error {
		got = append(got, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Email.ID != "failed_new" || got[0].Key != dynamo.EmailKey("failed_new") ||
		got[0].Reason != "MessageRejected: Email address is not verified." || !got[0].EndedAt.Equal(time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)) ||
		got[0].Email.To != "failed_new@example.org" {
		t.Fatalf("failed emails %+v", got)
	}

	for _, tt := range []struct {
		id   string
		want bool
	}{{"failed_new", true}, {"failed_new", false}, {"failed_expired", false}, {"suppressed", false}, {"sent", false}, {"never_written", false}} {
		if ok, err := c.store.ReopenEmail(ctx, dynamo.EmailKey(tt.id)); err != nil || ok != tt.want {
			t.Errorf("ReopenEmail(%s) = %v, %v; want %v", tt.id, ok, err, tt.want)
		}
	}
	out, err := c.store.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: dynamo.EmailKey("failed_new").Partition},
			"sk": &types.AttributeValueMemberS{Value: dynamo.EmailKey("failed_new").Sort}}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := out.Item["status"].(*types.AttributeValueMemberS); s == nil || s.Value != outbox.StatusPending {
		t.Errorf("reopened email %v", out.Item)
	}
	for _, a := range []string{"ended_at", "end_reason", dynamo.TTLAttribute} {
		if _, ok := out.Item[a]; ok {
			t.Errorf("the reopened email keeps its %s", a)
		}
	}
	for id, want := range map[string]string{"suppressed": outbox.StatusSuppressed, "failed_expired": outbox.StatusFailed} {
		o, err := c.store.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: dynamo.EmailKey(id).Partition},
				"sk": &types.AttributeValueMemberS{Value: dynamo.EmailKey(id).Sort}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := o.Item["status"].(*types.AttributeValueMemberS); s == nil || s.Value != want {
			t.Errorf("%s became %v", id, o.Item["status"])
		}
	}
}

// TestUnsuppress: an address's suppression is deleted, whatever the address's case, and
// reported; a second time there is none.
func TestUnsuppress(t *testing.T) {
	ctx := context.Background()
	c := newCounted(t)
	if wrote, err := c.store.Suppress(ctx, suppression.Record{Address: "ana@example.org", Reason: suppression.ReasonBounce,
		MessageID: "m", At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil || !wrote {
		t.Fatalf("suppress: %v %v", wrote, err)
	}
	for i, want := range []bool{true, false} {
		if had, err := c.store.Unsuppress(ctx, " Ana@Example.ORG "); err != nil || had != want {
			t.Errorf("Unsuppress #%d = %v, %v; want %v", i+1, had, err, want)
		}
	}
	if s, err := c.store.Suppressed(ctx, "ana@example.org"); err != nil || s {
		t.Errorf("still suppressed: %v %v", s, err)
	}
}
