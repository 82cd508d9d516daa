package e2e

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() { emulator.Logs.Personal("Nora", "Kasongo", "77 Wellington St") }

// subscribe posts a valid subscription and returns the stored record.
func (s *stack) subscribe(email, planSlug, lang string) subscription.Subscription {
	s.t.Helper()
	res := s.postJSON("/subscriptions", map[string]any{"plan": planSlug, "first_name": "Nora", "last_name": "Kasongo",
		"email": email, "language": lang}, nil)
	if res.status != http.StatusCreated {
		s.t.Fatalf("POST /subscriptions: %d %s", res.status, res.body)
	}
	id, _ := res.json(s.t)["subscription_id"].(string)
	sub, err := s.sys.Store.Subscription(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return sub
}

// lifecycleEvents are the signed-event payloads of a yearly subscription's life: created,
// completed, the first invoice and three renewals, a failed payment, its recovery, the
// reminder before a renewal, cancel at period end, an address change, and the end. Each
// event is a year or so after the one it follows, so their times order them.
func lifecycleEvents(sub subscription.Subscription, p plan.Plan) [][]byte {
	t := sub.CreatedAt
	at := func(years int, d time.Duration) time.Time { return t.AddDate(years, 0, 0).Add(d) }
	ship := subscription.Shipping{Name: "Nora Kasongo", Line1: "77 Wellington St", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}
	return [][]byte{
		localpay.Event("customer.subscription.created", localpay.PlanSubscription(sub, "incomplete", false), at(0, 0)),
		localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &ship), at(0, time.Second)),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 1, true), at(0, 2*time.Second)),
		localpay.Event("invoice.upcoming", localpay.UpcomingInvoice(sub, p, 2), at(1, -7*24*time.Hour)),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 2, true), at(1, 0)),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 3, true), at(2, 0)),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 4, true), at(3, 0)),
		localpay.Event("invoice.payment_failed", localpay.PlanInvoice(sub, p, 5, false), at(4, 0)),
		localpay.Event("customer.subscription.updated", localpay.PlanSubscription(sub, "past_due", false), at(4, time.Second)),
		localpay.Event("invoice.paid", localpay.PlanInvoice(sub, p, 5, true), at(4, 72*time.Hour)),
		localpay.Event("customer.subscription.updated", localpay.PlanSubscription(sub, "active", false), at(4, 72*time.Hour+time.Second)),
		localpay.Event("customer.subscription.updated", localpay.PlanSubscription(sub, "active", true), at(4, 100*24*time.Hour)),
		localpay.Event("customer.updated", localpay.CustomerWithShipping(sub, subscription.Shipping{Name: "Nora Kasongo",
			Line1: "12 Bank St", City: "Ottawa", State: "ON", PostalCode: "K1P 5N2", Country: "CA"}), at(4, 101*24*time.Hour)),
		localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", true), at(5, 0)),
	}
}

// subjects are the subjects of the emails sent to addr, sorted.
func (s *stack) subjects(addr string, n int) []string {
	s.t.Helper()
	var out []string
	for _, e := range s.waitEmails(addr, n) {
		out = append(out, e.Subject)
	}
	sort.Strings(out)
	return out
}

// TestSubscriptionLifecycle: the signed events of a subscription's life, delivered in
// order once, and the same events shuffled and each delivered two or three times, end in
// the same record and the same emails.
func TestSubscriptionLifecycle(t *testing.T) {
	s := newStack(t, true)
	p := plan.Default()["solidarity-annual"]
	inOrder := s.subscribe("in-order@example.org", p.Slug, "en")
	shuffled := s.subscribe("shuffled@example.org", p.Slug, "en")

	for _, ev := range lifecycleEvents(inOrder, p) {
		s.deliverUntilOK(ev)
	}
	var deliveries [][]byte
	r := rand.New(rand.NewPCG(7, 11))
	for _, ev := range lifecycleEvents(shuffled, p) {
		for n := 2 + r.IntN(2); n > 0; n-- {
			deliveries = append(deliveries, ev)
		}
	}
	r.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	for _, ev := range deliveries {
		s.deliverUntilOK(ev)
	}

	a, b := s.subscriptionByID(inOrder.ID), s.subscriptionByID(shuffled.ID)
	first, _ := localpay.Period(inOrder, p, 1)
	_, last := localpay.Period(inOrder, p, 5)
	first, last = first.Truncate(time.Second), last.Truncate(time.Second) // Stripe's times are in seconds
	if a.Status != subscription.StatusCanceled || !a.CancelAtPeriodEnd || a.PaidCents != 5*p.AmountCents || len(a.Invoices) != 5 ||
		!a.PaidFrom.Equal(first.UTC()) || !a.PaidThrough.Equal(last.UTC()) || a.Shipping == nil || a.Shipping.Line1 != "12 Bank St" ||
		a.StripeID != localpay.PlanStripeID(inOrder) {
		t.Fatalf("in order: %+v %+v", a, a.Shipping)
	}
	if b.Status != a.Status || b.CancelAtPeriodEnd != a.CancelAtPeriodEnd || b.PaidCents != a.PaidCents || len(b.Invoices) != len(a.Invoices) ||
		!reflect.DeepEqual(b.Shipping, a.Shipping) || b.PaidThrough.Sub(b.PaidFrom) != a.PaidThrough.Sub(a.PaidFrom) || b.StatusAt-b.CreatedAt.Unix() != a.StatusAt-a.CreatedAt.Unix() {
		t.Fatalf("shuffled %+v %+v\nin order %+v %+v", b, b.Shipping, a, a.Shipping)
	}

	want := []string{
		"Receipt — Solidarity subscription to the paper — 1 year", "Receipt — Solidarity subscription to the paper — 1 year",
		"Receipt — Solidarity subscription to the paper — 1 year", "Receipt — Solidarity subscription to the paper — 1 year",
		"Receipt — Solidarity subscription to the paper — 1 year",
		"Welcome to your solidarity subscription",
		"Your Solidarity subscription to the paper — 1 year has ended",
		"Your Solidarity subscription to the paper — 1 year renews soon",
		"Your payment for Solidarity subscription to the paper — 1 year did not go through",
	}
	if got := s.subjects("in-order@example.org", len(want)); !reflect.DeepEqual(got, want) {
		t.Fatalf("emails in order:\n%s", strings.Join(got, "\n"))
	}
	if got := s.subjects("shuffled@example.org", len(want)); !reflect.DeepEqual(got, want) {
		t.Fatalf("emails shuffled:\n%s", strings.Join(got, "\n"))
	}
}

func (s *stack) subscriptionByID(id string) subscription.Subscription {
	s.t.Helper()
	sub, err := s.sys.Store.Subscription(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return sub
}

// TestSubscriptionRules breaks each rule of POST /subscriptions in English and French.
func TestSubscriptionRules(t *testing.T) {
	s := newStack(t, false)
	valid := func() map[string]any {
		return map[string]any{"plan": "solidarity-annual", "first_name": "Nora", "last_name": "Kasongo", "email": "sub-rules@example.org"}
	}
	s.expectRules(t, "/subscriptions", valid, []fieldRule{
		{name: "plan missing", drop: "plan", field: "plan", en: "required", fr: "obligatoire"},
		{name: "plan unknown", set: map[string]any{"plan": "lifetime"}, field: "plan", en: "dues-monthly, solidarity-annual, solidarity-monthly", fr: "formules"},
		{name: "plan too long", set: map[string]any{"plan": strings.Repeat("p", 61)}, field: "plan", en: "at most 60", fr: "au plus 60"},
		{name: "plan not a string", set: map[string]any{"plan": 1}, field: "plan", en: "Enter text", fr: "Entrez du texte"},
		{name: "first name missing", drop: "first_name", field: "first_name", en: "required", fr: "obligatoire"},
		{name: "first name too long", set: map[string]any{"first_name": strings.Repeat("x", 101)}, field: "first_name", en: "at most 100", fr: "au plus 100"},
		{name: "last name with a line break", set: map[string]any{"last_name": "K\nBcc: x@example.org"}, field: "last_name", en: "single line", fr: "une seule ligne"},
		{name: "last name missing", drop: "last_name", field: "last_name", en: "required", fr: "obligatoire"},
		{name: "email missing", drop: "email", field: "email", en: "required", fr: "obligatoire"},
		{name: "email invalid", set: map[string]any{"email": "nora@"}, field: "email", en: "valid email", fr: "courriel valide"},
		{name: "language other", set: map[string]any{"language": "es"}, field: "language", en: "en (English) or fr", fr: "en (anglais) ou fr"},
		{name: "consent not a boolean", set: map[string]any{"consent_updates": "yes"}, field: "consent_updates", en: "true or false", fr: "vrai"},
		{name: "unknown field", set: map[string]any{"address": map[string]any{}}, field: "address", en: "not recognized", fr: "pas reconnu"},
	})
	t.Run("form posts: 303 to checkout, or a localized error page", func(t *testing.T) {
		form := url.Values{"plan": {"dues-monthly"}, "first_name": {"Nora"}, "last_name": {"Kasongo"}, "email": {"form-sub@example.org"},
			"language": {"fr"}, "consent_updates": {"on"}}
		res := s.postForm("/subscriptions", form, nil)
		if res.status != http.StatusSeeOther || !strings.Contains(res.header.Get("Location"), "/_local/plan/subs_") {
			t.Fatalf("form post %d %v", res.status, res.header)
		}
		form.Set("plan", "nope")
		bad := s.postForm("/subscriptions", form, nil)
		if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "Formule") {
			t.Fatalf("bad form %d:\n%s", bad.status, bad.body)
		}
	})
	t.Run("honeypot: the same success, nothing stored", func(t *testing.T) {
		body := valid()
		body["website"] = "http://spam.example"
		body["email"] = "bot-sub@example.org"
		res := s.postJSON("/subscriptions", body, nil)
		if res.status != http.StatusCreated || !strings.Contains(string(res.body), "/subscriptions/thanks") {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
	t.Run("only the valid ones were stored", func(t *testing.T) {
		if n := len(s.items("subscription")); n != 1 {
			t.Fatalf("%d subscriptions stored, want the form's", n)
		}
		if n := len(s.items("consent")); n != 1 {
			t.Fatalf("%d consent records", n)
		}
	})
}

// TestPortal: the answer is the same for any address; a subscriber gets a link that
// works once and expires; asking again at once sends nothing more.
func TestPortal(t *testing.T) {
	s := newStack(t, true)
	p := plan.Default()["solidarity-monthly"]
	sub := s.subscribe("portal-known@example.org", p.Slug, "fr")
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{
		Name: "Nora Kasongo", Line1: "77 Wellington St", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}), time.Now()))

	known := s.postJSON("/portal", map[string]any{"email": "Portal-Known@Example.org", "language": "fr"}, nil)
	unknown := s.postJSON("/portal", map[string]any{"email": "portal-unknown@example.org", "language": "fr"}, nil)
	if known.status != http.StatusAccepted || unknown.status != known.status || string(known.body) != string(unknown.body) {
		t.Fatalf("known %d %s / unknown %d %s", known.status, known.body, unknown.status, unknown.body)
	}
	s.postJSON("/portal", map[string]any{"email": "portal-known@example.org"}, nil) // again at once: nothing more
	mail := s.waitEmails("portal-known@example.org", 2)
	var portalMail emulator.SentEmail
	for _, m := range mail {
		if strings.Contains(m.Subject, "Gérer") {
			portalMail = m
		}
	}
	s.waitEmails("portal-unknown@example.org", 0)
	portalURL := link(t, portalMail, "/portal")
	first := s.press(portalURL)
	if first.status != http.StatusSeeOther || !strings.HasPrefix(first.header.Get("Location"), "https://") {
		t.Fatalf("first use %d %v %s", first.status, first.header, first.body)
	}
	again := s.open(http.MethodGet, portalURL)
	if again.status != http.StatusGone || !strings.Contains(string(again.body), "Ce lien ne fonctionne plus") {
		t.Fatalf("second use %d:\n%s", again.status, again.body)
	}
	for _, bad := range []string{"/portal", "/portal?token=" + strings.Repeat("D", 43)} {
		if res := s.do(http.MethodGet, bad, "", "", nil); res.status != http.StatusGone {
			t.Fatalf("GET %s: %d", bad, res.status)
		}
	}
	if res := s.postJSON("/portal", map[string]any{"email": "not-an-address"}, nil); res.status != http.StatusBadRequest {
		t.Fatalf("bad address: %d", res.status)
	}
}
