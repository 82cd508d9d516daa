package webhook

import (
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
)

// TestPaymentCurrencyFromStripe: the payment handed to the ledger carries what Stripe
// charged (amount_total, currency) and, when Adaptive Pricing converted the session,
// what it converted from (currency_conversion's amount_total and source_currency), so
// the ledger can count it in the campaign's currency.
func TestPaymentCurrencyFromStripe(t *testing.T) {
	monthly := gift
	monthly.Frequency = donation.Monthly
	converted := localpay.SessionCompleted(gift)
	converted["currency"], converted["amount_total"] = "idr", 29_000_000
	converted["currency_conversion"] = map[string]any{"amount_subtotal": 2606, "amount_total": 2606,
		"fx_rate": "11128.16577129700690713737529", "source_currency": "cad"}
	foreign := localpay.SessionCompleted(gift)
	foreign["currency"], foreign["amount_total"] = "usd", 1900
	usdInvoice := localpay.InvoicePaid(monthly, 2, time.Now())
	usdInvoice["currency"], usdInvoice["amount_paid"] = "usd", 1900
	tests := []struct {
		name string
		typ  string
		obj  localpay.Object
		want donation.Payment // the fields checked
	}{
		{"CAD", "checkout.session.completed", localpay.SessionCompleted(gift),
			donation.Payment{AmountCents: 2606, Currency: "cad"}},
		{"converted from CAD", "checkout.session.completed", converted,
			donation.Payment{AmountCents: 29_000_000, Currency: "idr", SourceCents: 2606, SourceCurrency: "cad"}},
		{"USD, unconverted", "checkout.session.completed", foreign,
			donation.Payment{AmountCents: 1900, Currency: "usd"}},
		{"USD invoice", "invoice.paid", usdInvoice,
			donation.Payment{AmountCents: 1900, Currency: "usd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &ledger{}
			if st := signed(Handler{Secret: secret, Ledger: l}, localpay.Event(tt.typ, tt.obj, time.Now())); st != 200 {
				t.Fatalf("status %d", st)
			}
			if len(l.payments) != 1 {
				t.Fatalf("payments %+v", l.payments)
			}
			p := l.payments[0]
			if p.AmountCents != tt.want.AmountCents || p.Currency != tt.want.Currency || p.SourceCents != tt.want.SourceCents ||
				p.SourceCurrency != tt.want.SourceCurrency {
				t.Fatalf("payment %+v, want %+v", p, tt.want)
			}
		})
	}
}
