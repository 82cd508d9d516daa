package donation

import (
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/subscription"
)

// ReceiptEmail is the receipt for p, a confirmed payment of d, numbered receiptNumber.
// Its id is the payment's, so the same money reported twice is receipted once.
func ReceiptEmail(d Donation, p Payment, receiptNumber string) outbox.Email {
	return outbox.Email{
		ID: "receipt_" + p.Key, Template: outbox.DonationReceipt, Language: d.Language, To: d.Email,
		Data: map[string]string{
			"first_name": d.FirstName, "campaign_title": d.CampaignTitle,
			"receipt_number": receiptNumber, "amount_cents": strconv.FormatInt(p.AmountCents, 10),
			"currency_upper": strings.ToUpper(p.Currency), "paid_at": p.PaidAt.UTC().Format(time.RFC3339),
			"frequency": d.Frequency, "donation_id": d.ID,
		},
	}
}

// FailedEmail tells the donor that d's delayed payment was declined; the mailer adds
// the link to give again (retry_url).
func FailedEmail(d Donation) outbox.Email {
	return outbox.Email{
		ID: "failed_" + d.ID, Template: outbox.DonationFailed, Language: d.Language, To: d.Email,
		Data: map[string]string{
			"first_name": d.FirstName, "campaign_title": d.CampaignTitle,
			"amount_cents": strconv.FormatInt(d.ChargeCents, 10), "campaign": d.Campaign,
		},
	}
}

// MonthlyNoticeEmail tells a monthly donor of d what happened to their gift (a Notice…),
// as the event eventID reported it: its id is the event's, so each event tells once. A
// failed payment carries a link to fix the card in the customer portal, when Stripe's
// customer is known.
func MonthlyNoticeEmail(d Donation, eventID, notice string) outbox.Email {
	template := outbox.DonationEnded
	if notice == NoticePaymentFailed {
		template = outbox.DonationPaymentFailed
	}
	// The id keeps the shape "donation_<notice>_<event>" that stored emails already have.
	e := outbox.Email{ID: "donation_" + notice + "_" + eventID, Template: template, Language: d.Language, To: d.Email,
		Data: map[string]string{"first_name": d.FirstName, "campaign_title": d.CampaignTitle,
			"amount_cents": strconv.FormatInt(d.ChargeCents, 10)}}
	if notice == NoticePaymentFailed && d.CustomerID != "" {
		e.Links = []outbox.Link{subscription.PortalLink(d.CustomerID)}
	}
	return e
}
