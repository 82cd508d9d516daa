package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The nightly export keeps one record a day (UTC) in the table, so staff and Athena find
// each night's export from it, and so the export function starts one export a day
// whatever retries and races it meets (package export says how). record is the export's
// record as package export declares it.

// ExportRecord reads the record of day's export into record, reporting whether the day
// has one. The read is strongly consistent: it decides whether an export starts.
func (s *Store) ExportRecord(ctx context.Context, day time.Time, record any) (bool, error) {
	return s.get(ctx, exportPK(day), metaSK, record)
}

// ClaimExport writes record as the record of day's export, unless the day has one
// already: then it reports false and changes nothing.
func (s *Store) ClaimExport(ctx context.Context, day time.Time, record any) (bool, error) {
	put, err := s.put(record, exportPK(day), metaSK, TypeExport)
	if err != nil {
		return false, err
	}
	return s.putNew(ctx, put, "export claim")
}

// RecordExport sets the ARN and status of the export started for day's record. A record
// that holds the same ARN is updated (a retry); one that is missing or holds another ARN
// is left as it is, with an error.
func (s *Store) RecordExport(ctx context.Context, day time.Time, arn, status string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table), Key: key(exportPK(day), metaSK),
		UpdateExpression:          aws.String("SET export_arn = :arn, #status = :status"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND (attribute_not_exists(export_arn) OR export_arn = :arn)"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":arn": str(arn), ":status": str(status)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("record export of %s: the day's record is missing or names another export", day.UTC().Format(time.DateOnly))
	}
	if err != nil {
		return fmt.Errorf("record export: %w", err)
	}
	return nil
}
