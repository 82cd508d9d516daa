package donation

import "strings"

// Mismatch names what of payment p differs from what d asked Stripe for, comma-separated,
// or "": "amount" when p, in d's currency (Stripe's conversion included), is not d's
// charge; "session" when it came through a Checkout session other than d's. A payment in
// another currency, unconverted, is not compared: it counts in no total (In) and has an
// alarm of its own. Whatever differs, the payment counts as Stripe reports it.
func (p Payment) Mismatch(d Donation) string {
	var diff []string
	if cents, ok := p.In(d.Currency); ok && cents != d.ChargeCents {
		diff = append(diff, "amount")
	}
	if p.SessionID != "" && p.SessionID != d.CheckoutID {
		diff = append(diff, "session")
	}
	return strings.Join(diff, ",")
}
