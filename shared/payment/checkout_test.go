package payment

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/form"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/donation"
)

func TestRedacted(t *testing.T) {
	err := Redacted(&stripe.Error{Type: stripe.ErrorTypeInvalidRequest, Code: stripe.ErrorCodeEmailInvalid,
		Param: "customer_email", Msg: "Invalid email address: ana@example.org", HTTPStatusCode: 400, RequestID: "req_1"})
	if s := err.Error(); strings.Contains(s, "ana@example.org") || !strings.Contains(s, "customer_email") || !strings.Contains(s, "req_1") {
		t.Fatalf("%q", s)
	}
	plain := errors.New("dial tcp: connection refused")
	if Redacted(plain) != plain {
		t.Fatal("a non-Stripe error was changed")
	}
}

// recorder is a stripe.Backend that keeps the last call's parameters as Stripe would
// receive them (form-encoded) and answers with a session.
type recorder struct {
	method, path, key string
	sent              *form.Values
	idempotency       string
}

func (r *recorder) Call(method, path, key string, params stripe.ParamsContainer, v stripe.LastResponseSetter) error {
	r.method, r.path, r.key = method, path, key
	r.sent = &form.Values{}
	form.AppendTo(r.sent, params)
	r.idempotency = stripe.StringValue(params.GetParams().IdempotencyKey)
	if s, ok := v.(*stripe.CheckoutSession); ok {
		s.ID, s.URL = "cs_test_1", "https://checkout.stripe.com/c/pay/cs_test_1"
	}
	return nil
}
func (r *recorder) CallStreaming(string, string, string, stripe.ParamsContainer, stripe.StreamingLastResponseSetter) error {
	return nil
}
func (r *recorder) CallRaw(string, string, string, *form.Values, *stripe.Params, stripe.LastResponseSetter) error {
	return nil
}
func (r *recorder) CallMultipart(string, string, string, string, *bytes.Buffer, *stripe.Params, stripe.LastResponseSetter) error {
	return nil
}
func (r *recorder) SetMaxNetworkRetries(int64) {}

// TestSessionParameters pins what docs/api.md says the project sends to Stripe.
func TestSessionParameters(t *testing.T) {
	camp := campaign.Campaign{Slug: "appeal-2024", TitleEN: "2024 financial appeal", TitleFR: "Campagne financière 2024"}
	gift := donation.Donation{ID: "don_1", Campaign: "appeal-2024", Currency: "cad", AmountCents: 2500, ChargeCents: 2606,
		Frequency: donation.Once, Email: "ana@example.org", Language: "fr"}
	monthly := gift
	monthly.Frequency, monthly.Language = donation.Monthly, "en"
	common := map[string]string{
		"client_reference_id": "don_1", "customer_email": "ana@example.org",
		"metadata[kind]": "donation", "metadata[record_id]": "don_1", "metadata[campaign]": "appeal-2024",
		"line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "cad",
		"line_items[0][price_data][unit_amount]": "2606",
	}
	tests := []struct {
		name string
		d    donation.Donation
		want map[string]string
		none []string
	}{
		{"once", gift, map[string]string{
			"mode": "payment", "submit_type": "donate", "locale": "fr-CA",
			"payment_intent_data[metadata][kind]": "donation", "payment_intent_data[metadata][record_id]": "don_1",
			"line_items[0][price_data][product_data][name]": "Don : Campagne financière 2024",
			"success_url": "https://don.example.org/donations/thanks?gift=don_1&lang=fr&session_id={CHECKOUT_SESSION_ID}",
			"cancel_url":  "https://don.example.org/donations/cancelled?lang=fr",
		}, []string{"subscription_data[metadata][kind]", "line_items[0][price_data][recurring][interval]"}},
		{"monthly", monthly, map[string]string{
			"mode": "subscription", "locale": "en",
			"subscription_data[metadata][kind]": "donation", "subscription_data[metadata][record_id]": "don_1",
			"subscription_data[metadata][campaign]":          "appeal-2024",
			"line_items[0][price_data][recurring][interval]": "month",
			"line_items[0][price_data][product_data][name]":  "Monthly donation: 2024 financial appeal",
		}, []string{"payment_intent_data[metadata][kind]", "submit_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c := NewCheckout(rec, "sk_test_1", "https://don.example.org")
			s, err := c.DonationSession(context.Background(), tt.d, camp)
			if err != nil || s.ID != "cs_test_1" {
				t.Fatalf("%+v %v", s, err)
			}
			if rec.method != "POST" || rec.path != "/v1/checkout/sessions" || rec.key != "sk_test_1" || rec.idempotency != "checkout-don_1" {
				t.Fatalf("%s %s key %q idempotency %q", rec.method, rec.path, rec.key, rec.idempotency)
			}
			sent := map[string]string{}
			for k, v := range rec.sent.ToValues() {
				sent[k] = v[0]
			}
			for k, v := range common {
				if sent[k] != v {
					t.Errorf("%s = %q, want %q", k, sent[k], v)
				}
			}
			for k, v := range tt.want {
				if sent[k] != v {
					t.Errorf("%s = %q, want %q", k, sent[k], v)
				}
			}
			for _, k := range tt.none {
				if _, ok := sent[k]; ok {
					t.Errorf("%s sent", k)
				}
			}
		})
	}
}
