// Starting an export is the nightly function's work (Exporter): it asks DynamoDB to export
// the table, as of now, to the exports bucket (DynamoDB JSON, under exports/<date>/), and
// records the export in the table, so staff and Athena always have yesterday's data
// without touching the live table.

package export

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DB is the part of the DynamoDB client that starts exports.
type DB interface {
	ExportTableToPointInTime(ctx context.Context, in *dynamodb.ExportTableToPointInTimeInput, opts ...func(*dynamodb.Options)) (*dynamodb.ExportTableToPointInTimeOutput, error)
}

// Recorder keeps the record of each day's export in the table (*dynamo.Store is one).
type Recorder interface {
	RecordExport(ctx context.Context, day time.Time, record any) error
}

// Exporter starts exports of one table.
type Exporter struct {
	DB       DB
	Records  Recorder
	TableARN string
	Bucket   string
	Now      func() time.Time
}

// Record is what the table keeps of each export.
type Record struct {
	ARN       string    `dynamodbav:"export_arn"`
	Bucket    string    `dynamodbav:"bucket"`
	Prefix    string    `dynamodbav:"prefix"`
	StartedAt time.Time `dynamodbav:"started_at"`
	Status    string    `dynamodbav:"status"`
}

// Prefix is where the export of day goes in the bucket.
func Prefix(day time.Time) string { return "exports/" + day.UTC().Format(time.DateOnly) }

// Run starts today's export and records it. Its client token is the day, so a retried
// run (the scheduler retries failures) starts no second export for the same day.
func (e Exporter) Run(ctx context.Context) (Record, error) {
	now := e.Now().UTC()
	prefix := Prefix(now)
	out, err := e.DB.ExportTableToPointInTime(ctx, &dynamodb.ExportTableToPointInTimeInput{
		TableArn: aws.String(e.TableARN), S3Bucket: aws.String(e.Bucket), S3Prefix: aws.String(prefix),
		ExportFormat: types.ExportFormatDynamodbJson, // as of now
		ClientToken:  aws.String("nightly-" + now.Format(time.DateOnly)),
	})
	if err != nil {
		return Record{}, fmt.Errorf("export table: %w", err)
	}
	rec := Record{ARN: aws.ToString(out.ExportDescription.ExportArn), Bucket: e.Bucket, Prefix: prefix, StartedAt: now,
		Status: string(out.ExportDescription.ExportStatus)}
	if err := e.Records.RecordExport(ctx, now, rec); err != nil {
		return rec, err
	}
	slog.InfoContext(ctx, "export started", "prefix", prefix, "status", rec.Status)
	return rec, nil
}

// Describer is the part of the DynamoDB client that follows an export.
type Describer interface {
	DescribeExport(ctx context.Context, in *dynamodb.DescribeExportInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeExportOutput, error)
}

// Wait polls an export until it completes (nil), fails, or ctx ends. Exports run in the
// background: minutes in AWS, a moment in moto.
func Wait(ctx context.Context, db Describer, arn string, every time.Duration) error {
	for {
		out, err := db.DescribeExport(ctx, &dynamodb.DescribeExportInput{ExportArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("describe export: %w", err)
		}
		switch out.ExportDescription.ExportStatus {
		case types.ExportStatusCompleted:
			return nil
		case types.ExportStatusFailed:
			return fmt.Errorf("export failed: %s", aws.ToString(out.ExportDescription.FailureMessage))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}
