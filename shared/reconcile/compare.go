package reconcile

import (
	"context"
	"fmt"
	"strings"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/webhook"
)

// ourKinds are the "kind" metadata of the records we ask Stripe to charge for (docs/api.md).
var ourKinds = map[string]bool{"donation": true, "subscription": true, "dues": true}

// Ours reports whether metadata is ours: a kind of our records and its record id.
func Ours(meta map[string]string) bool {
	return ourKinds[meta["kind"]] && meta["record_id"] != ""
}

// HeldCents is what a dispute Stripe lists holds of its charge now, in the charge's
// currency (donation.Dispute.HeldCents), its balance transactions counted: money Stripe
// took (negative) and gave back (positive).
func HeldCents(d *stripe.Dispute) int64 { return webhook.DisputeOf(d).HeldCents() }

// Compare is how Stripe's charge c, with its disputes, differs from its payment record
// pr: its amount (in the currency Stripe charged), its refunded total and what its
// disputes hold (both as counted, dynamo.PaymentRecord.Counted).
func Compare(c *stripe.Charge, disputes []*stripe.Dispute, pr dynamo.PaymentRecord) []Difference {
	base := Difference{PaymentKey: pr.Key, ChargeID: c.ID}
	var out []Difference
	add := func(kind string, stripeCents, ledgerCents int64) {
		d := base
		d.Kind, d.Stripe, d.Ledger = kind, stripeCents, ledgerCents
		out = append(out, d)
	}
	amount, currency := pr.AmountCents, pr.Currency
	if pr.ChargedCurrency != "" {
		amount, currency = pr.ChargedCents, pr.ChargedCurrency
	}
	if c.Amount != amount || !strings.EqualFold(string(c.Currency), currency) {
		add(DiffAmount, c.Amount, amount)
	}
	if refunded := pr.Counted(c.AmountRefunded); refunded != pr.RefundedCents {
		add(DiffRefunded, refunded, pr.RefundedCents)
	}
	if held := disputedCents(disputes, pr); held != pr.DisputedCents {
		add(DiffDisputed, held, pr.DisputedCents)
	}
	return out
}

func disputedCents(disputes []*stripe.Dispute, pr dynamo.PaymentRecord) int64 {
	var held int64
	for _, d := range disputes {
		held += pr.Counted(HeldCents(d))
	}
	return held
}

// compare compares the charges of w, and the charges disputed in w, with the ledger.
func (rc Reconciler) compare(ctx context.Context, w Window, rep *Report) error {
	var charges []*stripe.Charge
	inWindow := map[string]bool{}
	if err := rc.Stripe.Charges(ctx, w, func(c *stripe.Charge) error {
		charges = append(charges, c)
		inWindow[c.ID] = true
		return nil
	}); err != nil {
		return fmt.Errorf("list Stripe's charges: %w", err)
	}
	rep.Charges = len(charges)
	// Disputes opened in w on charges of before it: their charges' disputes compare too.
	type older struct{ charge, payment string }
	var disputedBefore []older
	seen := map[string]bool{}
	if err := rc.Stripe.Disputes(ctx, w, "", func(d *stripe.Dispute) error {
		if d.Charge != nil && d.Charge.ID != "" && !inWindow[d.Charge.ID] && !seen[d.Charge.ID] {
			seen[d.Charge.ID] = true
			disputedBefore = append(disputedBefore, older{d.Charge.ID, webhook.PaymentIntentID(d.PaymentIntent)})
		}
		return nil
	}); err != nil {
		return fmt.Errorf("list Stripe's disputes: %w", err)
	}
	for _, c := range charges {
		switch {
		case c.Livemode != rc.Live:
			rep.NotOurs++
			continue
		case c.Status != stripe.ChargeStatusSucceeded:
			rep.Unpaid++
			continue
		case c.Created > w.To.Add(-Settle).Unix():
			rep.Recent++
			continue
		}
		key := webhook.PaymentIntentID(c.PaymentIntent)
		var pr dynamo.PaymentRecord
		found := false
		if key != "" {
			var err error
			if pr, found, err = rc.Ledger.Payment(ctx, key); err != nil {
				return err
			}
		}
		if !found {
			ours := Ours(c.Metadata)
			if ours {
				// Ours by its metadata, and of this deployment (another stack on the same
				// account sets the same metadata).
				var err error
				if ours, err = rc.Ledger.RecordExists(ctx, c.Metadata["kind"], c.Metadata["record_id"]); err != nil {
					return err
				}
			}
			if ours {
				rep.Differences = append(rep.Differences, Difference{Kind: DiffMissingPayment, PaymentKey: key, ChargeID: c.ID, Stripe: c.Amount})
			} else {
				rep.NotOurs++
			}
			continue
		}
		var disputes []*stripe.Dispute
		if c.Disputed {
			var err error
			if disputes, err = rc.disputesOf(ctx, w, c.ID); err != nil {
				return err
			}
		}
		rep.Compared++
		rep.Differences = append(rep.Differences, Compare(c, disputes, pr)...)
	}
	for _, o := range disputedBefore {
		if o.payment == "" {
			continue
		}
		pr, found, err := rc.Ledger.Payment(ctx, o.payment)
		if err != nil {
			return err
		}
		if !found {
			continue // not ours, or its charge's own run reports it
		}
		disputes, err := rc.disputesOf(ctx, w, o.charge)
		if err != nil {
			return err
		}
		if held := disputedCents(disputes, pr); held != pr.DisputedCents {
			rep.Differences = append(rep.Differences, Difference{Kind: DiffDisputed, PaymentKey: o.payment, ChargeID: o.charge,
				Stripe: held, Ledger: pr.DisputedCents})
		}
	}
	return nil
}

func (rc Reconciler) disputesOf(ctx context.Context, w Window, charge string) ([]*stripe.Dispute, error) {
	var out []*stripe.Dispute
	err := rc.Stripe.Disputes(ctx, w, charge, func(d *stripe.Dispute) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the disputes of charge %s: %w", charge, err)
	}
	return out, nil
}
