package donate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
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

// Create validates req (Validate), then opens its Checkout session and stores the
// pending donation (Open). Validation problems come back as an *httpapi.Error.
func (s Service) Create(ctx context.Context, req Request, lang i18n.Lang, from consent.Origin) (donation.Donation, donation.Session, error) {
	camp, err := s.Validate(ctx, &req, lang)
	if err != nil {
		return donation.Donation{}, donation.Session{}, err
	}
	return s.Open(ctx, req, camp, lang, from)
}

// Validate checks req against the campaign it names, and normalizes it: the campaign
// comes back for Open. lang is the request's language (other_amount is read as it
// writes dollars). Field problems come back as an *httpapi.Error; a store failure as
// itself.
func (s Service) Validate(ctx context.Context, req *Request, lang i18n.Lang) (campaign.Campaign, error) {
	var camp *campaign.Campaign
	// Only a well-formed slug is looked up: anything else names no campaign, and an
	// oversized key would be refused by DynamoDB as a server error. The settings are
	// all a gift is checked against: one item, not the appeal's counters.
	if campaign.ValidSlug(req.Campaign) {
		c, err := s.Store.CampaignSettings(ctx, req.Campaign)
		switch {
		case err == nil:
			camp = &c
		case !errors.Is(err, campaign.ErrNotFound):
			return campaign.Campaign{}, fmt.Errorf("load campaign: %w", err)
		}
	}
	if err := req.Check(camp, s.Now().UTC(), lang).Err(); err != nil {
		return campaign.Campaign{}, err
	}
	return *camp, nil
}

// Open opens the Checkout session of a request Validate accepted for camp, then stores
// the pending donation (with its consent record) — in that order, so a Stripe failure
// stores nothing and every stored donation has a session.
func (s Service) Open(ctx context.Context, req Request, camp campaign.Campaign, lang i18n.Lang, from consent.Origin) (donation.Donation, donation.Session, error) {
	now := s.Now().UTC()
	d := donation.Donation{
		ID:             ids.New("don"),
		Campaign:       camp.Slug,
		CounterShards:  camp.Shards(),
		CampaignTitle:  camp.Title(lang),
		Currency:       camp.Currency,
		AmountCents:    req.AmountCents,
		ChargeCents:    req.AmountCents,
		CoverFees:      req.CoverFees,
		Frequency:      req.Frequency,
		FirstName:      req.FirstName,
		LastName:       req.LastName,
		Email:          contact.CanonicalEmail(req.Email),
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
	sess, err := s.Checkout.DonationSession(ctx, d, camp)
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
