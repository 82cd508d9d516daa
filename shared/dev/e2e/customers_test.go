package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/subscription"
)

// TestCheckoutNeverReusesACustomer: a subscriber has paid, so Stripe knows them as a
// customer; a stranger then posts the subscription form with the subscriber's address.
// The Checkout request that reaches Stripe (seen on the wire to stripe-mock) names no
// customer and asks for no customer update: Stripe makes a new customer, so the stranger
// sees none of the subscriber's name, address or cards, and changes none of them. The
// subscriber's own portal email then links to each of the address's customers.
func TestCheckoutNeverReusesACustomer(t *testing.T) {
	env := emulator.Get(t)
	proxy, err := faults.New(env.Stripe.URL, faults.Rates{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sessions []url.Values
	proxy.Observe = func(r *http.Request, body []byte) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("checkout body: %v", err)
		}
		mu.Lock()
		sessions = append(sessions, form)
		mu.Unlock()
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	s := newStack(t, true, func(su *setup) { su.stripeURL = srv.URL })

	const victim = "customer-victim@example.org"
	first := s.subscribe(victim, "solidarity-annual", "en")
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(first, &subscription.Shipping{
		Name: "Nora Kasongo", Line1: "77 Wellington St", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}), time.Now()))
	known, err := s.sys.Store.RecurringCustomers(context.Background(), victim)
	if err != nil || len(known) != 1 || known[0] != localpay.PlanCustomerID(first) {
		t.Fatalf("the paid subscription's customer: %v %v", known, err)
	}

	// The stranger, with the subscriber's address typed in another case.
	second := s.subscribe("Customer-Victim@Example.org", "dues-monthly", "fr")
	mu.Lock()
	got := append([]url.Values(nil), sessions...)
	mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d Checkout requests reached Stripe, want 2", len(got))
	}
	for i, form := range got {
		for k := range form {
			if k == "customer" || strings.HasPrefix(k, "customer_update") {
				t.Errorf("Checkout request %d names %s=%q", i+1, k, form.Get(k))
			}
		}
		if form.Get("customer_email") != victim {
			t.Errorf("Checkout request %d: customer_email %q", i+1, form.Get("customer_email"))
		}
	}

	// Once the second Checkout is paid too (with its own new customer), the portal email
	// carries one single-use link for each.
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(second, nil), time.Now()))
	if res := s.postJSON("/portal", map[string]any{"email": victim, "language": "en"}, nil); res.status != http.StatusAccepted {
		t.Fatalf("POST /portal: %d %s", res.status, res.body)
	}
	var portalMail emulator.SentEmail
	for _, m := range s.waitEmailsAbout(victim, "link to manage your subscription", 1) {
		portalMail = m
	}
	links := map[string]bool{}
	for _, l := range linkRE.FindAllString(portalMail.Body, -1) {
		if strings.Contains(l, "/portal?token=") {
			links[l] = true
		}
	}
	if len(links) != 2 {
		t.Fatalf("the portal email has %d distinct portal links, want 2:\n%s", len(links), portalMail.Body)
	}
}
