package subscribe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

type stored map[string]subscription.Subscription

func (s stored) Subscription(_ context.Context, id string) (subscription.Subscription, error) {
	if id == "subs_broken2222222222222222222" {
		return subscription.Subscription{}, errors.New("table unavailable")
	}
	sub, ok := s[id]
	if !ok {
		return subscription.Subscription{}, subscription.ErrNotFound
	}
	return sub, nil
}

const subA = "subs_aaaaaaaaaaaaaaaaaaaaaaaaaa"

// thanksNow is the thank-you page's clock.
var thanksNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

var steps = httpapi.Steps{Appeal: "https://don.example.org/", Join: "https://don.example.org/join.html", Subscribe: "https://don.example.org/subscribe.html"}

func thanksPage(t *testing.T, s subscription.Subscription, query string) string {
	t.Helper()
	mux := http.NewServeMux()
	Handler{Subscriptions: stored{s.ID: s}, Service: Service{Plans: plan.Default(), Now: func() time.Time { return thanksNow }}}.Routes(mux)
	h := httpapi.Sites{Own: "https://api.example.org", Steps: steps}.Handler(mux)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/subscriptions/thanks?"+query, nil))
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("%s: %d %v", query, w.Code, w.Header())
	}
	return w.Body.String()
}

func TestThanksPageRestatesTheSubscription(t *testing.T) {
	yearly := subscription.Subscription{ID: subA, Plan: "solidarity-annual", Kind: plan.KindSubscription, CheckoutID: "cs_test_s1",
		Email: "ana@example.org", Language: "en", Status: subscription.StatusActive, CreatedAt: thanksNow.Add(-time.Hour)}
	for _, c := range []struct {
		name, lang string
		change     func(*subscription.Subscription)
		want       []string
		not        []string
	}{
		{"a confirmed yearly subscription", "en", nil, []string{`lang="en"`, "<h1>Thank you for subscribing!</h1>",
			"Your subscription is confirmed. A confirmation with your receipt is on its way to a•••@example.org.",
			"<li>Your plan: Solidarity subscription to the paper — 1 year</li>", "<li>$60.00 a year, renewed until you stop it</li>",
			"<li>The paper will be mailed to the address you gave on the payment page.</li>",
			`data-step="appeal"`, `data-step="join"`}, []string{`data-step="subscribe"`}},
		{"a monthly one being confirmed, in French", "fr", func(s *subscription.Subscription) {
			s.Plan, s.Status = "solidarity-monthly", subscription.StatusPending
		}, []string{`lang="fr"`, "Votre paiement est en cours de confirmation.", "a•••@example.org",
			"<li>Votre formule : Abonnement de solidarité au journal — mensuel</li>",
			"<li>6,00\u00a0$ par mois, renouvellement automatique jusqu’à ce que vous l’arrêtiez</li>", "Le journal sera posté"}, nil},
		{"dues, confirmed", "en", func(s *subscription.Subscription) { s.Plan, s.Kind = "dues-monthly", plan.KindDues },
			[]string{"<h1>Thank you for paying your dues!</h1>", "Your dues are confirmed.", "<li>$10.00 a month, renewed until you stop it</li>",
				`data-step="subscribe"`}, []string{"mailed", `data-step="join"`}},
		{"dues being confirmed, in French", "fr", func(s *subscription.Subscription) {
			s.Plan, s.Kind, s.Status = "dues-monthly", plan.KindDues, subscription.StatusPending
		}, []string{"Merci de payer votre cotisation", "<li>Votre formule : Cotisation de membre — mensuelle</li>"}, []string{"posté"}},
		{"a plan no longer offered", "en", func(s *subscription.Subscription) { s.Plan = "retired-plan" },
			[]string{"Your subscription is confirmed.", "a•••@example.org"}, []string{"Your plan", "a year"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := yearly
			if c.change != nil {
				c.change(&s)
			}
			body := thanksPage(t, s, "lang="+c.lang+"&subscription="+subA+"&session_id=cs_test_s1")
			for _, want := range c.want {
				if !strings.Contains(body, want) {
					t.Errorf("no %q on\n%s", want, body)
				}
			}
			for _, not := range append(c.not, "ana@") {
				if strings.Contains(body, not) {
					t.Errorf("%q on\n%s", not, body)
				}
			}
		})
	}

	generic := thanksPage(t, yearly, "lang=en")
	if !strings.Contains(generic, "Your subscription is being confirmed.") || strings.Contains(generic, "a•••@") {
		t.Fatalf("the plain page:\n%s", generic)
	}
	erased, old, lapsed := yearly, yearly, yearly
	erased.Erased = true
	old.CreatedAt = thanksNow.Add(-donation.RestateFor - time.Minute)
	lapsed.Status = subscription.StatusCanceled
	for _, c := range []struct {
		name, query string
		s           subscription.Subscription
	}{
		{"another session's id", "subscription=" + subA + "&session_id=cs_test_other", yearly},
		{"no session id", "subscription=" + subA, yearly},
		{"the placeholder Stripe had not filled in", "subscription=" + subA + "&session_id={CHECKOUT_SESSION_ID}", yearly},
		{"an unknown subscription", "subscription=subs_bbbbbbbbbbbbbbbbbbbbbbbbbb&session_id=cs_test_s1", yearly},
		{"a malformed id", "subscription=subs_a%27%3B--&session_id=cs_test_s1", yearly},
		{"a store failure", "subscription=subs_broken2222222222222222222&session_id=cs_test_s1", yearly},
		{"an erased subscriber", "subscription=" + subA + "&session_id=cs_test_s1", erased},
		{"a subscription of more than a day ago", "subscription=" + subA + "&session_id=cs_test_s1", old},
		{"a subscription that lapsed since", "subscription=" + subA + "&session_id=cs_test_s1", lapsed},
		{"a subscription without a session", "subscription=" + subA + "&session_id=", subscription.Subscription{ID: subA, Email: "ana@example.org", Status: subscription.StatusActive}},
	} {
		t.Run(c.name+" gets the plain page", func(t *testing.T) {
			if body := thanksPage(t, c.s, "lang=en&"+c.query); body != generic {
				t.Fatalf("not the plain page:\n%s", body)
			}
		})
	}
}

// Members' dues are dues on every page Checkout returns to, the plain ones too: Checkout's
// addresses say ?kind=dues, and the page that cannot restate, or the cancelled one, speaks
// of dues and leads back to them.
func TestReturnPagesOfDues(t *testing.T) {
	mux := http.NewServeMux()
	Handler{Service: Service{Plans: plan.Default(), Now: func() time.Time { return thanksNow }}}.Routes(mux)
	h := httpapi.Sites{Own: "https://api.example.org", Steps: steps}.Handler(mux)
	for _, c := range []struct {
		target    string
		want, not []string
	}{
		{"/subscriptions/cancelled?lang=en&kind=dues", []string{"<h1>Your dues were not paid</h1>", `href="https://don.example.org/join.html#dues" data-step="dues"`}, []string{"subscription"}},
		{"/subscriptions/cancelled?lang=fr&kind=dues", []string{"Votre cotisation n’a pas été payée", `join.fr.html#dues`}, []string{"abonnement"}},
		{"/subscriptions/cancelled?lang=en", []string{"<h1>Your subscription was not completed</h1>", `data-step="subscribe"`}, []string{"dues"}},
		{"/subscriptions/cancelled?lang=en&kind=other", []string{"<h1>Your subscription was not completed</h1>"}, []string{"dues"}},
		{"/subscriptions/thanks?lang=en&kind=dues", []string{"<h1>Thank you for paying your dues!</h1>", "being confirmed"}, []string{"subscribing"}},
		{"/subscriptions/thanks?lang=fr&kind=dues&subscription=" + subA + "&session_id=cs_test_s1", []string{"Merci de payer votre cotisation\u202f!"}, []string{"•••"}},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, c.target, nil))
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", c.target, w.Code)
		}
		main := body[strings.Index(body, "<main>"):strings.Index(body, "</main>")]
		for _, want := range c.want {
			if !strings.Contains(main, want) {
				t.Errorf("%s: no %q in\n%s", c.target, want, main)
			}
		}
		for _, not := range c.not {
			if strings.Contains(strings.ToLower(main), not) {
				t.Errorf("%s: %q in\n%s", c.target, not, main)
			}
		}
	}
}
