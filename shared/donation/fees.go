package donation

// Fees is the card pricing a donor may choose to cover: a share of the charge in basis
// points plus a fixed amount (Stripe Canada, domestic cards: 2.9% + 30¢).
type Fees struct {
	PercentBps int64
	FixedCents int64
}

// StripeCanada is Stripe's standard domestic card pricing in Canada.
var StripeCanada = Fees{PercentBps: 290, FixedCents: 30}

// GrossUp returns the charge that leaves the organization net cents after fees: the
// smallest c with c - Fee(c) >= net, solved as ceil((net + fixed) / (1 - pct)).
func (f Fees) GrossUp(net int64) int64 {
	num := (net + f.FixedCents) * 10_000
	den := 10_000 - f.PercentBps
	return (num + den - 1) / den
}

// Fee is what the card processor keeps of a charge, rounded to the nearest cent.
func (f Fees) Fee(charge int64) int64 {
	return (charge*f.PercentBps+5_000)/10_000 + f.FixedCents
}
