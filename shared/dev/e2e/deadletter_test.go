package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/staff"
)

// TestUnsendableEmailLandsInDeadLetterQueue: when SES refuses an email on every retry,
// the record goes to the dead-letter queue (as the template's on-failure destination
// does in AWS), and the email stays pending in the outbox; `staff mail redrive` then
// sends it, once, and empties the queue.
func TestUnsendableEmailLandsInDeadLetterQueue(t *testing.T) {
	s := newStack(t, false)
	broken := s.sys.Mailer
	broken.From = "nobody@unverified.example" // SES (moto) rejects an unverified sender
	s.sys.Poller.Handle = broken.Handle
	sqsClient := sqs.NewFromConfig(s.env.AWS)
	ctx := context.Background()
	q, err := sqsClient.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(localdev.DeadLetterQueue)})
	if err != nil {
		t.Fatal(err)
	}
	// Other tests share moto's queue: empty it first.
	_, _ = sqsClient.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: q.QueueUrl})

	d := s.donate(map[string]any{"email": "undeliverable@example.org"})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	run, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = s.sys.Poller.Run(run); close(done) }()
	defer cancel()

	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if strings.HasPrefix(deadLetterKeys(t, m)["pk"], "EMAIL#receipt_"+localpay.PaymentIntentID(d)) {
				if n := len(s.env.SentEmails(t, "undeliverable@example.org")); n != 0 {
					t.Fatalf("%d sent", n)
				}
				cancel() // the stream is done with it
				<-done
				redriveAndCheck(t, s, *q.QueueUrl)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter for the unsendable receipt")
		}
		// No long polling: moto serves one request at a time, and a waiting receive
		// would hold up the mailer.
		time.Sleep(200 * time.Millisecond)
	}
}

// deadLetterKeys are the keys of the record a dead letter points at.
func deadLetterKeys(t testing.TB, m sqstypes.Message) map[string]string {
	t.Helper()
	var body struct {
		Keys map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &body); err != nil {
		t.Fatal(err)
	}
	return body.Keys
}

// redriveAndCheck runs `staff mail redrive` with a mailer that works: the receipt goes
// out once, the dead-letter queue is emptied, and a second run sends nothing.
func redriveAndCheck(t *testing.T, s *stack, queue string) {
	t.Helper()
	ctx := context.Background()
	mailer := s.sys.Mailer
	src := staff.Sources{DB: s.env.DB(), Mailer: &mailer, Queue: sqs.NewFromConfig(s.env.AWS)}
	for i, want := range []string{"redrive: 1 emails sent, 0 failed again", "redrive: 0 emails sent, 0 failed again"} {
		var out bytes.Buffer
		if err := staff.Run(ctx, s.sys.Store, src, []string{"mail", "redrive", "-settle", "0s", "-queue", queue}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("run %d: %s", i+1, out.String())
		}
	}
	if n := len(s.env.SentEmails(t, "undeliverable@example.org")); n != 1 {
		t.Fatalf("%d receipts sent after the redrive", n)
	}
	left, err := sqs.NewFromConfig(s.env.AWS).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 10})
	if err != nil || len(left.Messages) != 0 {
		t.Fatalf("the dead-letter queue still holds %d messages (%v)", len(left.Messages), err)
	}
}
