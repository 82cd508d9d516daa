package donate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
)

// Service creates donations.
type Service struct {
	Store    donation.Store
	Checkout donation.Checkout
	Fees     donation.Fees
	Now      func() time.Time
}

// Create validates req, opens a Checkout session and stores the pending donation (with
// its consent record) — in that order, so a Stripe failure stores nothing and every stored
// donation has a session. Validation problems come back as an *httpapi.Error.
func (s Service) Create(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) (donation.Donation, donation.Session, error) {
	now := s.Now().UTC()
	var camp *campaign.Campaign
	// Only a well-formed slug is looked up: anything else names no campaign, and an
	// oversized key would be refused by DynamoDB as a server error.
	if campaign.ValidSlug(req.Campaign) {
		c, err := s.Store.Campaign(ctx, req.Campaign)
		switch {
		case err == nil:
			camp = &c
		case !errors.Is(err, campaign.ErrNotFound):
			return donation.Donation{}, donation.Session{}, fmt.Errorf("load campaign: %w", err)
		}
	}
	if err := req.Check(camp, now).Err(); err != nil {
		return donation.Donation{}, donation.Session{}, err
	}
	d := donation.Donation{
		ID:             ids.New("don"),
		Campaign:       camp.Slug,
		CampaignTitle:  camp.Title(lang),
		Currency:       camp.Currency,
		AmountCents:    req.AmountCents,
		ChargeCents:    req.AmountCents,
		CoverFees:      req.CoverFees,
		Frequency:      req.Frequency,
		FirstName:      req.FirstName,
		LastName:       req.LastName,
		Email:          strings.ToLower(req.Email),
		Language:       string(lang),
		Anonymous:      req.Anonymous,
		ConsentUpdates: req.ConsentUpdates,
		Address:        req.Address,
		Status:         donation.StatusPending,
		CreatedAt:      now,
	}
	if req.CoverFees {
		d.ChargeCents = s.Fees.GrossUp(req.AmountCents)
	}
	sess, err := s.Checkout.DonationSession(ctx, d, *camp)
	if err != nil {
		return donation.Donation{}, donation.Session{}, fmt.Errorf("checkout session: %w", err)
	}
	d.CheckoutID = sess.ID
	var rec *consent.Record
	if req.ConsentUpdates {
		r := consent.Grant(d.Email, d.Language, "donation_form", d.ID, from, now)
		rec = &r
	}
	if err := s.Store.CreateDonation(ctx, d, rec); err != nil {
		return donation.Donation{}, donation.Session{}, fmt.Errorf("store donation: %w", err)
	}
	return d, sess, nil
}
