package localdev

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/redact"
)

// Handler is a stream-triggered Lambda handler, such as the mailer's.
type Handler func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Poller reads a table's stream the way Lambda's event source mapping does locally: it
// hands batches to the handler, retries the records it reports as failed with backoff,
// and after MaxAttempts sends them to the dead-letter queue, as the template's on-failure
// destination does in AWS.
type Poller struct {
	DB          *dynamodb.Client
	Streams     *dynamodbstreams.Client
	SQS         *sqs.Client
	Table       string
	DeadLetters string // queue URL
	Handle      Handler
	MaxAttempts int
	Interval    time.Duration
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	desc, err := p.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.Table)})
	if err != nil {
		return fmt.Errorf("describe table: %w", err)
	}
	arn := aws.ToString(desc.Table.LatestStreamArn)
	last := map[string]string{}
	for {
		if err := p.poll(ctx, arn, last); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "stream poll", "err", redact.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.Interval):
		}
	}
}

func (p *Poller) poll(ctx context.Context, arn string, last map[string]string) error {
	ds, err := p.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		return fmt.Errorf("describe stream: %w", err)
	}
	for _, sh := range ds.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		// A fresh iterator after the last record seen, at every poll: iterators expire in
		// AWS after 15 minutes.
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon}
		if seq, seen := last[id]; seen {
			in.ShardIteratorType, in.SequenceNumber = streamtypes.ShardIteratorTypeAfterSequenceNumber, aws.String(seq)
		}
		it, err := p.Streams.GetShardIterator(ctx, in)
		if err != nil {
			return fmt.Errorf("shard iterator: %w", err)
		}
		out, err := p.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(100)})
		if err != nil {
			return fmt.Errorf("get records: %w", err)
		}
		if n := len(out.Records); n > 0 {
			last[id] = aws.ToString(out.Records[n-1].Dynamodb.SequenceNumber)
			p.deliver(ctx, arn, id, out.Records)
		}
	}
	return nil
}

func (p *Poller) deliver(ctx context.Context, arn, shard string, records []streamtypes.Record) {
	batch := make([]events.DynamoDBEventRecord, 0, len(records))
	for _, r := range records {
		batch = append(batch, events.DynamoDBEventRecord{
			EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
			EventSourceArn: arn, AWSRegion: aws.ToString(r.AwsRegion),
			Change: events.DynamoDBStreamRecord{
				Keys: ToEvent(r.Dynamodb.Keys), NewImage: ToEvent(r.Dynamodb.NewImage),
				SequenceNumber: aws.ToString(r.Dynamodb.SequenceNumber), StreamViewType: string(r.Dynamodb.StreamViewType),
			},
		})
	}
	for attempt := 1; len(batch) > 0; attempt++ {
		res, err := p.Handle(ctx, events.DynamoDBEvent{Records: batch})
		if err != nil {
			slog.ErrorContext(ctx, "stream handler", "err", redact.Error(err))
			res.BatchItemFailures = nil
			for _, r := range batch {
				res.BatchItemFailures = append(res.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			}
		}
		failed := map[string]bool{}
		for _, f := range res.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		var again []events.DynamoDBEventRecord
		for _, r := range batch {
			if failed[r.Change.SequenceNumber] {
				again = append(again, r)
			}
		}
		batch = again
		if len(batch) == 0 {
			return
		}
		if attempt >= p.MaxAttempts {
			for _, r := range batch {
				p.deadLetter(ctx, arn, shard, r, attempt)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(attempt*attempt) * 200 * time.Millisecond):
		}
	}
}

// deadLetter sends what Lambda's on-failure destination sends for a stream batch: where
// the failed records are, not their contents.
func (p *Poller) deadLetter(ctx context.Context, arn, shard string, r events.DynamoDBEventRecord, attempts int) {
	body, _ := json.Marshal(map[string]any{
		"requestContext": map[string]any{"condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
		"DDBStreamBatchInfo": map[string]any{
			"shardId": shard, "startSequenceNumber": r.Change.SequenceNumber, "endSequenceNumber": r.Change.SequenceNumber,
			"streamArn": arn, "batchSize": 1,
		},
		"keys": dynamo.StreamKeys(r.Change.Keys),
	})
	_, err := p.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(p.DeadLetters), MessageBody: aws.String(string(body))})
	if err != nil {
		slog.ErrorContext(ctx, "dead-letter send failed", "sequence", r.Change.SequenceNumber, "err", redact.Error(err))
		return
	}
	slog.WarnContext(ctx, "stream record dead-lettered", "sequence", r.Change.SequenceNumber)
}

// ToEvent converts a DynamoDB Streams image (as GetRecords returns it) to the Lambda
// event shape.
func ToEvent(img map[string]streamtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	out := make(map[string]events.DynamoDBAttributeValue, len(img))
	for k, v := range img {
		out[k] = toEventValue(v)
	}
	return out
}

func toEventValue(v streamtypes.AttributeValue) events.DynamoDBAttributeValue {
	switch t := v.(type) {
	case *streamtypes.AttributeValueMemberS:
		return events.NewStringAttribute(t.Value)
	case *streamtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(t.Value)
	case *streamtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(t.Value)
	case *streamtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *streamtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(t.Value)
	case *streamtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(t.Value)
	case *streamtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(t.Value)
	case *streamtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(t.Value)
	case *streamtypes.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(t.Value))
		for i, item := range t.Value {
			list[i] = toEventValue(item)
		}
		return events.NewListAttribute(list)
	case *streamtypes.AttributeValueMemberM:
		return events.NewMapAttribute(ToEvent(t.Value))
	}
	return events.NewNullAttribute()
}
