package donate

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
	"github.com/solidarity/solidarity/shared/redact"
)

// Gifts reads stored donations (*dynamo.Store is one).
type Gifts interface {
	Donation(ctx context.Context, id string) (donation.Donation, error)
}

// giftID is the shape of a donation's id (ids.New("don")): anything else is not looked up.
var giftID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^don_[a-z2-7]{26}$`) })

// thanks answers GET /donations/thanks, where Checkout returns a donor who paid, with the
// gift's id and the Checkout session's (?gift=…&session_id=…, Stripe filling the latter
// in). It restates the gift as the ledger holds it — its amount and frequency, the fees
// covered, the appeal, whether the payment is confirmed yet, and the receipt's address,
// masked — only when the session is the gift's own: the session id is the secret only
// Checkout's return carries, so a stranger's link shows nobody's gift. Without one, or
// for a gift not found, erased or of another session, it is the plain thank-you page.
// Either way it offers the next steps (join, subscribe, the appeal).
func (h Handler) thanks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	httpapi.WriteReturnPage(w, r, httpapi.Result{Name: "thanks"}, func(lang i18n.Lang) (httpapi.Result, bool) {
		d, ok := h.gift(r.Context(), q.Get("gift"), q.Get("session_id"))
		return GiftResult(lang, d), ok
	})
}

// gift is the donation id names, if the Checkout session session is its own.
func (h Handler) gift(ctx context.Context, id, session string) (donation.Donation, bool) {
	if h.Gifts == nil || !giftID().MatchString(id) || session == "" {
		return donation.Donation{}, false
	}
	d, err := h.Gifts.Donation(ctx, id)
	if err != nil {
		if !errors.Is(err, donation.ErrNotFound) {
			slog.ErrorContext(ctx, "thanks page: load donation", "err", redact.Error(err))
		}
		return donation.Donation{}, false
	}
	now := time.Now
	if h.Service.Now != nil {
		now = h.Service.Now
	}
	if d.IsErased() || !donation.Returned(d.CheckoutID, session, d.CreatedAt, now()) {
		return donation.Donation{}, false
	}
	return d, true
}

// GiftResult is the thank-you page of d in lang: confirmed (paid), failed, or being
// confirmed, with its amount and frequency, the fees it covers and its appeal.
func GiftResult(lang i18n.Lang, d donation.Donation) httpapi.Result {
	name := "thanks_pending"
	switch d.Status {
	case donation.StatusPaid:
		name = "thanks_paid"
	case donation.StatusFailed:
		name = "thanks_failed"
	}
	amount := "page.gift.once"
	if d.Frequency == donation.Monthly {
		amount = "page.gift.monthly"
	}
	details := []string{i18n.Text(lang, i18n.M(amount, i18n.Cents(d.ChargeCents)))}
	if d.CoverFees && d.ChargeCents > d.AmountCents {
		details = append(details, i18n.Text(lang, i18n.M("page.gift.fees", i18n.Cents(d.ChargeCents-d.AmountCents))))
	}
	if d.CampaignTitle != "" {
		details = append(details, i18n.Text(lang, i18n.M("page.gift.campaign", d.CampaignTitle)))
	}
	res := httpapi.Result{Name: name, Details: details}
	if name != "thanks_failed" {
		res.Args = []any{contact.Masked(d.Email)}
	}
	return res
}
