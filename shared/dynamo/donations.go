package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
)

// CreateDonation stores a pending donation and, when the donor agreed to news, the
// consent record, in one transaction; with, for an address that opted out of news, the
// email asking to confirm (see createAsking).
func (s *Store) CreateDonation(ctx context.Context, d donation.Donation, c *consent.Record) error {
	put, err := s.put(d, donationPK(d.ID), metaSK, TypeDonation)
	if err != nil {
		return err
	}
	put.Item["gsi1pk"] = str(personPK(d.Email))
	put.Item["gsi1sk"] = str("DONATION#" + d.CreatedAt.Format(time.RFC3339) + "#" + d.ID)
	if d.Status == donation.StatusPending { // deleted by the TTL unless paid (PendingRetention)
		put.Item[TTLAttribute] = pendingExpiresAt(d.CreatedAt)
	}
	items := []types.TransactWriteItem{{Put: put}}
	if c != nil {
		cput, err := s.put(c, personPK(c.Email), "CONSENT#"+c.At.Format(time.RFC3339Nano)+"#"+c.SourceID, TypeConsent)
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: cput})
	}
	err = s.createAsking(ctx, items, c) // for an address that opted out, asks by email instead
	if err != nil {
		return fmt.Errorf("create donation: %w", err)
	}
	return nil
}

// Donation reads a donation, or donation.ErrNotFound.
func (s *Store) Donation(ctx context.Context, id string) (donation.Donation, error) {
	var d donation.Donation
	found, err := s.get(ctx, donationPK(id), metaSK, &d)
	if err == nil && !found {
		err = donation.ErrNotFound
	}
	return d, err
}
