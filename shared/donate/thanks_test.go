package donate

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
	"github.com/solidarity/solidarity/shared/organization"
)

type gifts map[string]donation.Donation

func (g gifts) Donation(_ context.Context, id string) (donation.Donation, error) {
	if id == "don_broken22222222222222222" {
		return donation.Donation{}, errors.New("table unavailable")
	}
	d, ok := g[id]
	if !ok {
		return donation.Donation{}, donation.ErrNotFound
	}
	return d, nil
}

const giftA = "don_aaaaaaaaaaaaaaaaaaaaaaaaaa"

// thanksNow is the thank-you pages' clock.
var thanksNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func thanksServer(d donation.Donation, steps httpapi.Steps) http.Handler {
	mux := http.NewServeMux()
	Handler{Gifts: gifts{d.ID: d}, Service: Service{Now: func() time.Time { return thanksNow }}}.Routes(mux)
	return httpapi.Sites{Own: "https://api.example.org", Steps: steps}.Handler(mux)
}

func page(t *testing.T, h http.Handler, target string) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("%s: %d %v", target, w.Code, w.Header())
	}
	return w.Body.String()
}

var allSteps = httpapi.Steps{Appeal: "https://don.example.org/", Join: "https://don.example.org/join.html", Subscribe: "https://don.example.org/subscribe.html"}

func TestThanksPage(t *testing.T) {
	gift := donation.Donation{ID: giftA, CheckoutID: "cs_test_a1", Email: "noemie@example.org", AmountCents: 2500, ChargeCents: 2606,
		CoverFees: true, Frequency: donation.Once, Status: donation.StatusPaid, CampaignTitle: "Fall appeal", Language: "en",
		CreatedAt: thanksNow.Add(-time.Hour)}
	for _, c := range []struct {
		name   string
		lang   string
		change func(*donation.Donation)
		want   []string
	}{
		{"a paid gift, in English", "en", nil, []string{`lang="en"`, "<h1>Thank you!</h1>",
			"Your gift is confirmed. A receipt is on its way to n•••@example.org.",
			"<li>Your gift: $26.06, once</li>", "<li>Including $1.06 to cover the processing fees</li>", "<li>Appeal: Fall appeal</li>"}},
		{"a paid monthly gift, in French", "fr", func(d *donation.Donation) {
			d.Frequency, d.CoverFees, d.ChargeCents, d.AmountCents, d.CampaignTitle = donation.Monthly, false, 1000, 1000, "Campagne d’automne"
		}, []string{`lang="fr"`, "<h1>Merci\u202f!</h1>", "Votre don est confirmé. Un reçu s’en vient à n•••@example.org.",
			"<li>Votre don : 10,00\u00a0$ par mois</li>", "<li>Campagne : Campagne d’automne</li>"}},
		{"a payment not confirmed yet", "en", func(d *donation.Donation) { d.Status = donation.StatusPending },
			[]string{"Your payment is being confirmed. Once it is, a receipt will be on its way to n•••@example.org.", "<li>Your gift: $26.06, once</li>"}},
		{"a payment not confirmed yet, in French", "fr", func(d *donation.Donation) { d.Status = donation.StatusPending },
			[]string{"Votre paiement est en cours de confirmation.", "n•••@example.org", "<li>Votre don : 26,06\u00a0$, une fois</li>"}},
		{"a failed payment", "en", func(d *donation.Donation) { d.Status = donation.StatusFailed },
			[]string{"<h1>Your payment did not go through</h1>", "Nothing was charged for this gift.", "<li>Your gift: $26.06, once</li>"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := gift
			if c.change != nil {
				c.change(&d)
			}
			body := page(t, thanksServer(d, allSteps), "/donations/thanks?lang="+c.lang+"&gift="+giftA+"&session_id=cs_test_a1")
			for _, want := range c.want {
				if !strings.Contains(body, want) {
					t.Errorf("no %q on\n%s", want, body)
				}
			}
			if strings.Contains(body, "noemie@") {
				t.Errorf("the whole address is on the page:\n%s", body)
			}
		})
	}

	t.Run("a paid gift's page offers to join, subscribe and go back to the appeal", func(t *testing.T) {
		body := page(t, thanksServer(gift, allSteps), "/donations/thanks?lang=en&gift="+giftA+"&session_id=cs_test_a1")
		for _, want := range []string{`<a href="https://don.example.org/join.html" data-step="join">Join ` + organization.Default().Name.EN + `</a>`,
			`<a href="https://don.example.org/subscribe.html" data-step="subscribe">Subscribe to our paper</a>`,
			`<a href="https://don.example.org/" data-step="appeal">Back to the appeal</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("no %q on\n%s", want, body)
			}
		}
		body = page(t, thanksServer(gift, httpapi.Steps{Appeal: "https://don.example.org/"}), "/donations/thanks?lang=fr&gift="+giftA+"&session_id=cs_test_a1")
		if !strings.Contains(body, `data-step="appeal">Retourner à la campagne de dons</a>`) || strings.Contains(body, "join.html") || strings.Contains(body, "subscribe.html") {
			t.Errorf("links to forms not configured:\n%s", body)
		}
	})

	generic := page(t, thanksServer(gift, allSteps), "/donations/thanks?lang=en")
	if !strings.Contains(generic, "Your donation is being confirmed.") || !strings.Contains(generic, `data-step="join"`) {
		t.Fatalf("the plain page:\n%s", generic)
	}
	erased := gift
	erased.Erased = true
	old := gift // the address left in a browser's history, a day and a minute on
	old.CreatedAt = thanksNow.Add(-donation.RestateFor - time.Minute)
	for _, c := range []struct {
		name, query string
		d           donation.Donation
	}{
		{"another session's id", "gift=" + giftA + "&session_id=cs_test_other", gift},
		{"no session id", "gift=" + giftA, gift},
		{"an unknown gift", "gift=don_bbbbbbbbbbbbbbbbbbbbbbbbbb&session_id=cs_test_a1", gift},
		{"a malformed gift id", "gift=don_a%27%3B--&session_id=cs_test_a1", gift},
		{"a store failure", "gift=don_broken22222222222222222&session_id=cs_test_a1", gift},
		{"an erased donor's gift", "gift=" + giftA + "&session_id=cs_test_a1", erased},
		{"a gift of more than a day ago", "gift=" + giftA + "&session_id=cs_test_a1", old},
		{"a gift without a session", "gift=" + giftA + "&session_id=", donation.Donation{ID: giftA, Email: "noemie@example.org", ChargeCents: 2606}},
	} {
		t.Run(c.name+" gets the plain page", func(t *testing.T) {
			body := page(t, thanksServer(c.d, allSteps), "/donations/thanks?lang=en&"+c.query)
			if body != generic {
				t.Fatalf("not the plain page:\n%s", body)
			}
		})
	}
}
