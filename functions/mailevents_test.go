package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// TestMailEventsUnderTheEmulator: the mail-events bootstrap, fed SNS deliveries of SES's
// own example events, ignores a delivery and suppresses a bounced address; the mailer's
// bootstrap then marks an email to that address suppressed and sends nothing.
func TestMailEventsUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	bins := bootstraps(t)
	ctx := context.Background()
	const to = "bounced.rie@example.org"
	events := startRIE(t, filepath.Join(bins, "mail-events", "bootstrap"), s.vars)
	if out := events.invoke(t, recorded(t, "ses-delivery-sns.json")); string(bytes.TrimSpace(out)) != "null" {
		t.Fatalf("a delivery event: %s", out)
	}

	// SES's example bounce, to the test's address, in the recorded SNS delivery.
	bounce, err := os.ReadFile(filepath.Join(emulator.Root(), "shared", "suppression", "testdata", "bounce.json"))
	if err != nil {
		t.Fatal(err)
	}
	bounce = bytes.ReplaceAll(bounce, []byte("recipient@example.com"), []byte(to))
	var sns map[string]any
	if err := json.Unmarshal(recorded(t, "ses-delivery-sns.json"), &sns); err != nil {
		t.Fatal(err)
	}
	sns["Records"].([]any)[0].(map[string]any)["Sns"].(map[string]any)["Message"] = string(bounce)
	delivery, _ := json.Marshal(sns)
	for i := 0; i < 2; i++ { // SNS may deliver twice
		if out := events.invoke(t, delivery); string(bytes.TrimSpace(out)) != "null" {
			t.Fatalf("a bounce event: %s", out)
		}
	}
	store := dynamo.New(s.env.DB(), s.table)
	if ok, err := store.Suppressed(ctx, to); err != nil || !ok {
		t.Fatalf("suppressed %v %v", ok, err)
	}

	// The mailer, fed an outbox email to that address.
	raw := bytes.ReplaceAll(recorded(t, "outbox-stream.json"), []byte("stream.rie@example.org"), []byte(to))
	raw = bytes.ReplaceAll(raw, []byte("receipt_pi_rie_1"), []byte("receipt_pi_rie_bounced"))
	var stream struct {
		Records []struct {
			Dynamodb struct {
				NewImage json.RawMessage
			} `json:"dynamodb"`
		}
	}
	if err := json.Unmarshal(raw, &stream); err != nil {
		t.Fatal(err)
	}
	putOutboxItem(t, s, stream.Records[0].Dynamodb.NewImage)
	var batch struct {
		BatchItemFailures []any `json:"batchItemFailures"`
	}
	mailer := startRIE(t, filepath.Join(bins, "mailer", "bootstrap"), s.vars)
	if err := json.Unmarshal(mailer.invoke(t, raw), &batch); err != nil || len(batch.BatchItemFailures) != 0 {
		t.Fatalf("mailer: %+v %v", batch, err)
	}
	if n := len(s.env.SentEmails(t, to)); n != 0 {
		t.Fatalf("%d emails sent to a suppressed address", n)
	}
	out, err := s.env.DB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EMAIL#receipt_pi_rie_bounced"},
			"sk": &types.AttributeValueMemberS{Value: "META"}}})
	if st, _ := out.Item["status"].(*types.AttributeValueMemberS); err != nil || st == nil || st.Value != "suppressed" {
		t.Fatalf("email %v %v", out.Item, err)
	}
}
