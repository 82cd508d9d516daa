package staff

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
)

// TestMailFailed: `staff mail failed` lists the live table's emails that ended unsent,
// with SES's reason, and nothing else.
func TestMailFailed(t *testing.T) {
	ctx := context.Background()
	env := emulator.Get(t)
	db := env.DB()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ id, status, ended, reason string }{
		{"receipt_a", outbox.StatusFailed, "2026-11-02T10:00:00Z", "MessageRejected: Email address is not verified. (address withheld)"},
		{"receipt_b", outbox.StatusSuppressed, "2026-11-03T10:00:00Z", "the address is suppressed"},
		{"receipt_c", outbox.StatusSent, "", ""},
	} {
		it, err := dynamo.EmailItem(outbox.Email{ID: e.id, Template: outbox.DonationReceipt, Language: "en", To: e.id + "@example.org",
			Status: e.status, CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if e.ended != "" {
			it["ended_at"], it["end_reason"] = &types.AttributeValueMemberS{Value: e.ended}, &types.AttributeValueMemberS{Value: e.reason}
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	// Times in the machine's zone (cmd/staff: LocalZone), which the header names.
	if err := Run(ctx, dynamo.New(db, table), Sources{DB: db, Table: table, Zone: toronto(t)}, []string{"mail", "failed", "-from", "2026-11-01"}, &out); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffEnded (America/Toronto),Status,Email ID,Email kind,Email,Reason\n" +
		"2026-11-02 05:00 EST,failed,receipt_a,donation_receipt,receipt_a@example.org,MessageRejected: Email address is not verified. (address withheld)\n" +
		"2026-11-03 05:00 EST,suppressed,receipt_b,donation_receipt,receipt_b@example.org,the address is suppressed\n"
	if got := out.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(Usage, "staff mail failed") {
		t.Error("the help does not name mail failed")
	}
}
