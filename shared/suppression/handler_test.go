package suppression_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/suppression"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

var clock = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// snsEvent is SES's event notifications as Lambda receives them from the SNS topic: each
// the Message of one record, the whole as JSON on the wire.
func snsEvent(t *testing.T, bodies ...[]byte) events.SNSEvent {
	t.Helper()
	var ev events.SNSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SNSEventRecord{EventVersion: "1.0", EventSource: "aws:sns",
			EventSubscriptionArn: "arn:aws:sns:ca-central-1:123456789012:solidarity-ses-events:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
			SNS: events.SNSEntity{Type: "Notification", MessageID: "95df01b4-ee98-5cb9-9903-4c221d41eb5" + string(rune('a'+i)),
				TopicArn: "arn:aws:sns:ca-central-1:123456789012:solidarity-ses-events", Message: string(b),
				Timestamp: clock, SignatureVersion: "1"}})
	}
	wire, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var back events.SNSEvent
	if err := json.Unmarshal(wire, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func storeOn(t *testing.T) *dynamo.Store {
	t.Helper()
	env := emulator.Get(t)
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
		t.Fatal(err)
	}
	s := dynamo.New(env.DB(), table)
	s.Now = func() time.Time { return clock }
	return s
}

func item(t *testing.T, s *dynamo.Store, address string) map[string]types.AttributeValue {
	t.Helper()
	out, err := s.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.Table),
		Key: dynamo.SuppressionKey(address), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func text(it map[string]types.AttributeValue, name string) string {
	s, _ := it[name].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// TestBounceAndComplaintSuppressOnce: SES's bounce, through the handler, suppresses its
// recipient (whatever the case of the address); a redelivery and a later complaint for
// the same address change nothing; the item holds no address and no expiry.
func TestBounceAndComplaintSuppressOnce(t *testing.T) {
	ctx := context.Background()
	s := storeOn(t)
	h := suppression.Handler{Store: s, Now: func() time.Time { return clock }}
	if err := h.Handle(ctx, snsEvent(t, example(t, "bounce.json"))); err != nil {
		t.Fatal(err)
	}
	first := item(t, s, "Recipient@Example.com")
	if text(first, "type") != dynamo.TypeSuppression || text(first, "reason") != suppression.ReasonBounce ||
		text(first, "detail") != "Permanent/General" || text(first, "ses_message_id") != "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000" ||
		text(first, "at") != "2017-08-05T00:41:02.669Z" || text(first, "recorded_at") != "2026-11-27T12:00:00Z" {
		t.Fatalf("suppression item %v", first)
	}
	for name, v := range first {
		if s, ok := v.(*types.AttributeValueMemberS); ok && containsAddress(s.Value) {
			t.Errorf("the item's %s is %q", name, s.Value)
		}
	}
	if _, ok := first[dynamo.TTLAttribute]; ok {
		t.Error("a suppression expires")
	}
	// Redelivered, and then a complaint about the same address.
	if err := h.Handle(ctx, snsEvent(t, example(t, "bounce.json"), example(t, "complaint.json"))); err != nil {
		t.Fatal(err)
	}
	if again := item(t, s, "recipient@example.com"); !reflect.DeepEqual(again, first) {
		t.Errorf("a redelivered event changed the suppression:\n%v\n%v", first, again)
	}
	for address, want := range map[string]bool{"recipient@example.com": true, " RECIPIENT@example.com ": true, "other@example.com": false} {
		if got, err := s.Suppressed(ctx, address); err != nil || got != want {
			t.Errorf("Suppressed(%q) = %v, %v; want %v", address, got, err, want)
		}
	}
}

func TestComplaintSuppresses(t *testing.T) {
	ctx := context.Background()
	s := storeOn(t)
	h := suppression.Handler{Store: s, Now: func() time.Time { return clock }}
	if err := h.Handle(ctx, snsEvent(t, example(t, "complaint.json"))); err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "recipient@example.com"); text(it, "reason") != suppression.ReasonComplaint || text(it, "detail") != "abuse" {
		t.Fatalf("suppression item %v", it)
	}
}

// TestIgnoredAndMalformedAreAcknowledged: a delivery, a transient bounce and a message
// that is not an SES event write nothing and are acknowledged (SNS would only deliver
// them again, unchanged).
func TestIgnoredAndMalformedAreAcknowledged(t *testing.T) {
	s := storeOn(t)
	h := suppression.Handler{Store: s, Now: func() time.Time { return clock }}
	var transient map[string]any
	if err := json.Unmarshal(example(t, "bounce.json"), &transient); err != nil {
		t.Fatal(err)
	}
	transient["bounce"].(map[string]any)["bounceType"] = "Transient"
	soft, _ := json.Marshal(transient)
	err := h.Handle(context.Background(), snsEvent(t, example(t, "delivery.json"), soft, []byte(`{"eventType":`), []byte("recipient@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, s, "recipient@example.com"); it != nil {
		t.Fatalf("suppressed: %v", it)
	}
}

type failingStore struct{ calls int }

func (f *failingStore) Suppress(context.Context, suppression.Record) (bool, error) {
	f.calls++
	return false, errors.New("throttled")
}

// TestStoreErrorIsRetried: when the suppression cannot be written, the handler fails, so
// Lambda delivers the event again.
func TestStoreErrorIsRetried(t *testing.T) {
	f := &failingStore{}
	h := suppression.Handler{Store: f, Now: func() time.Time { return clock }}
	if err := h.Handle(context.Background(), snsEvent(t, example(t, "bounce.json"))); err == nil || f.calls != 1 {
		t.Fatalf("err %v after %d calls", err, f.calls)
	}
}

func containsAddress(s string) bool {
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '@' {
			return true
		}
	}
	return false
}

func withMsg(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// TestForeignRecipientIsNotSuppressed: a bounce report that names an address our
// message was not sent to (anyone who owns a mail domain can write one in answer to our
// message) suppresses only the message's own recipient, and is logged with
// alarm=ses_event_foreign_recipient, without the address.
func TestForeignRecipientIsNotSuppressed(t *testing.T) {
	ctx := context.Background()
	s := storeOn(t)
	h := suppression.Handler{Store: s, Now: func() time.Time { return clock }}
	var ev map[string]any
	if err := json.Unmarshal(example(t, "bounce.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["bounce"].(map[string]any)["bouncedRecipients"] = []any{map[string]any{"emailAddress": "victim@gmail.com"},
		map[string]any{"emailAddress": "Recipient@Example.com"}}
	forged, _ := json.Marshal(ev)
	lines := emulator.Logged(t, func() {
		if err := h.Handle(ctx, snsEvent(t, forged)); err != nil {
			t.Fatal(err)
		}
	})
	if it := item(t, s, "victim@gmail.com"); it != nil {
		t.Fatalf("the foreign recipient is suppressed: %v", it)
	}
	if it := item(t, s, "recipient@example.com"); text(it, "reason") != suppression.ReasonBounce {
		t.Fatalf("the message's own recipient is not suppressed: %v", it)
	}
	alarms := 0
	for _, l := range lines {
		if strings.Contains(strings.ToLower(mustJSON(t, l)), "victim") {
			t.Errorf("a log line names the foreign address: %v", l)
		}
		if l["alarm"] == "ses_event_foreign_recipient" {
			alarms++
			if l["event_type"] != "Bounce" || l["foreign"] != float64(1) {
				t.Errorf("alarm line %v", l)
			}
		}
	}
	if alarms != 1 {
		t.Errorf("%d alarm lines, want 1: %v", alarms, lines)
	}
}

// TestAddressSuppressedLoggedOncePerNewSuppression: each suppression written is one
// line msg="address suppressed" with its reason (the stack counts them per hour); a
// redelivered event, which writes nothing, logs none.
func TestAddressSuppressedLoggedOncePerNewSuppression(t *testing.T) {
	ctx := context.Background()
	s := storeOn(t)
	h := suppression.Handler{Store: s, Now: func() time.Time { return clock }}
	var ev map[string]any
	if err := json.Unmarshal(example(t, "complaint.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["mail"].(map[string]any)["destination"] = []any{"ana@example.org", "bob@example.org"}
	ev["complaint"].(map[string]any)["complainedRecipients"] = []any{map[string]any{"emailAddress": "ana@example.org"},
		map[string]any{"emailAddress": "bob@example.org"}}
	two, _ := json.Marshal(ev)
	first := emulator.Logged(t, func() {
		if err := h.Handle(ctx, snsEvent(t, two, example(t, "bounce.json"))); err != nil {
			t.Fatal(err)
		}
	})
	got := withMsg(first, "address suppressed")
	if len(got) != 3 {
		t.Fatalf("%d lines address suppressed, want 3: %v", len(got), first)
	}
	reasons := map[any]int{}
	for _, l := range got {
		reasons[l["reason"]]++
	}
	if reasons[suppression.ReasonComplaint] != 2 || reasons[suppression.ReasonBounce] != 1 {
		t.Errorf("reasons %v", reasons)
	}
	again := emulator.Logged(t, func() {
		if err := h.Handle(ctx, snsEvent(t, two, example(t, "bounce.json"))); err != nil {
			t.Fatal(err)
		}
	})
	if got := withMsg(again, "address suppressed"); len(got) != 0 {
		t.Errorf("a redelivery logged %v", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
