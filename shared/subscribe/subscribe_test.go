package subscribe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/request"
	"github.com/solidarity/solidarity/shared/subscription"
)

type fakeStore struct {
	stored []subscription.Subscription
}

func (f *fakeStore) CreateSubscription(_ context.Context, s subscription.Subscription, _ *consent.Record) error {
	f.stored = append(f.stored, s)
	return nil
}

type fakeCheckout struct{ email string }

func (f *fakeCheckout) PlanSession(_ context.Context, s subscription.Subscription, _ plan.Plan) (donation.Session, error) {
	f.email = s.Email
	return donation.Session{ID: "cs_1", URL: "https://checkout.stripe.com/c/pay/cs_1"}, nil
}

// TestCreate: a pending subscription of the canonical address, with its Checkout session.
// (That the session names no existing Stripe customer is checked on the wire, in
// payment's and the end-to-end tests.)
func TestCreate(t *testing.T) {
	store, checkout := &fakeStore{}, &fakeCheckout{}
	svc := Service{Store: store, Checkout: checkout, Plans: plan.Default(), Now: time.Now}
	sub, _, err := svc.Create(context.Background(), Request{Plan: "Solidarity-Annual", FirstName: "A", LastName: "B", Email: "A@Example.org"},
		i18n.EN, consent.Origin{})
	if err != nil || checkout.email != "a@example.org" || sub.Email != "a@example.org" || sub.Kind != plan.KindSubscription ||
		len(store.stored) != 1 || store.stored[0].CheckoutID != "cs_1" || !strings.HasPrefix(sub.ID, "subs_") {
		t.Fatalf("%+v %v %q", sub, err, checkout.email)
	}
}

// FuzzSubscribeRequest decodes any body as POST /subscriptions would and checks it:
// whatever passes names a plan on offer.
func FuzzSubscribeRequest(f *testing.F) {
	f.Add("application/json", `{"plan":"solidarity-annual","first_name":"A","last_name":"B","email":"a@b.ca"}`)
	f.Add("application/json", `{"plan":"SOLIDARITY-ANNUAL","first_name":"A","last_name":"B","email":"a@b.ca","language":"FR"}`)
	f.Add("application/x-www-form-urlencoded", "plan=dues-monthly&first_name=A&last_name=B&email=a%40b.ca&consent_updates=on")
	f.Add("application/json", `{"plan":null,"email":["x"]}`)
	f.Add("application/json", `{"plan":"solidarity-annual","first_name":"Visit https://evil.example/login","last_name":"O’Brien","email":"a@b.ca"}`)
	plans := plan.Default()
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/subscriptions", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		var req Request
		if _, err := request.Decode(r, &req); err != nil {
			return
		}
		if fields := req.Check(plans); len(fields) > 0 {
			return
		}
		if _, ok := plans[req.Plan]; !ok || req.FirstName == "" || req.Email == "" || strings.ContainsAny(req.LastName, "\r\n") {
			t.Fatalf("accepted %+v", req)
		}
		if !request.PersonName(req.FirstName) || !request.PersonName(req.LastName) || strings.ContainsAny(req.FirstName+req.LastName, "/:@<") {
			t.Fatalf("accepted the names %q %q", req.FirstName, req.LastName)
		}
	})
}
