package subscribe

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Subscriptions reads stored subscriptions (*dynamo.Store is one).
type Subscriptions interface {
	Subscription(ctx context.Context, id string) (subscription.Subscription, error)
}

// subscriptionID is the shape of a subscription's id (ids.New("subs")): anything else is
// not looked up.
var subscriptionID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^subs_[a-z2-7]{26}$`) })

// thanks answers GET /subscriptions/thanks, where Checkout returns a subscriber who paid,
// with the subscription's id and the Checkout session's (?subscription=…&session_id=…).
// Like the donation's thank-you page, it restates the subscription as the table holds it
// — the plan, its price, whether it is confirmed yet, that the paper will be mailed, the
// receipt's address, masked — only for the subscription's own session and within
// donation.RestateFor of its making; otherwise it is the plain thank-you page. Either way
// it offers the next steps.
func (h Handler) thanks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	httpapi.WriteReturnPage(w, r, httpapi.Result{Name: plainPage(r, "thanks")}, func(lang i18n.Lang) (httpapi.Result, bool) {
		s, ok := h.subscription(r.Context(), q.Get("subscription"), q.Get("session_id"))
		return SubscriptionResult(lang, s, h.Service.Plans), ok
	})
}

// subscription is the subscription id names, if the Checkout session session is its own.
func (h Handler) subscription(ctx context.Context, id, session string) (subscription.Subscription, bool) {
	if h.Subscriptions == nil || !subscriptionID().MatchString(id) || session == "" {
		return subscription.Subscription{}, false
	}
	s, err := h.Subscriptions.Subscription(ctx, id)
	if err != nil {
		if !errors.Is(err, subscription.ErrNotFound) {
			slog.ErrorContext(ctx, "thanks page: load subscription", "err", redact.Error(err))
		}
		return subscription.Subscription{}, false
	}
	now := time.Now
	if h.Service.Now != nil {
		now = h.Service.Now
	}
	if s.IsErased() || !donation.Returned(s.CheckoutID, session, s.CreatedAt, now()) {
		return subscription.Subscription{}, false
	}
	return s, true
}

// plainPage is the page name of a return page (thanks, cancel) that restates nothing:
// dues_<page> when Checkout's address says the plan was members' dues (?kind=dues), else
// sub_<page>.
func plainPage(r *http.Request, page string) string {
	if r.URL.Query().Get("kind") == plan.KindDues {
		return "dues_" + page
	}
	return "sub_" + page
}

// SubscriptionResult is the thank-you page of s in lang: confirmed (active) or being
// confirmed, a subscription to the paper or members' dues, with the plan's name and
// price from plans and, for a mailed plan, where the paper goes. A subscription in any
// other state (it lapsed or failed since) gets the plain page.
func SubscriptionResult(lang i18n.Lang, s subscription.Subscription, plans plan.Catalogue) httpapi.Result {
	kind := "sub"
	if s.Kind == plan.KindDues {
		kind = "dues"
	}
	var name string
	switch s.Status {
	case subscription.StatusActive:
		name = kind + "_thanks_active"
	case subscription.StatusPending:
		name = kind + "_thanks_pending"
	default:
		return httpapi.Result{Name: kind + "_thanks"}
	}
	var details []string
	if p, ok := plans[s.Plan]; ok {
		details = append(details,
			i18n.Text(lang, i18n.M("page.plan.name", p.Name(lang))),
			i18n.Text(lang, i18n.M("page.plan.price."+p.Interval, i18n.Cents(p.AmountCents))))
		if p.Mailed {
			details = append(details, i18n.Text(lang, i18n.M("page.plan.mailed")))
		}
	}
	return httpapi.Result{Name: name, Args: []any{contact.Masked(s.Email)}, Details: details}
}
