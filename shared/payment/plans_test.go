package payment

import (
	"context"
	"os"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

func TestPlanSessionParameters(t *testing.T) {
	plans := plan.Default()
	sub := subscription.Subscription{ID: "subs_1", Email: "ana@example.org", Language: "en"}
	tests := []struct {
		name string
		plan string
		want map[string]string
		none []string
	}{
		{"yearly", "solidarity-annual", map[string]string{
			"mode": "subscription", "customer_email": "ana@example.org", "client_reference_id": "subs_1",
			"metadata[kind]": "subscription", "metadata[record_id]": "subs_1", "metadata[plan]": "solidarity-annual",
			"subscription_data[metadata][kind]": "subscription", "subscription_data[metadata][record_id]": "subs_1",
			"line_items[0][price_data][unit_amount]": "6000", "line_items[0][price_data][recurring][interval]": "year",
			"line_items[0][price_data][currency]": "cad", "shipping_address_collection[allowed_countries][0]": "CA",
			"shipping_address_collection[allowed_countries][1]": "US",
			"success_url": "https://don.example.org/subscriptions/thanks?lang=en&subscription=subs_1&session_id={CHECKOUT_SESSION_ID}",
		}, []string{"customer", "customer_update[shipping]", "customer_update[address]", "customer_update[name]"}},
		{"monthly", "solidarity-monthly", map[string]string{
			"customer_email": "ana@example.org", "line_items[0][price_data][recurring][interval]": "month",
		}, []string{"customer", "customer_update[shipping]", "customer_update[address]", "customer_update[name]"}},
		{"dues: nothing mailed", "dues-monthly", map[string]string{
			"metadata[kind]": "dues", "subscription_data[metadata][kind]": "dues", "line_items[0][price_data][unit_amount]": "1000",
			"success_url": "https://don.example.org/subscriptions/thanks?kind=dues&lang=en&subscription=subs_1&session_id={CHECKOUT_SESSION_ID}",
			"cancel_url":  "https://don.example.org/subscriptions/cancelled?kind=dues&lang=en",
		}, []string{"shipping_address_collection[allowed_countries][0]", "customer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c := NewCheckout(rec, "sk_test_1", "https://don.example.org")
			sub := sub
			sub.Kind = plans[tt.plan].Kind // as subscribe.Service.Create makes it
			if _, err := c.PlanSession(context.Background(), sub, plans[tt.plan]); err != nil {
				t.Fatal(err)
			}
			if rec.idempotency != "checkout-subs_1" || rec.path != "/v1/checkout/sessions" {
				t.Fatalf("idempotency %q path %s", rec.idempotency, rec.path)
			}
			sent := map[string]string{}
			for k, v := range rec.sent.ToValues() {
				sent[k] = v[0]
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

// TestStripeMockAcceptsPlanSessions sends every variant to stripe-mock v0.180.0 in strict
// mode, which validates each parameter against Stripe's 2023-10-16 OpenAPI spec.
func TestStripeMockAcceptsPlanSessions(t *testing.T) {
	env := emulator.Get(t)
	c := NewCheckout(Backend(env.Stripe.URL), "sk_test_strict", "https://don.example.org")
	for _, slug := range plan.Default().Slugs() {
		for _, lang := range []string{"en", "fr"} {
			sub := subscription.Subscription{ID: "subs_" + slug + lang, Email: "ana@example.org", Language: lang}
			s, err := c.PlanSession(context.Background(), sub, plan.Default()[slug])
			if err != nil || s.ID == "" || s.URL == "" {
				t.Fatalf("%s %s: %+v %v", slug, lang, s, err)
			}
		}
	}
}
