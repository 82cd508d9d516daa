// Package exportfn builds the export function the nightly schedule runs: a point-in-time
// export of the table to the exports bucket, recorded in the table.
package exportfn

import (
	"context"
	"errors"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/export"
)

// New is the exporter. It needs TABLE_ARN and EXPORT_BUCKET.
func New(_ context.Context, e assembly.Env) (export.Exporter, error) {
	c := e.Config
	if c.TableARN == "" || c.ExportBucket == "" {
		return export.Exporter{}, errors.New("TABLE_ARN and EXPORT_BUCKET must be set")
	}
	db := e.DB()
	return export.Exporter{DB: db, Records: e.Store(db), TableARN: c.TableARN, Bucket: c.ExportBucket, Now: e.Clock(), Exports: db}, nil
}
