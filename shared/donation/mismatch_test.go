package donation

import "testing"

// TestPaymentMismatch: what of a payment differs from its donation's request.
func TestPaymentMismatch(t *testing.T) {
	d := Donation{ID: "don_1", Currency: "cad", AmountCents: 2500, ChargeCents: 2606, CheckoutID: "cs_1"}
	tests := []struct {
		name string
		p    Payment
		want string
	}{
		{"as asked", Payment{AmountCents: 2606, Currency: "cad", SessionID: "cs_1"}, ""},
		{"as asked, in capitals", Payment{AmountCents: 2606, Currency: "CAD", SessionID: "cs_1"}, ""},
		{"an invoice as asked", Payment{AmountCents: 2606, Currency: "cad"}, ""},
		{"the gift without the fees", Payment{AmountCents: 2500, Currency: "cad", SessionID: "cs_1"}, "amount"},
		{"a hundred times more", Payment{AmountCents: 260_600, Currency: "cad", SessionID: "cs_1"}, "amount"},
		{"nothing", Payment{AmountCents: 0, Currency: "cad", SessionID: "cs_1"}, "amount"},
		{"an invoice for less", Payment{AmountCents: 1303, Currency: "cad"}, "amount"},
		{"another session", Payment{AmountCents: 2606, Currency: "cad", SessionID: "cs_2"}, "session"},
		{"another session and amount", Payment{AmountCents: 1, Currency: "cad", SessionID: "cs_2"}, "amount,session"},
		{"converted from the charge", Payment{AmountCents: 30_000_000, Currency: "idr", SourceCents: 2606,
			SourceCurrency: "cad", SessionID: "cs_1"}, ""},
		{"converted from another amount", Payment{AmountCents: 30_000_000, Currency: "idr", SourceCents: 2000,
			SourceCurrency: "cad", SessionID: "cs_1"}, "amount"},
		{"another currency: the currency's alarm, not this", Payment{AmountCents: 2606, Currency: "usd", SessionID: "cs_1"}, ""},
		{"another currency and session", Payment{AmountCents: 1900, Currency: "usd", SessionID: "cs_2"}, "session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Mismatch(d); got != tt.want {
				t.Errorf("Mismatch %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("a donation stored without its session", func(t *testing.T) {
		old := d
		old.CheckoutID = ""
		if got := (Payment{AmountCents: 2606, Currency: "cad", SessionID: "cs_1"}).Mismatch(old); got != "session" {
			t.Errorf("Mismatch %q, want session", got)
		}
	})
}
