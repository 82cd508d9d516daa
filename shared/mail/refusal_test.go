package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/suppression"
)

// sdkError is err as the SDK returns it from SendEmail.
func sdkError(err error) error {
	return fmt.Errorf("ses send: %w", &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: err})
}

func TestRefused(t *testing.T) {
	const from = "Solidarity <appeal@solidarity.example>"
	generic := func(code, msg string) error { return sdkError(&smithy.GenericAPIError{Code: code, Message: msg}) }
	tests := []struct {
		name   string
		err    error
		reason string // "" for an error worth retrying
	}{
		{"the sandbox refuses an unverified recipient",
			sdkError(&sestypes.MessageRejected{Message: aws.String("Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: Ana@Example.org")}),
			"MessageRejected: Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: (address withheld)"},
		{"a message rejected for its content", sdkError(&sestypes.MessageRejected{Message: aws.String("Illegal header")}), "MessageRejected: Illegal header"},
		{"a malformed address", sdkError(&sestypes.BadRequestException{Message: aws.String("Missing final '@domain'")}),
			"BadRequestException: Missing final '@domain'"},
		{"SES v1's name for a bad parameter", generic("InvalidParameterValue", "Local address contains control or whitespace"),
			"InvalidParameterValue: Local address contains control or whitespace"},
		{"a rejection without a message", generic("MessageRejected", ""), "MessageRejected"},
		{"an empty recipient", sdkError(&sestypes.BadRequestException{Message: aws.String("Invalid email address .")}),
			"BadRequestException: Invalid email address ."},
		{"a recipient's domain SES cannot read", sdkError(&sestypes.BadRequestException{Message: aws.String("Domain contains illegal character")}),
			"BadRequestException: Domain contains illegal character"},
		{"a local part with a space", sdkError(&sestypes.BadRequestException{Message: aws.String("Local address contains control or whitespace")}),
			"BadRequestException: Local address contains control or whitespace"},
		{"no local name", generic("BadRequestException", "Missing local name"), "BadRequestException: Missing local name"},
		{"a bad request naming the destination", generic("BadRequestException", "Destination address is invalid"),
			"BadRequestException: Destination address is invalid"},
		{"a bad tag is the code's, for every email", sdkError(&sestypes.BadRequestException{Message: aws.String("Invalid tag value <event:id>: only alphanumeric ASCII characters, '_', and '-' are allowed.")}), ""},
		{"SES v1's bad tag", generic("InvalidParameterValue", "Invalid tag name <a b>: only alphanumeric ASCII characters, '_', and '-' are allowed."), ""},
		{"a bad header", generic("BadRequestException", "Illegal header name: X Bad"), ""},
		{"a bad configuration set name", generic("BadRequestException", "Configuration set name is invalid"), ""},
		{"content too large", generic("BadRequestException", "Message length is more than 10485760 bytes long."), ""},
		{"a bad request without a message", generic("BadRequestException", ""), ""},
		{"a bad request about the sender's own address", generic("BadRequestException", "Invalid email address appeal@solidarity.example"), ""},
		{"the sender's identity unverified is the deployment's fault",
			sdkError(&sestypes.MessageRejected{Message: aws.String("Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: APPEAL@solidarity.example")}), ""},
		{"moto's word for an unverified sender", generic("MessageRejected", "Email address not verified appeal@solidarity.example"), ""},
		{"access denied (the IAM policy, fixed and redriven)", generic("AccessDeniedException", "User is not authorized to perform ses:SendEmail on identity/ana@example.org"), ""},
		{"the account suspended", sdkError(&sestypes.AccountSuspendedException{Message: aws.String("suspended")}), ""},
		{"sending paused", sdkError(&sestypes.SendingPausedException{Message: aws.String("paused")}), ""},
		{"the sender's MAIL FROM domain unverified", sdkError(&sestypes.MailFromDomainNotVerifiedException{Message: aws.String("x")}), ""},
		{"the configuration set missing", sdkError(&sestypes.NotFoundException{Message: aws.String("Configuration set does not exist")}), ""},
		{"throttled", sdkError(&sestypes.TooManyRequestsException{Message: aws.String("slow down")}), ""},
		{"over the sending limit", sdkError(&sestypes.LimitExceededException{Message: aws.String("daily quota")}), ""},
		{"SES's internal failure", generic("InternalFailure", "oops"), ""},
		{"unavailable", generic("ServiceUnavailable", ""), ""},
		{"a network error", fmt.Errorf("ses send: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), ""},
		{"a timeout", fmt.Errorf("ses send: %w", context.DeadlineExceeded), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := refused(tt.err, from)
			switch {
			case tt.reason == "" && r != nil:
				t.Fatalf("permanent (%q), want retried", r.reason)
			case tt.reason != "" && r == nil:
				t.Fatal("retried, want permanent")
			case r != nil && r.reason != tt.reason:
				t.Fatalf("reason %q, want %q", r.reason, tt.reason)
			case r != nil && !errors.Is(r, tt.err) && !strings.Contains(r.Error(), tt.reason):
				t.Fatalf("the refusal lost its cause: %v", r)
			}
		})
	}

	t.Run("a long message is cut on a character boundary", func(t *testing.T) {
		r := refused(generic("MessageRejected", strings.Repeat("é", 300)), from)
		if r == nil || len(r.reason) > maxReason+len("…") || !strings.HasSuffix(r.reason, "…") || !strings.HasPrefix(r.reason, "MessageRejected: éé") {
			t.Fatalf("%+v", r)
		}
		if !strings.HasPrefix(strings.TrimSuffix(r.reason, "…"), "MessageRejected") || !json.Valid([]byte(fmt.Sprintf("%q", r.reason))) {
			t.Fatalf("%q", r.reason)
		}
	})
}

func TestMalformed(t *testing.T) {
	for to, bad := range map[string]bool{
		"ana@example.org": false, "Ana.Roy+don@example.org": false, "élise@exemple.québec": false,
		"": true, "ana": true, "ana@": true, "@example.org": true, "ana@@example.org": true, "ana roy@example.org": true,
	} {
		if got := malformed(to) != nil; got != bad {
			t.Errorf("malformed(%q) = %v, want %v", to, got, bad)
		}
	}
}

// throughFaults is m with its SES calls going through a fault proxy in front of moto.
func throughFaults(t *testing.T, m Mailer) (Mailer, *faults.Proxy) {
	t.Helper()
	env := emulator.Get(t)
	proxy, err := faults.New(env.Moto.URL, faults.Rates{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	m.SES = sesv2.NewFromConfig(emulator.AWSConfig(srv.URL))
	return m, proxy
}

func emailItem(t *testing.T, m Mailer, id string) map[string]types.AttributeValue {
	t.Helper()
	store := m.Outbox.(*dynamo.Store)
	out, err := store.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(store.Table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EMAIL#" + id}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func attr(it map[string]types.AttributeValue, name string) string {
	switch v := it[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	}
	return ""
}

// TestPermanentRefusalEndsFailed: SES refuses an unverified recipient (the sandbox's
// MessageRejected, through the fault proxy in front of moto): the email ends "failed"
// with SES's reason, addresses withheld; the record is acknowledged (no retry, so no
// dead letter); one line says alarm=email_failed with the email's key and template and
// no address; a redelivery and a redrive send nothing.
func TestPermanentRefusalEndsFailed(t *testing.T) {
	e := receipt("en", "once")
	e.To, e.ID = "sandboxed@example.org", "receipt_sandboxed"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	m, proxy := throughFaults(t, m)
	proxy.Unverified(e.To)
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m.Now = func() time.Time { return at }
	var res events.DynamoDBEventResponse
	lines := emulator.Logged(t, func() {
		var err error
		if res, err = m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil {
			t.Fatal(err)
		}
	})
	if len(res.BatchItemFailures) != 0 {
		t.Fatalf("a permanent refusal is retried: %+v", res.BatchItemFailures)
	}
	it := emailItem(t, m, e.ID)
	want := "MessageRejected: Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: (address withheld)"
	if attr(it, "status") != outbox.StatusFailed || attr(it, "end_reason") != want || attr(it, "ended_at") != "2026-11-27T12:00:00Z" ||
		attr(it, "claimant") != "" || attr(it, dynamo.TTLAttribute) != fmt.Sprint(at.Add(dynamo.SentRetention).Unix()) {
		t.Fatalf("email item %v", it)
	}
	var alarms []map[string]any
	for _, l := range lines {
		if l["alarm"] == "email_failed" {
			alarms = append(alarms, l)
		}
		for k, v := range l {
			if s, _ := v.(string); strings.Contains(s, "@") {
				t.Errorf("log line's %s holds an address: %v", k, l)
			}
		}
	}
	if len(alarms) != 1 || alarms[0]["pk"] != "EMAIL#"+e.ID || alarms[0]["sk"] != "META" || alarms[0]["template"] != outbox.DonationReceipt ||
		alarms[0]["level"] != "ERROR" {
		t.Fatalf("alarm lines %v (all: %v)", alarms, lines)
	}

	rec.EventID = "a-redelivery"
	if res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: %v %+v", err, res)
	}
	if r, err := m.Redrive(context.Background(), 0); err != nil || r != (Redriven{}) {
		t.Fatalf("a redrive took the failed email up: %+v %v", r, err)
	}
	if n := len(emulator.Get(t).SentEmails(t, e.To)); n != 0 {
		t.Fatalf("%d sent", n)
	}
	if got := attr(emailItem(t, m, e.ID), "status"); got != outbox.StatusFailed {
		t.Fatalf("status %s", got)
	}
}

// TestTransientRefusalIsRetried: an SES outage (503, through the fault proxy) is
// reported for the stream to retry, the email pending; once SES is back, the retry sends
// it, once.
func TestTransientRefusalIsRetried(t *testing.T) {
	e := receipt("en", "once")
	e.To, e.ID = "outage@example.org", "receipt_outage"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	m, proxy := throughFaults(t, m)
	proxy.On()
	proxy.SESOutage(true)
	res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	if err != nil || len(res.BatchItemFailures) != 1 {
		t.Fatalf("an outage was acknowledged: %v %+v", err, res)
	}
	if got := status(t, m, e.ID); got != outbox.StatusPending {
		t.Fatalf("status %s, want pending", got)
	}
	proxy.SESOutage(false)
	proxy.Off()
	if res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("retry: %v %+v", err, res)
	}
	if n := len(emulator.Get(t).SentEmails(t, e.To)); n != 1 || status(t, m, e.ID) != outbox.StatusSent {
		t.Fatalf("%d sent, status %s", n, status(t, m, e.ID))
	}
}

// TestSuppressedAddressIsNotMailed: an email to a suppressed address (any case) ends
// "suppressed", unsent and acknowledged, with no alarm; a redrive leaves it.
func TestSuppressedAddressIsNotMailed(t *testing.T) {
	e := receipt("fr", "once")
	e.To, e.ID = "Bounced@Example.org", "receipt_bounced"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	store := m.Outbox.(*dynamo.Store)
	if _, err := store.Suppress(context.Background(), suppression.Record{Address: "bounced@example.org", Reason: suppression.ReasonBounce,
		MessageID: "ses-1", At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	var res events.DynamoDBEventResponse
	lines := emulator.Logged(t, func() {
		var err error
		if res, err = m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil {
			t.Fatal(err)
		}
	})
	if len(res.BatchItemFailures) != 0 {
		t.Fatalf("%+v", res)
	}
	if it := emailItem(t, m, e.ID); attr(it, "status") != outbox.StatusSuppressed || attr(it, "end_reason") == "" {
		t.Fatalf("email item %v", it)
	}
	for _, l := range lines {
		if l["alarm"] != nil {
			t.Errorf("a suppressed email raised an alarm: %v", l)
		}
	}
	if r, err := m.Redrive(context.Background(), 0); err != nil || r != (Redriven{}) {
		t.Fatalf("redrive %+v %v", r, err)
	}
	if n := len(emulator.Get(t).SentEmails(t, e.To)) + len(emulator.Get(t).SentEmails(t, "bounced@example.org")); n != 0 {
		t.Fatalf("%d sent", n)
	}
}

// TestRedriveEndsWhatSESRefuses: a pending email (dead-lettered in an outage, say) that
// SES then refuses for good is counted as ended by the redrive, not failed, so the
// dead-letter queue can be emptied.
func TestRedriveEndsWhatSESRefuses(t *testing.T) {
	e := receipt("en", "once")
	e.To, e.ID = "refused-later@example.org", "receipt_refused_later"
	m, _, _ := mailerOn(t, "appeal@solidarity.example", e)
	m, proxy := throughFaults(t, m)
	proxy.Unverified(e.To)
	if r, err := m.Redrive(context.Background(), 0); err != nil || r != (Redriven{Ended: 1}) {
		t.Fatalf("redrive %+v %v", r, err)
	}
	if got := status(t, m, e.ID); got != outbox.StatusFailed {
		t.Fatalf("status %s", got)
	}
}
