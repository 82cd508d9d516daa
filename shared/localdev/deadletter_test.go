package localdev

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/localpay"
)

// TestUnsendableEmailLandsInDeadLetterQueue: when SES refuses an email on every retry,
// the record goes to the dead-letter queue (as the template's on-failure destination
// does in AWS), and the email stays pending in the outbox, ready to be redriven.
func TestUnsendableEmailLandsInDeadLetterQueue(t *testing.T) {
	s := newStack(t, false)
	broken := s.sys.Mailer
	broken.From = "nobody@unverified.example" // SES (moto) rejects an unverified sender
	s.sys.Poller.Handle = broken.Handle
	sqsClient := sqs.NewFromConfig(s.env.AWS)
	ctx := context.Background()
	q, err := sqsClient.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(DeadLetterQueue)})
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
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			var body struct {
				Keys map[string]string `json:"keys"`
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &body); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(body.Keys["pk"], "EMAIL#receipt_"+localpay.PaymentIntentID(d)) {
				if n := len(s.env.SentEmails(t, "undeliverable@example.org")); n != 0 {
					t.Fatalf("%d sent", n)
				}
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
