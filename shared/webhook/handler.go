// Package webhook receives Stripe's signed events and applies them: payments, monthly
// renewals, failures, refunds and disputes. Every change is idempotent and order-free;
// amounts come from Stripe's objects, never from the browser.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/redact"
)

// MaxPayload is the largest event body read. Stripe's events are a few KiB; this leaves
// room for large invoices.
const MaxPayload = 512 << 10

// Handler answers POST /webhooks/stripe.
type Handler struct {
	// Secret is the signing-secret setting: one secret, or several (newest first, see
	// ParseSecrets) while a secret is rotated; an event signed by any of them is accepted.
	Secret string
	// Secrets, if set, is where the secrets are read (and read again), in Secret's stead.
	Secrets *SecretSource
	Ledger  donation.Ledger
	// Subscriptions follows subscriptions and dues, priced by Plans. Without it, their
	// events are acknowledged and ignored.
	Subscriptions Subscriptions
	Plans         plan.Catalogue
	// Tolerance is how old a signature may be; zero means stripe-go's default (5 min).
	Tolerance time.Duration
	// Live is the deployment's Stripe mode (STRIPE_MODE): events whose livemode differs
	// are refused, so a test-mode event never counts in production, nor the reverse.
	Live bool
}

// Applier is the handler without signing secrets, in the deployment's mode (live): what
// applies an event once it is known to be Stripe's (Apply), for the webhook (which adds
// its secrets) and the reconciliation (which reads events from Stripe's API with the key).
// Plans are the default catalogue.
func Applier(ledger donation.Ledger, subs Subscriptions, live bool) Handler {
	return Handler{Ledger: ledger, Subscriptions: subs, Plans: plan.Default(), Live: live}
}

// ServeHTTP verifies the signature, then applies the event. Answers: 400 for a bad or
// stale signature or an event of another API version or mode (nothing changes), 200 for an
// applied, duplicate, kept (ErrHeld) or ignored event, 503 for an event about a payment
// not recorded yet (donation.ErrUnknownPayment, should a ledger answer it) and 500 for a
// failure, so that Stripe retries both.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil || len(payload) > MaxPayload {
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusRequestEntityTooLarge, httpapi.CodePayloadTooLarge))
		return
	}
	// API-version decision: refuse events of any version but the one this code was
	// written against (stripe-go's default, 2023-10-16). A mismatched payload could have
	// other field shapes and silently miscount money; a 400 shows in Stripe's dashboard
	// and our logs until the endpoint's version is fixed, and the events can then be
	// resent from Stripe.
	secrets, err := h.secrets(r.Context())
	if err != nil {
		slog.ErrorContext(r.Context(), "stripe webhook secrets unreadable", "err", redact.Error(err))
		w.Header().Set("Retry-After", "60")
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusInternalServerError, httpapi.CodeInternal))
		return
	}
	ev, err := verify(payload, r.Header.Get("Stripe-Signature"), secrets, webhook.ConstructEventOptions{Tolerance: h.Tolerance})
	if err != nil {
		slog.WarnContext(r.Context(), "stripe webhook refused", "reason", refusal(err))
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
		return
	}
	err = h.Apply(r.Context(), ev)
	switch {
	case errors.Is(err, ErrWrongVersion): // verify refuses these first; here for completeness
		slog.WarnContext(r.Context(), "stripe webhook refused", "reason", "api version mismatch", "event_id", ev.ID)
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
	case errors.Is(err, ErrWrongMode):
		// Signed with our secret, yet of the other mode: a secret of the wrong mode is set.
		slog.WarnContext(r.Context(), "stripe webhook refused", "reason", "wrong mode", "event_id", ev.ID,
			"livemode", ev.Livemode)
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
	case err == nil, errors.Is(err, donation.ErrDuplicate), errors.Is(err, ErrHeld):
		slog.InfoContext(r.Context(), "stripe event", "event_id", ev.ID, "type", string(ev.Type),
			"duplicate", errors.Is(err, donation.ErrDuplicate), "held", errors.Is(err, ErrHeld))
		httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"received": true})
	case errors.Is(err, errMalformed):
		slog.ErrorContext(r.Context(), "stripe event malformed", "event_id", ev.ID, "type", string(ev.Type), "err", redact.Error(err))
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
	case errors.Is(err, donation.ErrUnknownPayment):
		// Out of order: the event that records the payment has not arrived yet.
		slog.WarnContext(r.Context(), "stripe event early, retry later", "event_id", ev.ID, "type", string(ev.Type))
		w.Header().Set("Retry-After", "60")
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusServiceUnavailable, httpapi.CodeInternal))
	default:
		slog.ErrorContext(r.Context(), "stripe event failed", "event_id", ev.ID, "type", string(ev.Type), "err", redact.Error(err))
		w.Header().Set("Retry-After", "60")
		httpapi.WriteError(w, r, i18n.EN, false, httpapi.Fail(http.StatusInternalServerError, httpapi.CodeInternal))
	}
}

// refusal names why a delivery was refused, without echoing the payload.
func refusal(err error) string {
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return "no signature"
	case errors.Is(err, webhook.ErrTooOld):
		return "signature too old"
	case errors.Is(err, webhook.ErrNoValidSignature):
		return "no valid signature"
	case errors.Is(err, webhook.ErrInvalidHeader):
		return "invalid signature header"
	case strings.Contains(err.Error(), "API version"):
		return "api version mismatch"
	}
	return "unreadable event"
}

var errMalformed = errors.New("malformed event object")

// IsMalformed reports whether Apply refused the event's object as unreadable.
func IsMalformed(err error) bool { return errors.Is(err, errMalformed) }

func decode(ev stripe.Event, v any) error {
	if ev.Data == nil {
		return fmt.Errorf("%w: no data", errMalformed)
	}
	if err := json.Unmarshal(ev.Data.Raw, v); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}

// Apply's refusals and outcomes besides nil (applied, or nothing to do) and
// donation.ErrDuplicate (applied before: nothing changed).
var (
	// ErrWrongMode: an event of the other Stripe mode than the deployment's (Live).
	ErrWrongMode = errors.New("event of the other Stripe mode")
	// ErrWrongVersion: an event rendered in another API version than APIVersion, whose
	// objects may have other shapes (Stripe renders the events its API lists in the
	// account's default version of the day each was created).
	ErrWrongVersion = errors.New("event of another Stripe API version")
	// ErrHeld: a refund or dispute of a charge the ledger does not know, kept for its
	// payment (Ledger.HoldEarly): acknowledged.
	ErrHeld = errors.New("refund or dispute kept for its payment")
)

// Apply applies one verified event: the webhook's deliveries and the reconciliation's
// replays of events Stripe lists take this one path. Its errors: ErrWrongMode,
// ErrWrongVersion, ErrHeld, donation.ErrDuplicate, an error wrapping errMalformed
// (IsMalformed), or a failure to retry.
func (h Handler) Apply(ctx context.Context, ev stripe.Event) error {
	if ev.Livemode != h.Live {
		return ErrWrongMode
	}
	if !Handles(string(ev.Type)) {
		return nil // not one of HandledEvents: acknowledged, nothing to do
	}
	if ev.APIVersion != APIVersion {
		return ErrWrongVersion
	}
	if h.Subscriptions != nil {
		if handled, err := h.applyPlanEvent(ctx, ev); handled {
			return err
		}
	}
	ref := donation.Event{ID: ev.ID, Type: string(ev.Type)}
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		var s stripe.CheckoutSession
		if err := decode(ev, &s); err != nil {
			return err
		}
		id, ok := donationRecord(s.Metadata)
		if !ok {
			sessionNotOurs(ctx, ev, s)
			return nil // not a donation: another flow's session
		}
		if s.Mode == stripe.CheckoutSessionModeSubscription {
			// Money for a monthly gift comes with each invoice.paid, the first included.
			return h.Ledger.LinkSubscription(ctx, ref, id, subscriptionOf(s.Subscription), customerOf(s.Customer))
		}
		if s.PaymentStatus != stripe.CheckoutSessionPaymentStatusPaid || s.PaymentIntent == nil {
			return nil // a delayed method: async_payment_succeeded or _failed follows
		}
		p := donation.Payment{
			Event: ref, Key: s.PaymentIntent.ID, DonationID: id, AmountCents: s.AmountTotal,
			Currency: string(s.Currency), PaidAt: time.Unix(ev.Created, 0), CustomerID: customerOf(s.Customer),
			SessionID: s.ID,
		}
		if cc := s.CurrencyConversion; cc != nil && cc.SourceCurrency != "" {
			// Adaptive Pricing charged the payer's currency: what it converted from is ours.
			p.SourceCents, p.SourceCurrency = cc.AmountTotal, string(cc.SourceCurrency)
		}
		return h.Ledger.RecordPayment(ctx, p)
	case "checkout.session.async_payment_failed":
		var s stripe.CheckoutSession
		if err := decode(ev, &s); err != nil {
			return err
		}
		if id, ok := donationRecord(s.Metadata); ok {
			return h.Ledger.FailDonation(ctx, ref, id)
		}
		sessionNotOurs(ctx, ev, s)
		return nil
	case "invoice.paid":
		var inv stripe.Invoice
		if err := decode(ev, &inv); err != nil {
			return err
		}
		id, ok := invoiceDonation(inv)
		if !ok || inv.AmountPaid <= 0 {
			return nil
		}
		key, paidAt := invoicePayment(ev, inv)
		return h.Ledger.RecordPayment(ctx, donation.Payment{
			Event: ref, Key: key, DonationID: id, AmountCents: inv.AmountPaid, Currency: string(inv.Currency),
			PaidAt: paidAt, InvoiceID: inv.ID, SubscriptionID: subscriptionOf(inv.Subscription), CustomerID: customerOf(inv.Customer),
		})
	case "invoice.payment_failed":
		var inv stripe.Invoice
		if err := decode(ev, &inv); err != nil {
			return err
		}
		if id, ok := invoiceDonation(inv); ok {
			return h.Ledger.MonthlyGiftNotice(ctx, ref, id, donation.NoticePaymentFailed)
		}
		return nil
	case "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := decode(ev, &sub); err != nil {
			return err
		}
		if id, ok := donationRecord(sub.Metadata); ok {
			return h.Ledger.MonthlyGiftNotice(ctx, ref, id, donation.NoticeEnded)
		}
		return nil
	case "charge.refunded":
		var c stripe.Charge
		if err := decode(ev, &c); err != nil {
			return err
		}
		if c.PaymentIntent == nil || c.PaymentIntent.ID == "" {
			return nil
		}
		r := donation.Refund{Event: ref, PaymentKey: c.PaymentIntent.ID, RefundedTotalCents: c.AmountRefunded}
		return h.early(ctx, ev, c.ID, h.Ledger.RecordRefund(ctx, r), &r, nil)
	case "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated",
		"charge.dispute.closed":
		var d stripe.Dispute
		if err := decode(ev, &d); err != nil {
			return err
		}
		dispute := DisputeOf(&d)
		if dispute.PaymentKey == "" {
			return nil
		}
		dispute.Event = ref
		return h.early(ctx, ev, dispute.ChargeID, h.Ledger.RecordDispute(ctx, dispute), nil, &dispute)
	}
	return nil
}

// early handles a refund or dispute (r or d) whose payment is not in the ledger (err is
// donation.ErrUnknownPayment): a payment of ours whose own event has not come yet, or a
// charge of another system on the same Stripe account (an invoice's charge and a
// dispute carry no metadata to tell them apart). It is acknowledged, logged by id and
// kept by the ledger (HoldEarly): the payment's event applies it if the payment turns
// out ours, and Stripe does not retry a stranger's charge for three days.
func (h Handler) early(ctx context.Context, ev stripe.Event, chargeID string, err error,
	r *donation.Refund, d *donation.Dispute) error {
	if !errors.Is(err, donation.ErrUnknownPayment) {
		return err
	}
	slog.InfoContext(ctx, "stripe charge unknown, kept for its payment", "event_id", ev.ID, "type", string(ev.Type),
		"charge_id", chargeID)
	if err := h.Ledger.HoldEarly(ctx, r, d); err != nil {
		return err
	}
	return ErrHeld
}

// donationRecord finds our donation id in the metadata we set (docs/api.md). Only there:
// client_reference_id is no proof, since a Payment Link's payer can set it.
func donationRecord(meta map[string]string) (string, bool) {
	return meta["record_id"], meta["kind"] == "donation" && meta["record_id"] != ""
}

// invoiceDonation finds the donation of a monthly gift's invoice from the subscription's
// metadata, which Stripe snapshots on the invoice (and on its subscription line).
func invoiceDonation(inv stripe.Invoice) (string, bool) {
	if inv.SubscriptionDetails != nil && inv.SubscriptionDetails.Metadata["kind"] != "" {
		return donationRecord(inv.SubscriptionDetails.Metadata)
	}
	if inv.Lines != nil {
		for _, line := range inv.Lines.Data {
			if line.Metadata["kind"] != "" {
				return donationRecord(line.Metadata)
			}
		}
	}
	return "", false
}

// invoicePayment is the key of an invoice's payment (its payment intent, which the
// charge's refunds and disputes name; else the invoice's id) and when it was paid.
func invoicePayment(ev stripe.Event, inv stripe.Invoice) (string, time.Time) {
	key := inv.ID
	if inv.PaymentIntent != nil && inv.PaymentIntent.ID != "" {
		key = inv.PaymentIntent.ID
	}
	paidAt := time.Unix(ev.Created, 0)
	if inv.StatusTransitions != nil && inv.StatusTransitions.PaidAt > 0 {
		paidAt = time.Unix(inv.StatusTransitions.PaidAt, 0)
	}
	return key, paidAt
}

func subscriptionOf(s *stripe.Subscription) string {
	if s == nil {
		return ""
	}
	return s.ID
}

// DisputeOf is Stripe's dispute object as the ledger reads it: its ids, amount (in the
// charge's currency), reason and status, and its balance transactions counted, money
// Stripe took (negative) and gave back (positive).
func DisputeOf(d *stripe.Dispute) donation.Dispute {
	out := donation.Dispute{ID: d.ID, PaymentKey: PaymentIntentID(d.PaymentIntent), ChargeID: chargeOf(d.Charge),
		AmountCents: d.Amount, Reason: string(d.Reason), Status: string(d.Status), CreatedAt: time.Unix(d.Created, 0)}
	for _, bt := range d.BalanceTransactions {
		switch {
		case bt == nil:
		case bt.Amount < 0:
			out.Withdrawals++
		case bt.Amount > 0:
			out.Reinstatements++
		}
	}
	return out
}

// PaymentIntentID is pi's id, or "" for none: the key of a payment in the ledger.
func PaymentIntentID(pi *stripe.PaymentIntent) string {
	if pi == nil {
		return ""
	}
	return pi.ID
}

func chargeOf(c *stripe.Charge) string {
	if c == nil {
		return ""
	}
	return c.ID
}

func customerOf(c *stripe.Customer) string {
	if c == nil {
		return ""
	}
	return c.ID
}

// Routes mounts the stripe-webhook function's route (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST /webhooks/stripe", h)
}
