package e2e

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/maileventsfn"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/outbox"
)

// sesNotification is SES's own example event (shared/suppression/testdata), addressed to
// to, as SNS delivers it to the mail-events function.
func sesNotification(t *testing.T, example, to string) events.SNSEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(emulator.Root(), "shared", "suppression", "testdata", example))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("recipient@example.com"), []byte(to))
	return events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", EventVersion: "1.0",
		SNS: events.SNSEntity{Type: "Notification", MessageID: "sns-" + example, Message: string(b),
			TopicArn: "arn:aws:sns:ca-central-1:123456789012:solidarity-ses-events", Timestamp: time.Now().UTC()}}}}
}

// receiptStatus waits until the receipt of d leaves pending and sending, and returns its
// status and attempts.
func receiptStatus(t *testing.T, s *stack, d string) (string, string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := s.env.DB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EMAIL#receipt_" + d},
				"sk": &types.AttributeValueMemberS{Value: "META"}}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := out.Item["status"].(*types.AttributeValueMemberS)
		if st != nil && st.Value != outbox.StatusPending && st.Value != outbox.StatusSending {
			n, _ := out.Item["attempts"].(*types.AttributeValueMemberN)
			return st.Value, n.Value
		}
		if time.Now().After(deadline) {
			t.Fatalf("receipt still %v", out.Item["status"])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBounceAndComplaintStopMail: SES's bounce and complaint, through the mail-events
// function, suppress their address; the next receipt owed to it ends "suppressed" and
// SES sends nothing more to it.
func TestBounceAndComplaintStopMail(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	h, err := maileventsfn.New(ctx, assembly.Env{Config: config.Config{Table: s.table}, AWS: s.env.AWS})
	if err != nil {
		t.Fatal(err)
	}
	for example, to := range map[string]string{"bounce.json": "bounced-e2e@example.org", "complaint.json": "complained-e2e@example.org"} {
		t.Run(example, func(t *testing.T) {
			before := len(s.env.SentEmails(t, to))
			if err := h.Handle(ctx, sesNotification(t, example, to)); err != nil {
				t.Fatal(err)
			}
			d := s.donate(map[string]any{"email": to})
			s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
			if st, _ := receiptStatus(t, s, localpay.PaymentIntentID(d)); st != outbox.StatusSuppressed {
				t.Fatalf("receipt %s, want suppressed", st)
			}
			if n := len(s.env.SentEmails(t, to)); n != before {
				t.Fatalf("%d emails sent to a suppressed address", n-before)
			}
		})
	}
}

// TestPermanentRefusalSkipsDeadLetterQueue: SES refuses the recipient for good (the
// sandbox's "Email address is not verified", from the fault proxy in front of moto):
// the receipt ends "failed" after one attempt, and nothing reaches the dead-letter queue.
func TestPermanentRefusalSkipsDeadLetterQueue(t *testing.T) {
	env := emulator.Get(t)
	proxy, err := faults.New(env.Moto.URL, faults.Rates{}, 14)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	const to = "unverified-e2e@example.org"
	proxy.Unverified(to)
	s := newStack(t, true, func(su *setup) { su.opts.MotoURL = srv.URL })
	d := s.donate(map[string]any{"email": to})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	if st, attempts := receiptStatus(t, s, localpay.PaymentIntentID(d)); st != outbox.StatusFailed || attempts != "1" {
		t.Fatalf("receipt %s after %s attempts, want failed after 1", st, attempts)
	}
	time.Sleep(time.Second) // the poller's next rounds: a retried record would come back
	sqsClient := sqs.NewFromConfig(env.AWS)
	q, err := sqsClient.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(localdev.DeadLetterQueue)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sqsClient.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
		VisibilityTimeout: 0})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out.Messages {
		if deadLetterKeys(t, m)["pk"] == "EMAIL#receipt_"+localpay.PaymentIntentID(d) {
			t.Fatal("a permanently refused email was dead-lettered")
		}
	}
	if n := len(env.SentEmails(t, to)); n != 0 {
		t.Fatalf("%d sent", n)
	}
}
