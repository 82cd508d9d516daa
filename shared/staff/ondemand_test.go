package staff

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/report/reporttest"
)

// TestExportOnDemandBesideTheNightly: on a day the nightly export ran, `staff export start`
// exports under on-demand/<time>/ (moto starts a new export at every call, as DynamoDB does
// once the nightly token's 8 hours are over), leaves the day's record alone, and prints an
// address `staff report -export` reads: the report holds the gift recorded after the
// nightly export, and exports/<date>/ still holds exactly one export.
func TestExportOnDemandBesideTheNightly(t *testing.T) {
	env, ctx := emulator.Get(t), context.Background()
	table := emulator.TableName(t)
	db := env.DB()
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(db, table)
	s3c := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("on-demand-%d", os.Getpid())
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(env.AWS.Region)}}); err != nil {
		t.Fatal(err)
	}
	nightlyAt := time.Date(2027, time.February, 3, 7, 0, 0, 0, time.UTC)
	staffAt := time.Date(2027, time.February, 3, 15, 4, 5, 0, time.UTC) // more than 8 hours later
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		src := Sources{S3: s3c, DB: db, Table: table, Export: db, Now: func() time.Time { return staffAt }}
		if err := Run(ctx, store, src, args, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	run("campaign", "create", "-slug", "winter-2027", "-title-en", "Winter appeal", "-title-fr", "Campagne d'hiver", "-goal", "10000")
	run("offline", "add", "-campaign", "winter-2027", "-amount", "250.00", "-method", "cheque", "-received-on", "2027-02-02", "-id", "cheque-1")

	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	nightly, err := export.Exporter{DB: db, Records: store, TableARN: aws.ToString(desc.Table.TableArn), Bucket: bucket,
		Now: func() time.Time { return nightlyAt }}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := export.Wait(wait, db, nightly.ARN, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	run("offline", "add", "-campaign", "winter-2027", "-amount", "40", "-method", "cash", "-received-on", "2027-02-03", "-id", "cash-2")

	out := run("export", "start", "-bucket", bucket, "-wait")
	want := "s3://" + bucket + "/on-demand/2027-02-03T150405Z/"
	where := regexp.MustCompile(`s3://\S+`).FindString(out)
	if where != want || !strings.Contains(out, "export complete") {
		t.Fatalf("export start printed %q, want the address %s", out, want)
	}

	var rec export.Record
	if found, err := store.ExportRecord(ctx, nightlyAt, &rec); err != nil || !found || rec.ARN != nightly.ARN || rec.Prefix != "exports/2027-02-03" {
		t.Fatalf("the day's record after the export on demand: %+v %v %v", rec, found, err)
	}
	folders := func(prefix string) map[string]bool {
		t.Helper()
		listed, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, o := range listed.Contents {
			if parts := strings.Split(strings.TrimPrefix(aws.ToString(o.Key), prefix), "/"); len(parts) > 1 && parts[0] == "AWSDynamoDB" {
				ids[parts[1]] = true
			}
		}
		return ids
	}
	if n := len(folders("exports/2027-02-03/")); n != 1 {
		t.Fatalf("exports/2027-02-03/ holds %d exports", n)
	}
	if n := len(folders("on-demand/2027-02-03T150405Z/")); n != 1 {
		t.Fatalf("on-demand/2027-02-03T150405Z/ holds %d exports", n)
	}

	gifts := func(where string) []string {
		t.Helper()
		header, rows := reporttest.CSV(t, run("report", "donations", "-export", where), i18n.EN)
		if header[0] != "ID" {
			t.Fatalf("report from %s: %q", where, header)
		}
		var ids []string
		for _, r := range rows {
			ids = append(ids, r[0])
		}
		sort.Strings(ids)
		return ids
	}
	if got := gifts(where); strings.Join(got, " ") != "cash-2 cheque-1" {
		t.Fatalf("the report from the export on demand: %q", got)
	}
	if got := gifts("s3://" + bucket + "/exports/2027-02-03/"); strings.Join(got, " ") != "cheque-1" {
		t.Fatalf("the report from the nightly export: %q", got)
	}
}
