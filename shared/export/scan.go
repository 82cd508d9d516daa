package export

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Scanner is the part of the DynamoDB client a live scan uses.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// ScanTable sends every item of the live table to fn (from one goroutine at a time),
// reading segments in parallel.
func ScanTable(ctx context.Context, db Scanner, table string, segments int, fn func(Item) error) error {
	if segments < 1 {
		segments = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan []Item, segments)
	errs := make(chan error, segments)
	var wg sync.WaitGroup
	for seg := 0; seg < segments; seg++ {
		wg.Add(1)
		go func(seg int) {
			defer wg.Done()
			p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
				TableName: aws.String(table), Segment: aws.Int32(int32(seg)), TotalSegments: aws.Int32(int32(segments)),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					errs <- fmt.Errorf("scan segment %d: %w", seg, err)
					return
				}
				select {
				case pages <- page.Items:
				case <-ctx.Done():
					return
				}
			}
		}(seg)
	}
	go func() { wg.Wait(); close(pages) }()
	var err error
	for page := range pages {
		for _, it := range page {
			if err == nil {
				if err = fn(it); err != nil {
					cancel()
				}
			}
		}
	}
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
		return err
	default:
		return nil
	}
}
