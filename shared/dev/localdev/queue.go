package localdev

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/redact"
)

// BroadcastQueue is the local broadcast sender's queue name (moto's SQS).
const BroadcastQueue = "solidarity-broadcasts"

// LocalSendRate is the SES sending rate the local broadcast sender assumes (emails a
// second, before BROADCAST_RATE_SHARE): moto does not answer SES's GetAccount.
const LocalSendRate = 14

// QueuePoller hands an SQS queue's messages to an SQS-triggered handler one at a time,
// the way Lambda's event source mapping does: a message the handler reports failed (or a
// handler error) is left for SQS to deliver again after its visibility timeout; the
// others are deleted.
type QueuePoller struct {
	SQS      *sqs.Client
	QueueURL string
	Handle   func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	// Timeout is each invocation's deadline, as the function's timeout in AWS.
	Timeout time.Duration
}

// Run polls until ctx ends.
func (p *QueuePoller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.QueueURL),
			MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: int32((p.Timeout + time.Minute) / time.Second)})
		if err != nil {
			if ctx.Err() == nil {
				slog.ErrorContext(ctx, "queue poll", "err", redact.Error(err))
				time.Sleep(time.Second)
			}
			continue
		}
		for _, m := range out.Messages {
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(m.MessageId),
				ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body)}}}
			run, cancel := context.WithTimeout(ctx, p.Timeout)
			res, err := p.Handle(run, ev)
			cancel()
			if err != nil || len(res.BatchItemFailures) > 0 {
				continue
			}
			if _, err := p.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(p.QueueURL),
				ReceiptHandle: m.ReceiptHandle}); err != nil && ctx.Err() == nil {
				slog.ErrorContext(ctx, "delete message", "err", redact.Error(err))
			}
		}
	}
	return nil
}
