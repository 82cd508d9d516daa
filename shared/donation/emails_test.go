package donation

import (
	"reflect"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/subscription"
)

// TestEmails pins each donation email's id, template and data: the templates of package
// mail read these keys, and the ids keep an email from being written twice.
func TestEmails(t *testing.T) {
	d := Donation{ID: "don_1", Campaign: "appeal-2026", CampaignTitle: "Appeal 2026", Currency: "cad", AmountCents: 2500,
		ChargeCents: 2606, Frequency: Monthly, FirstName: "Ana", Email: "ana@example.org", Language: "fr", CustomerID: "cus_1"}
	paidAt := time.Date(2026, 11, 27, 7, 0, 0, 0, time.FixedZone("EST", -5*3600))
	p := Payment{Key: "pi_1", DonationID: d.ID, AmountCents: 2606, Currency: "cad", PaidAt: paidAt}
	noCustomer := d
	noCustomer.CustomerID = ""
	tests := []struct {
		name string
		got  outbox.Email
		want outbox.Email
	}{
		{"receipt", ReceiptEmail(d, p, "SOL-2026-ABCDEFGH"), outbox.Email{
			ID: "receipt_pi_1", Template: outbox.DonationReceipt, Language: "fr", To: "ana@example.org",
			Data: map[string]string{"first_name": "Ana", "campaign_title": "Appeal 2026", "receipt_number": "SOL-2026-ABCDEFGH",
				"amount_cents": "2606", "currency_upper": "CAD", "paid_at": "2026-11-27T12:00:00Z", "frequency": Monthly,
				"donation_id": "don_1"}}},
		{"failed", FailedEmail(d), outbox.Email{
			ID: "failed_don_1", Template: outbox.DonationFailed, Language: "fr", To: "ana@example.org",
			Data: map[string]string{"first_name": "Ana", "campaign_title": "Appeal 2026", "amount_cents": "2606",
				"campaign": "appeal-2026"}}},
		{"monthly payment failed", MonthlyNoticeEmail(d, "evt_1", NoticePaymentFailed), outbox.Email{
			ID: "donation_payment_failed_evt_1", Template: outbox.DonationPaymentFailed, Language: "fr", To: "ana@example.org",
			Data:  map[string]string{"first_name": "Ana", "campaign_title": "Appeal 2026", "amount_cents": "2606"},
			Links: []outbox.Link{subscription.PortalLink("cus_1")}}},
		{"monthly payment failed, no customer", MonthlyNoticeEmail(noCustomer, "evt_2", NoticePaymentFailed), outbox.Email{
			ID: "donation_payment_failed_evt_2", Template: outbox.DonationPaymentFailed, Language: "fr", To: "ana@example.org",
			Data: map[string]string{"first_name": "Ana", "campaign_title": "Appeal 2026", "amount_cents": "2606"}}},
		{"monthly gift ended", MonthlyNoticeEmail(d, "evt_3", NoticeEnded), outbox.Email{
			ID: "donation_ended_evt_3", Template: outbox.DonationEnded, Language: "fr", To: "ana@example.org",
			Data: map[string]string{"first_name": "Ana", "campaign_title": "Appeal 2026", "amount_cents": "2606"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", tt.got, tt.want)
			}
		})
	}
}
