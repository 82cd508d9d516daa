package functions_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/solidarity/solidarity/shared/export"
)

// TestExportUnderTheEmulator invokes the export bootstrap with a recorded schedule event:
// moto writes a real export of the table to S3, the export is recorded, and the staff
// reader reads back every item of the table from it.
func TestExportUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	db := s.env.DB()
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.ToLower(strings.ReplaceAll(s.table, "_", "-"))
	if len(bucket) > 60 {
		bucket = bucket[:60]
	}
	s3c := s3.NewFromConfig(s.env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintCaCentral1}}); err != nil {
		t.Fatal(err)
	}
	vars := append(s.vars, "TABLE_ARN="+aws.ToString(desc.Table.TableArn), "EXPORT_BUCKET="+bucket)
	out := startRIE(t, filepath.Join(bootstraps(t), "export", "bootstrap"), vars).invoke(t, recorded(t, "schedule.json"))
	var rec struct {
		ARN    string `json:"ARN"`
		Prefix string `json:"Prefix"`
	}
	if err := json.Unmarshal(out, &rec); err != nil || rec.ARN == "" || !strings.HasPrefix(rec.Prefix, "exports/") {
		t.Fatalf("export: %s", out)
	}
	recorded, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "EXPORT#" + strings.TrimPrefix(rec.Prefix, "exports/")}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
	if err != nil || recorded.Item == nil {
		t.Fatalf("no export record: %v", err)
	}

	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := export.Wait(wait, db, rec.ARN, 100*time.Millisecond); err != nil { // moto exports in the background
		t.Fatal(err)
	}
	src := export.S3{Client: s3c, Bucket: bucket, Prefix: rec.Prefix}
	files, err := export.Locate(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	if err := (export.Reader{Source: src}).Read(ctx, files, func(it export.Item) error {
		exported[it["pk"].(*types.AttributeValueMemberS).Value+"|"+it["sk"].(*types.AttributeValueMemberS).Value] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	if err := export.ScanTable(ctx, db, s.table, 3, func(it export.Item) error {
		live[it["pk"].(*types.AttributeValueMemberS).Value+"|"+it["sk"].(*types.AttributeValueMemberS).Value] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The day's record is claimed before the export starts, so the export holds it too.
	if !exported["EXPORT#"+strings.TrimPrefix(rec.Prefix, "exports/")+"|META"] {
		t.Fatal("the export does not hold the day's record")
	}
	if len(exported) == 0 || len(exported) != len(live) {
		t.Fatalf("exported %d items, the table has %d", len(exported), len(live))
	}
	for k := range live {
		if !exported[k] {
			t.Fatalf("%s is not in the export", k)
		}
	}
}
