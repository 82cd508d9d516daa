// Package campaignfn builds the campaign function: an appeal's public progress,
// GET /campaigns/{slug}.
package campaignfn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/campaign"
)

// New is the campaign function's handler.
func New(_ context.Context, e assembly.Env) (campaign.Handler, error) {
	return campaign.Handler{Campaigns: e.Store(e.DB())}, nil
}
