// Package broadcastsenderfn builds the broadcast sender function: the consumer of its own
// SQS queue, whose messages ({"broadcast": "<id>"}) each send a queued broadcast through
// the mailer, paced by the table's token bucket (docs/broadcasts.md). The local server
// runs the same function on a local queue.
package broadcastsenderfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/mailerfn"
	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/redact"
)

// Message is the body of the queue's messages: the broadcast to send.
type Message struct {
	Broadcast string `json:"broadcast"`
}

// Function is the broadcast sender.
type Function struct {
	Sender broadcast.Sender
}

// SESAccount is the part of the SES v2 client that tells the account's sending rate.
type SESAccount interface {
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Queue is the part of the SQS client the continuation posts with.
type Queue interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// New is the sender. It needs what the mailer needs (MAIL_FROM, PUBLIC_URL) and its own
// queue (BROADCAST_QUEUE_URL); BROADCAST_RATE_SHARE is the share of SES's rate it takes.
func New(ctx context.Context, e assembly.Env) (*Function, error) {
	m, err := mailerfn.New(ctx, e)
	if err != nil {
		return nil, err
	}
	c := e.Config
	if c.BroadcastQueueURL == "" {
		return nil, errors.New("BROADCAST_QUEUE_URL (the broadcast sender's own queue, for its continuations) must be set")
	}
	share := c.BroadcastRateShare
	if share == 0 {
		share = broadcast.DefaultRateShare
	}
	return &Function{Sender: broadcast.Sender{
		Store: e.Store(e.DB()), Mailer: m, Rate: SESRate(sesv2.NewFromConfig(e.AWS), share),
		Now: e.Clock(), Sleep: broadcast.SleepContext, Continue: Post(sqs.NewFromConfig(e.AWS), c.BroadcastQueueURL),
	}}, nil
}

// SESRate is the account's maximum send rate (emails a second, from SES's GetAccount:
// the send quota GetSendQuota also reports) times share.
func SESRate(ses SESAccount, share float64) func(context.Context) (float64, error) {
	return func(ctx context.Context) (float64, error) {
		out, err := ses.GetAccount(ctx, &sesv2.GetAccountInput{})
		if err != nil {
			return 0, fmt.Errorf("ses account: %w", err)
		}
		if out.SendQuota == nil || out.SendQuota.MaxSendRate <= 0 {
			return 0, errors.New("ses account: no sending rate")
		}
		return out.SendQuota.MaxSendRate * share, nil
	}
}

// Post is a Continue that posts the broadcast's message to queue url again.
func Post(q Queue, url string) func(context.Context, string) error {
	return func(ctx context.Context, id string) error {
		body, _ := json.Marshal(Message{Broadcast: id})
		_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))})
		return err
	}
}

// Handle runs the sender for each message, in turn. A message that is not a broadcast's
// is logged and dropped (a retry cannot mend it); a run that fails is reported as a
// partial batch failure, so SQS delivers the message again (and after its retries, to
// the dead-letter queue). Sending twice is harmless: the mailer's claim sends each
// recipient once.
func (f *Function) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var res events.SQSEventResponse
	for _, rec := range ev.Records {
		var msg Message
		if err := json.Unmarshal([]byte(rec.Body), &msg); err != nil || msg.Broadcast == "" {
			slog.ErrorContext(ctx, "not a broadcast message: dropped", "message_id", rec.MessageId)
			continue
		}
		if err := f.Sender.Run(ctx, msg.Broadcast); err != nil {
			slog.ErrorContext(ctx, "broadcast run failed", "broadcast", msg.Broadcast, "err", redact.Error(err))
			res.BatchItemFailures = append(res.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return res, nil
}
