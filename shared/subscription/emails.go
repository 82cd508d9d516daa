package subscription

import (
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/token"
)

// PortalTTL is how long an emailed link to the customer portal works.
const PortalTTL = 24 * time.Hour

// PortalLink is the single-use link to the Stripe customer portal of a customer, minted
// by the mailer when the email goes out.
func PortalLink(customerID string) outbox.Link {
	return outbox.Link{Name: "portal_url", Purpose: token.Portal, Path: "/portal", Subject: customerID,
		TTLSecs: int64(PortalTTL / time.Second)}
}

// MaxPortalLinks is how many customers' portals one email links to: one per subscription
// or monthly gift, since each Checkout makes its own Stripe customer.
const MaxPortalLinks = 5

// PortalLinks are the links of a portal email to each of customers' portals (the first
// MaxPortalLinks): portal_url, then portal_2_url, portal_3_url… (an email's links are
// the data whose keys end in _url).
func PortalLinks(customers []string) []outbox.Link {
	var out []outbox.Link
	for i, c := range customers[:min(len(customers), MaxPortalLinks)] {
		l := PortalLink(c)
		if i > 0 {
			l.Name = "portal_" + strconv.Itoa(i+1) + "_url"
		}
		out = append(out, l)
	}
	return out
}

// Email is the email e owes for c, if any. Its id is the event's, so each real event
// sends its email once, whatever the order of deliveries.
func Email(e Effect, c Change, p plan.Plan) *outbox.Email {
	if e.Notify == "" || e.Subscription.IsErased() {
		return nil // nothing owed, or no one left to tell
	}
	s := e.Subscription
	lang, _ := i18n.Parse(s.Language)
	data := map[string]string{
		"first_name": s.FirstName, "plan_name": p.Name(lang), "kind": p.Kind, "interval": p.Interval,
		"amount_cents": strconv.FormatInt(p.AmountCents, 10), "currency_upper": strings.ToUpper(p.Currency),
		"mailed": strconv.FormatBool(p.Mailed),
	}
	if !s.PaidThrough.IsZero() {
		data["paid_through"] = s.PaidThrough.Format(time.RFC3339)
	}
	out := &outbox.Email{ID: "plan_" + e.Notify + "_" + c.EventID, Template: "plan_" + e.Notify,
		Language: string(lang), To: s.Email, Data: data}
	switch e.Notify {
	case "receipt":
		data["amount_cents"] = strconv.FormatInt(c.AmountCents, 10)
		data["currency_upper"] = strings.ToUpper(c.Currency)
		data["receipt_number"] = ReceiptNumber(c.InvoiceID, c.PeriodStart)
		data["period_start"] = c.PeriodStart.UTC().Format(time.RFC3339)
		data["period_end"] = c.PeriodEnd.UTC().Format(time.RFC3339)
	case "renewal_reminder":
		if p.Interval != "year" {
			return nil // monthly plans renew too often for a reminder each time
		}
		data["amount_cents"] = strconv.FormatInt(c.AmountCents, 10)
		data["renews_on"] = c.PeriodStart.UTC().Format(time.RFC3339)
	case "payment_failed":
		if s.CustomerID != "" {
			out.Links = []outbox.Link{PortalLink(s.CustomerID)}
		}
	}
	return out
}

// ReceiptNumber is a plan payment's receipt number: the year and the invoice's id.
func ReceiptNumber(invoiceID string, at time.Time) string {
	return "SOL-" + strconv.Itoa(at.UTC().Year()) + "-" + invoiceID
}
