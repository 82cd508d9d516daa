package localpay

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/payment"
)

// Checkout wraps the real Checkout (talking to stripe-mock, which validates every
// parameter) and sends the payer to the local checkout page instead of Stripe's.
type Checkout struct {
	Stripe  assembly.Sessions
	BaseURL string
}

// DonationSession implements donation.Checkout.
func (c Checkout) DonationSession(ctx context.Context, d donation.Donation, camp campaign.Campaign) (donation.Session, error) {
	if _, err := c.Stripe.DonationSession(ctx, d, camp); err != nil {
		return donation.Session{}, err
	}
	return donation.Session{ID: SessionID(d), URL: c.BaseURL + "/_local/checkout/" + url.PathEscape(d.ID)}, nil
}

// Donations reads donations for the page.
type Donations interface {
	Donation(ctx context.Context, id string) (donation.Donation, error)
}

// Page is the local checkout page and its buttons.
type Page struct {
	Donations  Donations
	WebhookURL string
	Secret     string
	PublicURL  string
	Client     *http.Client

	mu       sync.Mutex
	months   map[string]int   // monthly gifts: invoices paid so far
	refunded map[string]int64 // payment intent: refunded so far
}

//go:embed checkout.html
var pageFS embed.FS

var pageTmpl = template.Must(template.New("checkout.html").Funcs(template.FuncMap{
	"money": func(lang string, c int64) string { return i18n.FormatCents(i18n.Lang(lang), c) },
}).ParseFS(pageFS, "checkout.html"))

// Routes mounts the page.
func (p *Page) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_local/checkout/{id}", p.show)
	mux.HandleFunc("POST /_local/checkout/{id}/{action}", p.act)
}

func (p *Page) show(w http.ResponseWriter, r *http.Request) {
	d, err := p.Donations.Donation(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, "unknown donation", http.StatusNotFound)
		return
	}
	p.mu.Lock()
	months, refunded := p.months[d.ID], p.refunded[PaymentIntentID(d)]
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, map[string]any{"D": d, "Months": months, "Refunded": refunded})
}

func (p *Page) act(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := p.Donations.Donation(ctx, r.PathValue("id"))
	if err != nil {
		http.Error(w, "unknown donation", http.StatusNotFound)
		return
	}
	now := time.Now()
	var events [][]byte
	p.mu.Lock()
	if p.months == nil {
		p.months, p.refunded = map[string]int{}, map[string]int64{}
	}
	switch r.PathValue("action") {
	case "pay":
		events = append(events, Event("checkout.session.completed", SessionCompleted(d), now))
		if d.Frequency == donation.Monthly {
			p.months[d.ID]++
			events = append(events, Event("invoice.paid", InvoicePaid(d, p.months[d.ID], now), now))
		}
	case "renew":
		p.months[d.ID]++
		events = append(events, Event("invoice.paid", InvoicePaid(d, p.months[d.ID], now), now))
	case "decline":
		events = append(events, Event("checkout.session.async_payment_failed", SessionAsyncFailed(d), now))
	case "refund":
		amount, _ := strconv.ParseInt(r.FormValue("amount_cents"), 10, 64)
		pi := PaymentIntentID(d)
		if d.Frequency == donation.Monthly {
			pi = InvoicePaymentIntentID(d, 1)
		}
		p.refunded[pi] = min(p.refunded[pi]+amount, d.ChargeCents)
		events = append(events, Event("charge.refunded", ChargeRefunded(pi, d.ChargeCents, p.refunded[pi], d.Currency), now))
	default:
		p.mu.Unlock()
		http.Error(w, "unknown action", http.StatusNotFound)
		return
	}
	p.mu.Unlock()
	for _, ev := range events {
		if err := p.Deliver(ctx, ev); err != nil {
			slog.ErrorContext(ctx, "local webhook delivery", "err", err)
			http.Error(w, "the webhook endpoint refused the event: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	// Where Stripe returns a payer: the success URL, with the session's id filled in.
	next := p.PublicURL + "/donations/thanks?" + withSession(payment.ThanksQuery(d), d.CheckoutID)
	if r.PathValue("action") != "pay" {
		next = "/_local/checkout/" + url.PathEscape(d.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// Deliver posts a signed event to the webhook endpoint, as Stripe does.
func (p *Page) Deliver(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", Sign(payload, p.Secret, time.Now()))
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// withSession is a success URL's query with the Checkout session's id filled in, as
// Stripe fills it in on the way back.
func withSession(query, session string) string {
	return strings.Replace(query, "{CHECKOUT_SESSION_ID}", url.QueryEscape(session), 1)
}
