package functions_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() { emulator.Logs.Personal("Jonah", "Whitfield", "200 Kent St") }

// TestSubscriptionsUnderTheEmulator invokes the subscribe, stripe-webhook, portal and
// mailer bootstraps with recorded events: subscribe yearly, pay (signed webhooks), ask for
// the portal link, follow it once to a Stripe portal session, and again in vain.
func TestSubscriptionsUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	store := dynamo.New(s.env.DB(), s.table)
	bins := bootstraps(t)
	run := func(fn string) *rie { return startRIE(t, filepath.Join(bins, fn, "bootstrap"), s.vars) }
	subscribeFn, hook, portalFn, mailer := run("subscribe"), run("stripe-webhook"), run("portal"), run("mailer")

	res := decodeHTTP(t, subscribeFn.invoke(t, recorded(t, "subscriptions-post.json")))
	var created struct {
		SubscriptionID string `json:"subscription_id"`
		CheckoutURL    string `json:"checkout_url"`
	}
	if res.StatusCode != 201 || json.Unmarshal([]byte(res.Body), &created) != nil || created.CheckoutURL == "" {
		t.Fatalf("POST /subscriptions: %+v", res)
	}
	sub, err := store.Subscription(ctx, created.SubscriptionID)
	if err != nil || sub.Status != subscription.StatusPending || sub.Plan != "solidarity-annual" || sub.Email != "jonah.rie@example.org" {
		t.Fatalf("stored %+v %v", sub, err)
	}

	p := plan.Default()["solidarity-annual"]
	ship := subscription.Shipping{Name: "Jonah Whitfield", Line1: "200 Kent St", City: "Ottawa", State: "ON", PostalCode: "K2P 2J8", Country: "CA"}
	for _, payload := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &ship), time.Now()),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 1, true), time.Now()),
	} {
		var ev map[string]any
		if err := json.Unmarshal(recorded(t, "webhook-post.json"), &ev); err != nil {
			t.Fatal(err)
		}
		ev["body"] = string(payload)
		ev["headers"].(map[string]any)["stripe-signature"] = localpay.Sign(payload, webhookSecret, time.Now())
		raw, _ := json.Marshal(ev)
		if res := decodeHTTP(t, hook.invoke(t, raw)); res.StatusCode != 200 {
			t.Fatalf("webhook: %+v", res)
		}
	}
	sub, _ = store.Subscription(ctx, created.SubscriptionID)
	if sub.Status != subscription.StatusActive || sub.Shipping == nil || sub.Shipping.Line1 != "200 Kent St" || sub.PaidCents != p.AmountCents {
		t.Fatalf("after paying %+v", sub)
	}

	res = decodeHTTP(t, portalFn.invoke(t, recorded(t, "portal-post.json")))
	if res.StatusCode != 202 {
		t.Fatalf("POST /portal: %+v", res)
	}
	var batch struct {
		BatchItemFailures []any `json:"batchItemFailures"`
	}
	if out := mailer.invoke(t, streamEvent(t, s, "portal_link")); json.Unmarshal(out, &batch) != nil || len(batch.BatchItemFailures) != 0 {
		t.Fatalf("mailer: %s", out)
	}
	var link []string
	for _, e := range s.env.SentEmails(t, "jonah.rie@example.org") {
		if m := regexp.MustCompile(`https://don\.example\.org/portal\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(e.Body); m != nil {
			link = m
		}
	}
	if link == nil {
		t.Fatal("no portal link emailed")
	}
	// Opening the link shows its button; the button's post opens the portal, once.
	page := decodeHTTP(t, portalFn.invoke(t, withToken(t, "portal-get.json", link[1])))
	if page.StatusCode != 200 || !strings.Contains(page.Body, `name="token" value="`+link[1]+`"`) {
		t.Fatalf("GET /portal: %+v", page)
	}
	first := decodeHTTP(t, portalFn.invoke(t, withToken(t, "portal-open-post.json", link[1])))
	if first.StatusCode != 303 || !strings.HasPrefix(first.Headers["Location"], "https://") {
		t.Fatalf("POST /portal/open: %+v", first)
	}
	if again := decodeHTTP(t, portalFn.invoke(t, withToken(t, "portal-open-post.json", link[1]))); again.StatusCode != 410 {
		t.Fatalf("POST /portal/open again: %+v", again)
	}
	if again := decodeHTTP(t, portalFn.invoke(t, withToken(t, "portal-get.json", link[1]))); again.StatusCode != 410 {
		t.Fatalf("GET /portal again: %+v", again)
	}
}
