// Package donatefn builds the donate function: POST /donations and the pages Checkout
// returns to.
package donatefn

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/checkout"
	"github.com/solidarity/solidarity/shared/donate"
	"github.com/solidarity/solidarity/shared/donation"
)

// New is the donate function's handler.
func New(ctx context.Context, e assembly.Env) (donate.Handler, error) {
	f, err := checkout.NewForm(ctx, e, "donations")
	if err != nil {
		return donate.Handler{}, err
	}
	fees := donation.Fees{PercentBps: e.Config.FeePercentBps, FixedCents: e.Config.FeeFixedCents}
	return donate.Handler{
		Guard:     f.Guard,
		Service:   donate.Service{Store: f.Store, Checkout: f.Checkout, Fees: fees, Now: e.Clock()},
		ThanksURL: e.Config.PublicURL + "/donations/thanks",
		Gifts:     f.Store,
	}, nil
}
