package localpay

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Subscriptions reads subscriptions for the page.
type Subscriptions interface {
	Subscription(ctx context.Context, id string) (subscription.Subscription, error)
}

// PlanPage is the local checkout page of a subscription: Pay sends what Stripe sends when
// Checkout completes (the session, the first invoice paid); its other buttons send a
// renewal, a failed payment and its recovery, the reminder before a renewal, a
// cancellation at period end, the end, and an address change made in the portal.
type PlanPage struct {
	Subscriptions Subscriptions
	Plans         plan.Catalogue
	Deliverer     *Page // signs and delivers the events

	mu      sync.Mutex
	periods map[string]int // invoices issued so far
}

var planTmpl = template.Must(template.New("plan").Parse(`<!doctype html>
<html lang="{{.S.Language}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Local checkout — {{.P.NameEN}}</title>
<style>*{box-sizing:border-box}body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
form{display:inline}button{margin:.25rem;padding:.5rem 1rem;font-size:1rem}fieldset{margin:1rem 0;min-width:0}
input,select,button{max-width:100%}p,h1{overflow-wrap:anywhere}</style></head>
<body><main><h1>Local checkout (stands in for Stripe)</h1>
<p><strong>{{.P.NameEN}}</strong> · {{.P.NameFR}} — {{.S.Email}}</p>
<p>Status: {{.S.Status}} · paid through: {{if .S.PaidThrough.IsZero}}—{{else}}{{.S.PaidThrough.Format "2006-01-02"}}{{end}} · invoices: {{.Periods}}</p>
{{if eq .S.Status "pending"}}
<form method="post" action="/_local/plan/{{.S.ID}}/pay">
{{if .P.Mailed}}<fieldset><legend>Shipping address</legend>
<label>Name <input name="name" value="{{.S.FirstName}} {{.S.LastName}}"></label><br>
<label>Address <input name="line1" value="1234 rue Saint-Denis"></label><br>
<label>City <input name="city" value="Montréal"></label>
<label>Province/State <input name="state" value="QC" size="3"></label><br>
<label>Postal code <input name="postal_code" value="H2X 1Y4" size="8"></label>
<label>Country <select name="country"><option>CA</option><option>US</option></select></label></fieldset>{{end}}
<button>Pay</button></form>
{{else}}
{{range .Actions}}<form method="post" action="/_local/plan/{{$.S.ID}}/{{.}}"><button>{{.}}</button></form>{{end}}
{{end}}
</main></body></html>`))

// Routes mounts the page.
func (p *PlanPage) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_local/plan/{id}", p.show)
	mux.HandleFunc("POST /_local/plan/{id}/{action}", p.act)
}

func (p *PlanPage) show(w http.ResponseWriter, r *http.Request) {
	s, err := p.Subscriptions.Subscription(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, "unknown subscription", http.StatusNotFound)
		return
	}
	p.mu.Lock()
	n := p.periods[s.ID]
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = planTmpl.Execute(w, map[string]any{"S": s, "P": p.Plans[s.Plan], "Periods": n,
		"Actions": []string{"renew", "fail", "recover", "upcoming", "cancel", "end", "move"}})
}

func (p *PlanPage) act(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, err := p.Subscriptions.Subscription(ctx, r.PathValue("id"))
	if err != nil {
		http.Error(w, "unknown subscription", http.StatusNotFound)
		return
	}
	pl := p.Plans[s.Plan]
	now := time.Now()
	p.mu.Lock()
	if p.periods == nil {
		p.periods = map[string]int{}
	}
	n := p.periods[s.ID]
	var events [][]byte
	switch r.PathValue("action") {
	case "pay":
		var sh *subscription.Shipping
		if pl.Mailed {
			sh = &subscription.Shipping{Name: r.FormValue("name"), Line1: r.FormValue("line1"), City: r.FormValue("city"),
				State: r.FormValue("state"), PostalCode: r.FormValue("postal_code"), Country: r.FormValue("country")}
		}
		n = 1
		events = append(events, Event("checkout.session.completed", PlanSessionCompleted(s, sh), now),
			Event("invoice.paid", PlanInvoice(s, pl, 1, true), now))
	case "renew":
		n++
		events = append(events, Event("invoice.paid", PlanInvoice(s, pl, n, true), now))
	case "fail":
		n++
		events = append(events, Event("invoice.payment_failed", PlanInvoice(s, pl, n, false), now),
			Event("customer.subscription.updated", PlanSubscription(s, subscription.StatusPastDue, false), now))
	case "recover":
		events = append(events, Event("invoice.paid", PlanInvoice(s, pl, max(n, 1), true), now),
			Event("customer.subscription.updated", PlanSubscription(s, subscription.StatusActive, false), now))
	case "upcoming":
		events = append(events, Event("invoice.upcoming", UpcomingInvoice(s, pl, n+1), now))
	case "cancel":
		events = append(events, Event("customer.subscription.updated", PlanSubscription(s, subscription.StatusActive, true), now))
	case "end":
		events = append(events, Event("customer.subscription.deleted", PlanSubscription(s, subscription.StatusCanceled, true), now))
	case "move":
		events = append(events, Event("customer.updated", CustomerWithShipping(s, subscription.Shipping{Name: s.FirstName + " " + s.LastName,
			Line1: "99 rue Principale", City: "Laval", State: "QC", PostalCode: "H7N 1A1", Country: "CA"}), now))
	default:
		p.mu.Unlock()
		http.Error(w, "unknown action", http.StatusNotFound)
		return
	}
	p.periods[s.ID] = n
	p.mu.Unlock()
	for _, ev := range events {
		if err := p.Deliverer.Deliver(ctx, ev); err != nil {
			slog.ErrorContext(ctx, "local webhook delivery", "err", err)
			http.Error(w, "the webhook endpoint refused the event: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	next := p.Deliverer.PublicURL + "/subscriptions/thanks?" + withSession(payment.PlanThanksQuery(s), s.CheckoutID)
	if r.PathValue("action") != "pay" {
		next = "/_local/plan/" + url.PathEscape(s.ID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
