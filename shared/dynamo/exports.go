package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// RecordExport keeps the record of the export started on day (UTC), one per day, so
// staff and Athena find each night's export from the table. record is the export's
// record as package export declares it; a retried run on the same day replaces it.
func (s *Store) RecordExport(ctx context.Context, day time.Time, record any) error {
	it, err := item(record, exportPK(day), metaSK, TypeExport)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it}); err != nil {
		return fmt.Errorf("record export: %w", err)
	}
	return nil
}
