package report_test

import (
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/report"
)

// TestPaymentsInAnotherCurrency: the payments report shows what Stripe charged in
// another currency beside the CAD counted, and the appeal's totals count only CAD: an
// IDR and a USD payment, never converted, add nothing; a converted one adds its CAD.
func TestPaymentsInAnotherCurrency(t *testing.T) {
	paid := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	items := []report.Item{
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_cad", Campaign: "appeal-2024", AmountCents: 2606, Currency: "cad", PaidAt: paid}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_idr", Campaign: "appeal-2024", Currency: "cad", PaidAt: paid,
			ChargedCents: 29_000_000, ChargedCurrency: "idr", Foreign: true}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_usd", Campaign: "appeal-2024", Currency: "cad", PaidAt: paid,
			ChargedCents: 1900, ChargedCurrency: "usd", Foreign: true}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_conv", Campaign: "appeal-2024", AmountCents: 2606, Currency: "cad", PaidAt: paid,
			ChargedCents: 29_000_000, ChargedCurrency: "idr"}),
	}
	header, rs := rows(t, "payments", report.Options{}, items...)
	equalRows(t, columns(t, header, rs, "payment_key", "amount_cents", "currency", "charged_cents", "charged_currency", "foreign_currency"),
		[][]string{
			{"pi_cad", "2606", "cad", "", "", "false"},
			{"pi_idr", "0", "cad", "29000000", "idr", "true"},
			{"pi_usd", "0", "cad", "1900", "usd", "true"},
			{"pi_conv", "2606", "cad", "29000000", "idr", "false"},
		})
	_, rs = rows(t, "appeal", report.Options{Campaign: "appeal-2024"}, items...)
	equalRows(t, rs, [][]string{
		{"2026-11-26", "5212", "0", "0", "0", "5212", "0"},
		{"total", "5212", "0", "0", "0", "5212", "0"},
	})
}
