package donation

import "testing"

// TestPaymentIn: a payment counts in the gift's currency only: its own amount when
// Stripe charged that currency, the amount it converted from when it converted from
// it, and nothing otherwise.
func TestPaymentIn(t *testing.T) {
	tests := []struct {
		name     string
		p        Payment
		currency string
		want     int64
		ok       bool
	}{
		{"charged in ours", Payment{AmountCents: 2606, Currency: "cad"}, "cad", 2606, true},
		{"case does not matter", Payment{AmountCents: 2606, Currency: "CAD"}, "cad", 2606, true},
		{"IDR, unconverted", Payment{AmountCents: 29_000_000, Currency: "idr"}, "cad", 0, false},
		{"USD, unconverted", Payment{AmountCents: 1900, Currency: "usd"}, "cad", 0, false},
		{"IDR converted from CAD", Payment{AmountCents: 29_000_000, Currency: "idr", SourceCents: 2606, SourceCurrency: "cad"}, "cad", 2606, true},
		{"converted from another currency", Payment{AmountCents: 29_000_000, Currency: "idr", SourceCents: 1900, SourceCurrency: "usd"}, "cad", 0, false},
		{"charged in ours, a conversion named too", Payment{AmountCents: 2606, Currency: "cad", SourceCents: 1, SourceCurrency: "usd"}, "cad", 2606, true},
		{"no currency of ours", Payment{AmountCents: 2606, Currency: ""}, "", 0, false},
		{"no currency from Stripe", Payment{AmountCents: 2606}, "cad", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := tt.p.In(tt.currency); got != tt.want || ok != tt.ok {
				t.Fatalf("In(%q) = %d %v, want %d %v", tt.currency, got, ok, tt.want, tt.ok)
			}
		})
	}
}
