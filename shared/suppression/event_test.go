package suppression

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/contact"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func example(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit is SES's example name with its JSON changed by f.
func edit(t *testing.T, name string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(example(t, name), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func part(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }

func TestParse(t *testing.T) {
	const msgID = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
	const feedback = "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"
	seen := time.Date(2017, 8, 5, 0, 41, 2, 669_000_000, time.UTC)
	tests := []struct {
		name     string
		body     []byte
		typ      string
		suppress []Record
		foreign  int // recipients not among mail.destination, not suppressed
		bad      bool
	}{
		{name: "SES's permanent bounce suppresses its recipient", body: example(t, "bounce.json"), typ: "Bounce",
			suppress: []Record{{Address: "recipient@example.com", Reason: ReasonBounce, Detail: "Permanent/General",
				MessageID: msgID, FeedbackID: feedback, At: seen}}},
		{name: "SES's complaint suppresses its recipient", body: example(t, "complaint.json"), typ: "Complaint",
			suppress: []Record{{Address: "recipient@example.com", Reason: ReasonComplaint, Detail: "abuse",
				MessageID: msgID, FeedbackID: feedback, At: seen}}},
		{name: "a delivery asks for nothing", body: example(t, "delivery.json"), typ: "Delivery"},
		{name: "a transient bounce asks for nothing", typ: "Bounce", body: edit(t, "bounce.json", func(m map[string]any) {
			part(m, "bounce")["bounceType"], part(m, "bounce")["bounceSubType"] = "Transient", "MailboxFull"
		})},
		{name: "an undetermined bounce asks for nothing", typ: "Bounce", body: edit(t, "bounce.json", func(m map[string]any) {
			part(m, "bounce")["bounceType"] = "Undetermined"
		})},
		{name: "a not-spam feedback asks for nothing", typ: "Complaint", body: edit(t, "complaint.json", func(m map[string]any) {
			part(m, "complaint")["complaintFeedbackType"] = "not-spam"
		})},
		{name: "a complaint without a feedback type still suppresses", typ: "Complaint", body: edit(t, "complaint.json", func(m map[string]any) {
			delete(part(m, "complaint"), "complaintFeedbackType")
		}), suppress: []Record{{Address: "recipient@example.com", Reason: ReasonComplaint, MessageID: msgID, FeedbackID: feedback, At: seen}}},
		{name: "addresses are canonical, each once; an unreadable timestamp is now", typ: "Bounce",
			body: edit(t, "bounce.json", func(m map[string]any) {
				b := part(m, "bounce")
				b["timestamp"] = "yesterday"
				b["bouncedRecipients"] = []any{map[string]any{"emailAddress": " Ana.Roy@Example.ORG. "},
					map[string]any{"emailAddress": "ana.roy@example.org"}, map[string]any{"emailAddress": "bob@example.org"}}
				part(m, "mail")["destination"] = []any{"ana.roy@example.org", "bob@example.org"}
			}),
			suppress: []Record{
				{Address: "ana.roy@example.org", Reason: ReasonBounce, Detail: "Permanent/General", MessageID: msgID, FeedbackID: feedback, At: now},
				{Address: "bob@example.org", Reason: ReasonBounce, Detail: "Permanent/General", MessageID: msgID, FeedbackID: feedback, At: now},
			}},
		{name: "a bounce naming an address the message was not sent to suppresses nothing", typ: "Bounce", foreign: 1,
			body: edit(t, "bounce.json", func(m map[string]any) {
				part(m, "bounce")["bouncedRecipients"] = []any{map[string]any{"emailAddress": "victim@gmail.com"}}
			})},
		{name: "a complaint naming an address the message was not sent to suppresses nothing", typ: "Complaint", foreign: 1,
			body: edit(t, "complaint.json", func(m map[string]any) {
				part(m, "complaint")["complainedRecipients"] = []any{map[string]any{"emailAddress": "victim@gmail.com"}}
			})},
		{name: "of a mixed bounce, only the recipient the message was sent to is suppressed", typ: "Bounce", foreign: 2,
			body: edit(t, "bounce.json", func(m map[string]any) {
				part(m, "bounce")["bouncedRecipients"] = []any{map[string]any{"emailAddress": "victim@gmail.com"},
					map[string]any{"emailAddress": "recipient@example.com"}, map[string]any{"emailAddress": "other@example.org"}}
			}),
			suppress: []Record{{Address: "recipient@example.com", Reason: ReasonBounce, Detail: "Permanent/General",
				MessageID: msgID, FeedbackID: feedback, At: seen}}},
		{name: "recipient and destination compare canonically, a display name aside", typ: "Complaint",
			body: edit(t, "complaint.json", func(m map[string]any) {
				part(m, "mail")["destination"] = []any{"Ana Roy <Ana.Roy@EXAMPLE.org>", " bob@Example.org. "}
				part(m, "complaint")["complainedRecipients"] = []any{map[string]any{"emailAddress": "ana.roy@example.ORG."},
					map[string]any{"emailAddress": "BOB@example.org"}}
			}),
			suppress: []Record{
				{Address: "ana.roy@example.org", Reason: ReasonComplaint, Detail: "abuse", MessageID: msgID, FeedbackID: feedback, At: seen},
				{Address: "bob@example.org", Reason: ReasonComplaint, Detail: "abuse", MessageID: msgID, FeedbackID: feedback, At: seen},
			}},
		{name: "a similar address is not the destination", typ: "Bounce", foreign: 2,
			body: edit(t, "bounce.json", func(m map[string]any) {
				part(m, "bounce")["bouncedRecipients"] = []any{map[string]any{"emailAddress": "recipient+x@example.com"},
					map[string]any{"emailAddress": "recipient@example.com.evil.org"}}
			})},
		{name: "without mail.destination nothing is suppressed", typ: "Bounce", foreign: 1,
			body: edit(t, "bounce.json", func(m map[string]any) { delete(part(m, "mail"), "destination") })},
		{name: "an identity's feedback notification (notificationType) reads alike", typ: "Bounce",
			body: edit(t, "bounce.json", func(m map[string]any) {
				m["notificationType"] = m["eventType"]
				delete(m, "eventType")
			}),
			suppress: []Record{{Address: "recipient@example.com", Reason: ReasonBounce, Detail: "Permanent/General",
				MessageID: msgID, FeedbackID: feedback, At: seen}}},
		{name: "not JSON", body: []byte("recipient@example.com bounced"), bad: true},
		{name: "an SNS subscription confirmation", body: []byte(`{"Type":"SubscriptionConfirmation","Token":"x"}`), bad: true},
		{name: "no mail object", bad: true, body: edit(t, "bounce.json", func(m map[string]any) { delete(m, "mail") })},
		{name: "no message id", bad: true, body: edit(t, "bounce.json", func(m map[string]any) { delete(part(m, "mail"), "messageId") })},
		{name: "a bounce without its object", bad: true, body: edit(t, "bounce.json", func(m map[string]any) { delete(m, "bounce") })},
		{name: "a complaint without its object", bad: true, body: edit(t, "complaint.json", func(m map[string]any) { delete(m, "complaint") })},
		{name: "a permanent bounce without recipients", bad: true, body: edit(t, "bounce.json", func(m map[string]any) {
			part(m, "bounce")["bouncedRecipients"] = []any{}
		})},
		{name: "a recipient that is not an address", bad: true, body: edit(t, "complaint.json", func(m map[string]any) {
			part(m, "complaint")["complainedRecipients"] = []any{map[string]any{"emailAddress": "nobody"}}
		})},
		{name: "a recipient of the wrong JSON type", bad: true, body: edit(t, "bounce.json", func(m map[string]any) {
			part(m, "bounce")["bouncedRecipients"] = []any{map[string]any{"emailAddress": 7}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Parse(tt.body, now)
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err %v, want ErrMalformed", err)
				}
				if strings.Contains(err.Error(), "@") {
					t.Errorf("the error quotes the input: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Type != tt.typ || ev.MessageID != msgID || !reflect.DeepEqual(ev.Suppress, tt.suppress) || ev.Foreign != tt.foreign {
				t.Errorf("got %+v\nwant type %s, suppress %+v, foreign %d", ev, tt.typ, tt.suppress, tt.foreign)
			}
		})
	}
}

// FuzzSESEvent: whatever SNS delivers, Parse answers without panicking; what it asks to
// suppress is a canonical, plausible address with a reason, once each, from a bounce or
// a complaint, among the message's destinations; and its errors never quote the input.
func FuzzSESEvent(f *testing.F) {
	for _, name := range []string{"bounce.json", "complaint.json", "delivery.json"} {
		f.Add(example(f, name))
	}
	f.Add([]byte(`{"eventType":"Bounce","mail":{"messageId":"m","destination":["a@b.c"]},"bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"A@B.C"}]}}`))
	f.Add([]byte(`{"eventType":"Complaint","mail":{"messageId":"m","destination":["X <x@y>"]},"complaint":{"complainedRecipients":[{"emailAddress":"x@y"},{"emailAddress":"X@Y"},{"emailAddress":"z@y"}]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse(body, now)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			if strings.Contains(err.Error(), "@") { // what it says comes from the parser, never the input
				t.Fatalf("the error quotes the input: %v", err)
			}
			return
		}
		if len(ev.Suppress) > 0 && ev.Type != "Bounce" && ev.Type != "Complaint" {
			t.Fatalf("a %q event suppresses", ev.Type)
		}
		var raw struct {
			Mail struct{ Destination []string } `json:"mail"`
		}
		_ = json.Unmarshal(body, &raw) // Parse read it: it is an object with a mail object
		sentTo := destinations(raw.Mail.Destination)
		seen := map[string]bool{}
		for _, r := range ev.Suppress {
			if !sentTo[r.Address] {
				t.Fatalf("suppressed %q, which the message was not sent to (%q)", r.Address, raw.Mail.Destination)
			}
			if !plausible(r.Address) || r.Address != contact.CanonicalEmail(r.Address) || seen[r.Address] ||
				(r.Reason != ReasonBounce && r.Reason != ReasonComplaint) || r.MessageID == "" || r.At.IsZero() {
				t.Fatalf("suppression %+v", r)
			}
			seen[r.Address] = true
		}
	})
}
