package export_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamodbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/export"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// onMoto is a table (point-in-time recovery on) and an exports bucket in moto.
type onMoto struct {
	db       *dynamodb.Client
	s3       *s3.Client
	store    *dynamo.Store
	tableARN string
	bucket   string
}

var buckets atomic.Int64

func newOnMoto(t *testing.T) onMoto {
	t.Helper()
	env, ctx := emulator.Get(t), context.Background()
	table := emulator.TableName(t)
	db := env.DB()
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	m := onMoto{db: db, s3: s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true }),
		store: dynamo.New(db, table), tableARN: aws.ToString(desc.Table.TableArn),
		bucket: fmt.Sprintf("exports-%d-%d", os.Getpid(), buckets.Add(1))}
	if _, err := m.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(m.bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(env.AWS.Region)}}); err != nil {
		t.Fatal(err)
	}
	return m
}

// exporter is the nightly function's exporter at the clock's time, its calls to DynamoDB
// through db (moto's client when nil).
func (m onMoto) exporter(at time.Time, db export.DB, records export.Recorder) export.Exporter {
	if db == nil {
		db = m.db
	}
	if records == nil {
		records = m.store
	}
	return export.Exporter{DB: db, Records: records, TableARN: m.tableARN, Bucket: m.bucket, Now: func() time.Time { return at }}
}

// started is how many exports of the table DynamoDB has started, wherever they went.
func (m onMoto) started(t *testing.T) int {
	t.Helper()
	out, err := m.db.ListExports(context.Background(), &dynamodb.ListExportsInput{TableArn: aws.String(m.tableARN)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.ExportSummaries)
}

// exportsUnder waits for every started export to finish, then returns the ids of the
// exports written under prefix/ (AWSDynamoDB/<id>/…, as DynamoDB and moto lay them out).
func (m onMoto) exportsUnder(t *testing.T, prefix string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	out, err := m.db.ListExports(ctx, &dynamodb.ListExportsInput{TableArn: aws.String(m.tableARN)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.ExportSummaries {
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		err := export.Wait(wait, m.db, aws.ToString(s.ExportArn), 50*time.Millisecond)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	ids := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(m.s3, &s3.ListObjectsV2Input{Bucket: aws.String(m.bucket), Prefix: aws.String(prefix + "/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			parts := strings.Split(strings.TrimPrefix(aws.ToString(o.Key), prefix+"/"), "/")
			if len(parts) < 2 || parts[0] != "AWSDynamoDB" {
				t.Fatalf("%s is not part of an export", aws.ToString(o.Key))
			}
			ids[parts[1]] = true
		}
	}
	return ids
}

func (m onMoto) record(t *testing.T, day time.Time) export.Record {
	t.Helper()
	var rec export.Record
	found, err := m.store.ExportRecord(context.Background(), day, &rec)
	if err != nil || !found {
		t.Fatalf("the record of %s: %v %v", day.Format(time.DateOnly), found, err)
	}
	return rec
}

// TestNightlyExportOncePerDay: moto ignores ClientToken, so every call to it starts a new
// export, as DynamoDB does once a token's 8 hours are over. A second run on the same day,
// 9½ hours after the first, returns the day's export and starts none; the next day's run
// starts the next day's.
func TestNightlyExportOncePerDay(t *testing.T) {
	m, ctx := newOnMoto(t), context.Background()
	day := time.Date(2027, time.February, 3, 7, 0, 0, 0, time.UTC)
	first, err := m.exporter(day, nil, nil).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.ARN == "" || first.Prefix != "exports/2027-02-03" || first.Bucket != m.bucket || !first.StartedAt.Equal(day) {
		t.Fatalf("first run: %+v", first)
	}
	if rec := m.record(t, day); rec.ARN != first.ARN || rec.Prefix != first.Prefix || rec.Token != first.Token || rec.Status == export.StatusClaimed {
		t.Fatalf("the day's record %+v, the run's %+v", rec, first)
	}
	for _, later := range []time.Duration{9*time.Hour + 30*time.Minute, 16*time.Hour + 59*time.Minute} { // 23:59 UTC is still the day
		again, err := m.exporter(day.Add(later), nil, nil).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.ARN != first.ARN || again.Prefix != first.Prefix {
			t.Fatalf("run %s later: %+v, the day's export is %+v", later, again, first)
		}
	}
	if n := m.started(t); n != 1 {
		t.Fatalf("%d exports started on one day", n)
	}
	if ids := m.exportsUnder(t, "exports/2027-02-03"); len(ids) != 1 {
		t.Fatalf("exports/2027-02-03/ holds %d exports", len(ids))
	}

	next, err := m.exporter(day.Add(24*time.Hour), nil, nil).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next.ARN == "" || next.ARN == first.ARN || next.Prefix != "exports/2027-02-04" || next.Token == first.Token {
		t.Fatalf("the next day's run: %+v", next)
	}
	if n, ids := m.started(t), m.exportsUnder(t, "exports/2027-02-04"); n != 2 || len(ids) != 1 {
		t.Fatalf("after the next day's run: %d started, %d under exports/2027-02-04/", n, len(ids))
	}
	if ids := m.exportsUnder(t, "exports/2027-02-03"); len(ids) != 1 {
		t.Fatalf("exports/2027-02-03/ holds %d exports", len(ids))
	}
}

// idempotent stands in for DynamoDB's ClientToken, which moto ignores: within its 8
// hours, a call with a token seen before returns the first call's export and starts none.
type idempotent struct {
	export.DB
	mu   sync.Mutex
	seen map[string]*dynamodb.ExportTableToPointInTimeOutput
}

func (d *idempotent) ExportTableToPointInTime(ctx context.Context, in *dynamodb.ExportTableToPointInTimeInput, opts ...func(*dynamodb.Options)) (*dynamodb.ExportTableToPointInTimeOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if out, ok := d.seen[aws.ToString(in.ClientToken)]; ok {
		return out, nil
	}
	out, err := d.DB.ExportTableToPointInTime(ctx, in, opts...)
	if err == nil {
		if d.seen == nil {
			d.seen = map[string]*dynamodb.ExportTableToPointInTimeOutput{}
		}
		d.seen[aws.ToString(in.ClientToken)] = out
	}
	return out, err
}

// TestNightlyExportRacingRuns: runs of the same night racing each other (a duplicated
// delivery of the schedule's event) all return one export, and DynamoDB starts one: each
// starts with the token of the one claim the table lets through.
func TestNightlyExportRacingRuns(t *testing.T) {
	m, ctx := newOnMoto(t), context.Background()
	db := &idempotent{DB: m.db}
	day := time.Date(2027, time.February, 3, 7, 0, 0, 0, time.UTC)
	const runs = 6
	recs, errs := make([]export.Record, runs), make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs[i], errs[i] = m.exporter(day.Add(time.Duration(i)*time.Second), db, nil).Run(ctx)
		}()
	}
	wg.Wait()
	for i := range runs {
		if errs[i] != nil || recs[i].ARN == "" || recs[i].ARN != recs[0].ARN || recs[i].Token != recs[0].Token {
			t.Fatalf("run %d: %+v %v; run 1: %+v", i+1, recs[i], errs[i], recs[0])
		}
	}
	if rec := m.record(t, day); rec.ARN != recs[0].ARN {
		t.Fatalf("the day's record %+v", rec)
	}
	if n, ids := m.started(t), m.exportsUnder(t, "exports/2027-02-03"); n != 1 || len(ids) != 1 {
		t.Fatalf("%d exports started, %d under exports/2027-02-03/", n, len(ids))
	}
}

// failing fails its first n calls to start an export: before DynamoDB sees them, or, if
// lost, after DynamoDB has started the export (the answer lost on the way back).
type failing struct {
	export.DB
	n    int
	lost bool
}

func (f *failing) ExportTableToPointInTime(ctx context.Context, in *dynamodb.ExportTableToPointInTimeInput, opts ...func(*dynamodb.Options)) (*dynamodb.ExportTableToPointInTimeOutput, error) {
	if f.n == 0 {
		return f.DB.ExportTableToPointInTime(ctx, in, opts...)
	}
	f.n--
	if f.lost {
		if _, err := f.DB.ExportTableToPointInTime(ctx, in, opts...); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("connection reset")
}

// unrecorded is a table whose recording of an export's ARN fails once: the run dies
// between starting the export and recording it.
type unrecorded struct {
	export.Recorder
	failed bool
}

func (u *unrecorded) RecordExport(ctx context.Context, day time.Time, arn, status string) error {
	if !u.failed {
		u.failed = true
		return errors.New("connection reset")
	}
	return u.Recorder.RecordExport(ctx, day, arn, status)
}

// TestNightlyExportRetried: a run that dies after claiming the day is retried (Lambda's
// retries of the scheduled event, within its 6 hours) and the retry completes the one
// export — whether the export had started or not, and whether its ARN had been recorded
// or not. A claim left more than 7 hours without an export is an error that names what to
// check, and starts nothing: past the token's 8 hours, DynamoDB would start a second.
func TestNightlyExportRetried(t *testing.T) {
	day := time.Date(2027, time.February, 3, 7, 0, 0, 0, time.UTC)
	retried := func(t *testing.T, m onMoto, db export.DB, records export.Recorder, after time.Duration) {
		t.Helper()
		ctx := context.Background()
		if _, err := m.exporter(day, db, records).Run(ctx); err == nil {
			t.Fatal("the first run did not fail")
		}
		rec, err := m.exporter(day.Add(after), db, records).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.ARN == "" || rec.Prefix != "exports/2027-02-03" || !rec.StartedAt.Equal(day) || m.record(t, day).ARN != rec.ARN {
			t.Fatalf("the retry: %+v; the day's record: %+v", rec, m.record(t, day))
		}
		if n, ids := m.started(t), m.exportsUnder(t, "exports/2027-02-03"); n != 1 || len(ids) != 1 {
			t.Fatalf("%d exports started, %d under exports/2027-02-03/", n, len(ids))
		}
	}
	t.Run("dead before the export started", func(t *testing.T) {
		m := newOnMoto(t)
		retried(t, m, &failing{DB: m.db, n: 1}, nil, time.Hour)
	})
	t.Run("the export started, its answer lost", func(t *testing.T) {
		m := newOnMoto(t)
		retried(t, m, &failing{DB: &idempotent{DB: m.db}, n: 1, lost: true}, nil, 2*time.Hour)
	})
	t.Run("dead before the export was recorded", func(t *testing.T) {
		m := newOnMoto(t)
		retried(t, m, &idempotent{DB: m.db}, &unrecorded{Recorder: m.store}, 6*time.Hour)
	})
	t.Run("a claim left more than 7 hours", func(t *testing.T) {
		m, ctx := newOnMoto(t), context.Background()
		db := &failing{DB: m.db, n: 1}
		if _, err := m.exporter(day, db, nil).Run(ctx); err == nil {
			t.Fatal("the first run did not fail")
		}
		_, err := m.exporter(day.Add(export.TokenWindow+time.Minute), db, nil).Run(ctx)
		if !errors.Is(err, export.ErrStaleClaim) || !strings.Contains(err.Error(), "s3://"+m.bucket+"/exports/2027-02-03/") ||
			!strings.Contains(err.Error(), "EXPORT#2027-02-03") {
			t.Fatalf("a retry 7 hours later: %v", err)
		}
		if rec := m.record(t, day); rec.ARN != "" || rec.Status != export.StatusClaimed {
			t.Fatalf("the day's record: %+v", rec)
		}
		if n := m.started(t); n != 0 {
			t.Fatalf("%d exports started", n)
		}
	})
}

// TestOnDemandExport: an export on demand goes under on-demand/<time>/, outside the
// exports/ Athena reads, with its own token, and records nothing: the day's nightly run
// still starts the day's one export under exports/<date>/.
func TestOnDemandExport(t *testing.T) {
	m, ctx := newOnMoto(t), context.Background()
	at := time.Date(2027, time.February, 3, 15, 4, 5, 0, time.FixedZone("EST", -5*3600)) // 20:04:05 UTC
	rec, err := export.Exporter{DB: m.db, TableARN: m.tableARN, Bucket: m.bucket, Now: func() time.Time { return at }}.OnDemand(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ARN == "" || rec.Prefix != "on-demand/2027-02-03T200405Z" || rec.Bucket != m.bucket || !strings.HasPrefix(rec.Token, "on-demand-20270203T200405Z-") {
		t.Fatalf("on demand: %+v", rec)
	}
	var none export.Record
	if found, err := m.store.ExportRecord(ctx, at, &none); err != nil || found {
		t.Fatalf("an export on demand recorded the day: %+v %v", none, err)
	}
	nightly, err := m.exporter(at.Add(time.Hour), nil, nil).Run(ctx)
	if err != nil || nightly.ARN == rec.ARN || nightly.Prefix != "exports/2027-02-03" {
		t.Fatalf("the nightly run after it: %+v %v", nightly, err)
	}
	if ids := m.exportsUnder(t, rec.Prefix); len(ids) != 1 {
		t.Fatalf("%s/ holds %d exports", rec.Prefix, len(ids))
	}
	if ids := m.exportsUnder(t, "exports/2027-02-03"); len(ids) != 1 {
		t.Fatalf("exports/2027-02-03/ holds %d exports", len(ids))
	}
}

// TestPrefixes: the nightly prefix is the UTC day (Athena's partition); the on-demand one
// the UTC second, never under exports/.
func TestPrefixes(t *testing.T) {
	tests := []struct {
		at              time.Time
		nightly, demand string
	}{
		{time.Date(2027, 2, 3, 7, 0, 0, 0, time.UTC), "exports/2027-02-03", "on-demand/2027-02-03T070000Z"},
		{time.Date(2027, 2, 3, 21, 30, 9, 999, time.FixedZone("EST", -5*3600)), "exports/2027-02-04", "on-demand/2027-02-04T023009Z"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), "exports/2026-12-31", "on-demand/2026-12-31T235959Z"},
	}
	for _, tt := range tests {
		if got := export.Prefix(tt.at); got != tt.nightly {
			t.Errorf("Prefix(%s) = %s, want %s", tt.at, got, tt.nightly)
		}
		if got := export.OnDemandPrefix(tt.at); got != tt.demand || strings.HasPrefix(got, "exports/") {
			t.Errorf("OnDemandPrefix(%s) = %s, want %s", tt.at, got, tt.demand)
		}
	}
}

// failedExports answers DescribeExport as DynamoDB does for an export that failed in the
// background (moto's always complete), and moto's answer for any other.
type failedExports struct {
	export.Describer
	failed string // the ARN of the export that failed
}

func (f failedExports) DescribeExport(ctx context.Context, in *dynamodb.DescribeExportInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeExportOutput, error) {
	if aws.ToString(in.ExportArn) == f.failed {
		return &dynamodb.DescribeExportOutput{ExportDescription: &dynamodbtypes.ExportDescription{ExportArn: in.ExportArn,
			ExportStatus: dynamodbtypes.ExportStatusFailed, FailureCode: aws.String("S3AccessDenied"), FailureMessage: aws.String("Access Denied")}}, nil
	}
	return f.Describer.DescribeExport(ctx, in, opts...)
}

// TestNightlyExportTellsOfYesterdaysFailure: an export runs in the background, so its
// failure reaches no one unless the next night looks. That run still starts its own
// export, then fails (the function's error alarm), naming the day and the reason; a
// night after a completed export does not.
func TestNightlyExportTellsOfYesterdaysFailure(t *testing.T) {
	m, ctx := newOnMoto(t), context.Background()
	day := time.Date(2027, time.March, 9, 7, 0, 0, 0, time.UTC)
	first, err := m.exporter(day, nil, nil).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := m.exporter(day.Add(24*time.Hour), nil, nil)
	next.Exports = failedExports{Describer: m.db, failed: first.ARN}
	rec, err := next.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "the export of 2027-03-09 (s3://"+m.bucket+"/exports/2027-03-09/) failed: S3AccessDenied") {
		t.Fatalf("after a failed export: %v", err)
	}
	if rec.ARN == "" || rec.Prefix != "exports/2027-03-10" || m.started(t) != 2 {
		t.Fatalf("the night after a failure started no export of its own: %+v", rec)
	}

	// Its retry (the schedule retries an error) starts nothing more and still says so.
	if _, err := next.Run(ctx); err == nil || m.started(t) != 2 {
		t.Fatalf("the retry: %v, %d started", err, m.started(t))
	}
	// The night after a completed export is quiet.
	third := m.exporter(day.Add(48*time.Hour), nil, nil)
	third.Exports = failedExports{Describer: m.db, failed: first.ARN}
	m.exportsUnder(t, "exports/2027-03-10") // waits for the exports to complete
	if _, err := third.Run(ctx); err != nil {
		t.Fatalf("after a completed export: %v", err)
	}
}
