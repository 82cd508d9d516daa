package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/subscription"
)

type rowFunc func(Item) ([]string, error)

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func cents(n int64) string { return strconv.FormatInt(n, 10) }

var donationColumns = []string{"id", "kind", "created_at", "campaign", "status", "frequency", "amount_cents", "charged_cents",
	"first_name", "last_name", "email", "language", "anonymous", "consent_updates", "method", "received_on",
	"voided", "voided_cents", "voided_at", "voided_by", "void_reason"}

func donationRow(it Item) ([]string, error) {
	d, err := decode[donation.Donation](it)
	if err != nil {
		return nil, err
	}
	return []string{d.ID, "online", date(d.CreatedAt), d.Campaign, d.Status, d.Frequency, cents(d.AmountCents), cents(d.ChargeCents),
		d.FirstName, d.LastName, d.Email, d.Language, strconv.FormatBool(d.Anonymous), strconv.FormatBool(d.ConsentUpdates), "card", "",
		"false", "", "", "", ""}, nil
}

func offlineRow(it Item) ([]string, error) {
	g, err := decode[dynamo.OfflineGift](it)
	if err != nil {
		return nil, err
	}
	first, last, _ := strings.Cut(g.DonorName, " ")
	// A voided gift stays listed, its status voided, with who voided it, when and why. Its
	// amount moves to voided_cents, and amount_cents and charged_cents are left empty: a
	// treasurer who sums the amount column (or a script that sums amount_cents) gets the
	// appeal's total, which counts no voided gift.
	status, amount, voided, voidedAt := "paid", cents(g.AmountCents), "", ""
	if g.Voided {
		status, amount, voided = "voided", "", cents(g.AmountCents)
		if g.VoidedAt != nil {
			voidedAt = date(*g.VoidedAt)
		}
	}
	return []string{g.ID, "offline", date(g.RecordedAt), g.Campaign, status, "once", amount, amount,
		first, last, g.DonorEmail, "", "", "", g.Method, g.ReceivedOn,
		strconv.FormatBool(g.Voided), voided, voidedAt, g.VoidedBy, g.VoidReason}, nil
}

var paymentColumns = []string{"payment_key", "donation_id", "campaign", "amount_cents", "refunded_cents", "net_cents", "currency",
	"paid_at", "receipt_number", "invoice_id", "disputed", "charged_cents", "charged_currency", "foreign_currency",
	"disputed_cents", "plan_id"}

func paymentRow(it Item) ([]string, error) {
	p, err := decode[dynamo.PaymentRecord](it)
	if err != nil {
		return nil, err
	}
	// Net: what Stripe kept, less refunds and what disputes hold (lost, or withdrawn and
	// not yet given back).
	return []string{p.Key, p.DonationID, p.Campaign, cents(p.AmountCents), cents(p.RefundedCents),
		cents(p.AmountCents - p.RefundedCents - p.DisputedCents), p.Currency, date(p.PaidAt), p.ReceiptNumber, p.InvoiceID,
		strconv.FormatBool(p.Disputed), chargedCents(p), p.ChargedCurrency, strconv.FormatBool(p.Foreign),
		cents(p.DisputedCents), p.PlanID}, nil
}

// chargedCents is what Stripe charged in another currency than the campaign's ("" when
// it charged ours): a foreign payment counts zero, and this is its money.
func chargedCents(p dynamo.PaymentRecord) string {
	if p.ChargedCurrency == "" {
		return ""
	}
	return cents(p.ChargedCents)
}

var memberColumns = []string{"email", "first_name", "last_name", "phone", "line1", "line2", "city", "province", "postal_code",
	"branch", "routed_by", "status", "language", "news", "created_at", "confirmed_at", "message"}

func memberRow(it Item) ([]string, error) {
	m, err := decode[member.Member](it)
	if err != nil {
		return nil, err
	}
	confirmed := ""
	if m.ConfirmedAt != nil {
		confirmed = date(*m.ConfirmedAt)
	}
	return []string{m.Email, m.FirstName, m.LastName, m.Phone, m.Address.Line1, m.Address.Line2, m.Address.City,
		m.Address.Province, m.Address.PostalCode, m.Branch, m.RoutedBy, m.Status, m.Language, strconv.FormatBool(m.News),
		date(m.CreatedAt), confirmed, m.Message}, nil
}

var subscriptionColumns = []string{"id", "plan", "kind", "status", "email", "first_name", "last_name", "language", "paid_from",
	"paid_through", "paid_cents", "cancel_at_period_end", "ship_name", "ship_line1", "ship_line2", "ship_city", "ship_state",
	"ship_postal_code", "ship_country", "created_at", "refunded_cents", "disputed_cents", "net_cents"}

func subscriptionRow(it Item) ([]string, error) {
	s, err := decode[subscription.Subscription](it)
	if err != nil {
		return nil, err
	}
	return subscriptionCells(s), nil
}

func subscriptionCells(s subscription.Subscription) []string {
	sh := subscription.Shipping{}
	if s.Shipping != nil {
		sh = *s.Shipping
	}
	return []string{s.ID, s.Plan, s.Kind, s.Status, s.Email, s.FirstName, s.LastName, s.Language, date(s.PaidFrom),
		date(s.PaidThrough), cents(s.PaidCents), strconv.FormatBool(s.CancelAtPeriodEnd), sh.Name, sh.Line1, sh.Line2,
		sh.City, sh.State, sh.PostalCode, sh.Country, date(s.CreatedAt), cents(s.RefundedCents), cents(s.DisputedCents),
		cents(s.NetCents())}
}
