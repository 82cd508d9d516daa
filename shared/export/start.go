// Starting an export. The nightly function's Exporter.Run asks DynamoDB to export the
// table, as of now, to the exports bucket (DynamoDB JSON) under exports/<date>/ — the
// prefix Athena's table reads, every object of it, as the day's partition — exactly once
// per UTC day, and records the export in the table, so staff and Athena always have
// yesterday's data without touching the live table. Staff's exports on demand
// (Exporter.OnDemand) go under on-demand/<time>/, which Athena never reads, and leave the
// day's record alone: a second export on one day is never counted twice.
//
// Why Run is exactly once a day. DynamoDB's ClientToken makes ExportTableToPointInTime
// idempotent for 8 hours only; a call with the same token after that starts a second full
// export. So the day is decided in the table, not by the token:
//
//  1. Run reads the day's record. One with an export ARN is the day's export: Run returns
//     it and starts nothing ("export already started"), however late it comes.
//  2. Without one, Run claims the day: it writes the record — prefix, client token,
//     claim time, no ARN yet — on condition that the day has none. Of racing runs, one
//     writes it; the others read the winner's claim and go on with it.
//  3. With a claim and no ARN, Run starts the export with the claim's token, never one of
//     its own, and only within TokenWindow (7 h) of the claim; then it sets the ARN on
//     the record (on condition that it holds no other). The claim is written before the
//     first call, so every call for the day falls inside the token's 8 hours of that
//     first call, and DynamoDB makes them all one export: a racing run, a retry after a
//     crash between the claim and the call or between the call and the record, a retry
//     whose first call's answer was lost. Lambda's retries of the scheduled event end
//     within its 6-hour maximum event age, so they all fall inside the window.
//  4. A claim older than the window without an ARN (a run died after claiming and nothing
//     retried it for 7 hours) is an error, not a second start: the export may or may not
//     have begun, and only a person can look (ErrStaleClaim says where and what to do).
//
// The token also carries a hash of the table and bucket: tokens are the account's, and a
// second stack's export on the same day must not look like a changed retry of the first's.

package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

// Recorder keeps the record of each day's nightly export in the table (*dynamo.Store is
// one): the one record a day is what keeps the nightly export to one a day.
type Recorder interface {
	// ExportRecord reads the record of day's export into record, reporting whether the
	// day has one.
	ExportRecord(ctx context.Context, day time.Time, record any) (bool, error)
	// ClaimExport writes record as day's, unless the day has one already: then it
	// reports false and changes nothing.
	ClaimExport(ctx context.Context, day time.Time, record any) (bool, error)
	// RecordExport sets the ARN and status of the export started for day's claim. An
	// ARN once set never changes: a record holding another, or none, is an error.
	RecordExport(ctx context.Context, day time.Time, arn, status string) error
}

// Exporter starts exports of one table.
type Exporter struct {
	DB       DB
	Records  Recorder // for Run; OnDemand records nothing
	TableARN string
	Bucket   string
	Now      func() time.Time
	// Exports, if set, follows the day before's export: DynamoDB runs an export in the
	// background, so its failure is seen by no one unless the next night asks.
	Exports Describer
}

// Record is what the table keeps of each nightly export, and what Run and OnDemand
// return.
type Record struct {
	ARN       string    `dynamodbav:"export_arn,omitempty"` // empty while only claimed
	Bucket    string    `dynamodbav:"bucket"`
	Prefix    string    `dynamodbav:"prefix"`
	StartedAt time.Time `dynamodbav:"started_at"` // when the day was claimed, just before the start
	Status    string    `dynamodbav:"status"`     // StatusClaimed, then DynamoDB's export status at the start
	Token     string    `dynamodbav:"client_token"`
}

// StatusClaimed is the status of a day's record before its export has started.
const StatusClaimed = "CLAIMED"

// TokenWindow is how long after a claim Run may still start the claimed export: inside
// DynamoDB's 8 hours of ClientToken idempotency, with an hour to spare for clocks.
const TokenWindow = 7 * time.Hour

// ErrStaleClaim means the day was claimed more than TokenWindow ago and no export was
// recorded: starting now could add a second export under the day's prefix.
var ErrStaleClaim = errors.New("stale export claim")

// Prefix is where the nightly export of day goes in the bucket: the day's partition of
// Athena's table.
func Prefix(day time.Time) string { return "exports/" + day.UTC().Format(time.DateOnly) }

// OnDemandPrefix is where an export on demand started at t goes: outside exports/, so
// Athena's table never reads it, and one folder per second, so two never mix.
func OnDemandPrefix(t time.Time) string { return "on-demand/" + t.UTC().Format("2006-01-02T150405Z") }

// token is the client token of an export: kind and stamp (the day, or the second), and
// the table and bucket, so that two stacks in one account never share one.
func (e Exporter) token(kind, stamp string) string {
	sum := sha256.Sum256([]byte(e.TableARN + "\n" + e.Bucket))
	return kind + "-" + stamp + "-" + hex.EncodeToString(sum[:8])
}

// Run starts today's nightly export, exactly once per UTC day (see the top of the file),
// and records it. A run that finds the day's export started returns its record.
func (e Exporter) Run(ctx context.Context) (Record, error) {
	now := e.Now().UTC()
	var rec Record
	found, err := e.Records.ExportRecord(ctx, now, &rec)
	if err != nil {
		return Record{}, err
	}
	if !found {
		claim := Record{Bucket: e.Bucket, Prefix: Prefix(now), StartedAt: now, Status: StatusClaimed,
			Token: e.token("nightly", now.Format(time.DateOnly))}
		claimed, err := e.Records.ClaimExport(ctx, now, claim)
		if err != nil {
			return Record{}, err
		}
		rec = claim
		if !claimed { // another run claimed the day since we read: go on with its claim
			if found, err = e.Records.ExportRecord(ctx, now, &rec); err != nil {
				return Record{}, err
			} else if !found {
				return Record{}, fmt.Errorf("the export record of %s was deleted while claiming it", now.Format(time.DateOnly))
			}
		}
	}
	if rec.ARN != "" {
		slog.InfoContext(ctx, "export already started", "prefix", rec.Prefix, "status", rec.Status)
		return rec, e.checkDayBefore(ctx, now)
	}
	if now.Sub(rec.StartedAt) > TokenWindow || rec.Token == "" {
		return rec, fmt.Errorf("%w: the export of %s was claimed at %s and none was recorded; if s3://%s/%s/ holds no export, delete the table's item EXPORT#%s / META and run the export function again",
			ErrStaleClaim, now.Format(time.DateOnly), rec.StartedAt.Format(time.RFC3339), rec.Bucket, rec.Prefix, now.Format(time.DateOnly))
	}
	if err := e.start(ctx, &rec); err != nil {
		return rec, err
	}
	if err := e.Records.RecordExport(ctx, now, rec.ARN, rec.Status); err != nil {
		return rec, err
	}
	slog.InfoContext(ctx, "export started", "prefix", rec.Prefix, "status", rec.Status)
	return rec, e.checkDayBefore(ctx, now)
}

// checkDayBefore fails (the function's error, which its alarm tells a person) when the
// export of the day before now failed in the background, after today's has started.
func (e Exporter) checkDayBefore(ctx context.Context, now time.Time) error {
	if e.Exports == nil {
		return nil
	}
	day := now.AddDate(0, 0, -1)
	var rec Record
	found, err := e.Records.ExportRecord(ctx, day, &rec)
	if err != nil || !found || rec.ARN == "" {
		return err
	}
	out, err := e.Exports.DescribeExport(ctx, &dynamodb.DescribeExportInput{ExportArn: aws.String(rec.ARN)})
	if err != nil {
		return fmt.Errorf("describe the export of %s: %w", day.Format(time.DateOnly), err)
	}
	if d := out.ExportDescription; d.ExportStatus == types.ExportStatusFailed {
		slog.ErrorContext(ctx, "export failed", "alarm", "export_failed", "prefix", rec.Prefix, "code", aws.ToString(d.FailureCode))
		return fmt.Errorf("the export of %s (s3://%s/%s/) failed: %s %s; staff reports and Athena read the newest export that completed",
			day.Format(time.DateOnly), rec.Bucket, rec.Prefix, aws.ToString(d.FailureCode), aws.ToString(d.FailureMessage))
	}
	return nil
}

// OnDemand starts an export now, for staff: under OnDemandPrefix, with a token of its
// own, and without touching the day's record, so the nightly export stays the day's one.
func (e Exporter) OnDemand(ctx context.Context) (Record, error) {
	now := e.Now().UTC()
	rec := Record{Bucket: e.Bucket, Prefix: OnDemandPrefix(now), StartedAt: now,
		Token: e.token("on-demand", now.Format("20060102T150405Z"))}
	if err := e.start(ctx, &rec); err != nil {
		return rec, err
	}
	slog.InfoContext(ctx, "on-demand export started", "prefix", rec.Prefix, "status", rec.Status)
	return rec, nil
}

// start asks DynamoDB for the export rec describes, as of now, and sets its ARN and status.
func (e Exporter) start(ctx context.Context, rec *Record) error {
	out, err := e.DB.ExportTableToPointInTime(ctx, &dynamodb.ExportTableToPointInTimeInput{
		TableArn: aws.String(e.TableARN), S3Bucket: aws.String(rec.Bucket), S3Prefix: aws.String(rec.Prefix),
		ExportFormat: types.ExportFormatDynamodbJson, // as of now
		ClientToken:  aws.String(rec.Token),
	})
	if err != nil {
		return fmt.Errorf("export table: %w", err)
	}
	rec.ARN, rec.Status = aws.ToString(out.ExportDescription.ExportArn), string(out.ExportDescription.ExportStatus)
	return nil
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
