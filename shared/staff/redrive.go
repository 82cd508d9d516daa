package staff

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/mail"
)

// Queue is the part of the SQS client that empties the dead-letter queue.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// redrive sends the emails the outbox still owes, then, if every one went out, empties
// the mailer's dead-letter queue (its messages only point at them).
func redrive(ctx context.Context, src Sources, args []string, out io.Writer) error {
	fs := newFlags("mail redrive")
	settle := fs.Duration("settle", 5*time.Minute, "")
	queue := fs.String("queue", src.DeadLetterQueue, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if checking(ctx) {
		return nil
	}
	if src.Mailer == nil {
		return fmt.Errorf("%w: MAIL_FROM and PUBLIC_URL must be set to send email", ErrUsage)
	}
	r, err := src.Mailer.Redrive(ctx, *settle)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "redrive: %d emails sent, %d failed again", r.Sent, r.Failed)
	if r.Ended > 0 {
		// Refused by SES for good, or to a suppressed address: no longer owed.
		fmt.Fprintf(out, ", %d ended unsent (see staff mail failed)", r.Ended)
	}
	fmt.Fprintln(out)
	if r.Failed > 0 {
		return fmt.Errorf("%d emails could not be sent: see the logs, fix the cause, and run again", r.Failed)
	}
	if r.Held > 0 {
		return fmt.Errorf("%d emails are claimed by a sender since less than %v: run again after that (the dead-letter queue is kept until then)",
			r.Held, mail.ClaimTimeout)
	}
	if *queue == "" {
		return nil
	}
	deleted := 0
	for {
		msgs, err := src.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(*queue), MaxNumberOfMessages: 10})
		if err != nil {
			return fmt.Errorf("read the dead-letter queue: %w", err)
		}
		if len(msgs.Messages) == 0 {
			break
		}
		for _, m := range msgs.Messages {
			if _, err := src.Queue.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(*queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return fmt.Errorf("empty the dead-letter queue: %w", err)
			}
			deleted++
		}
	}
	fmt.Fprintf(out, "dead-letter queue emptied: %d messages\n", deleted)
	return nil
}
