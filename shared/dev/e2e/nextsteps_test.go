package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/localdev"
)

// After a real gift (the local checkout page, its signed events, the ledger), Checkout's
// return lands on a thank-you page that restates the gift as the ledger holds it, with
// the receipt's address masked and the next steps, and so does a subscription's; and a join without JavaScript lands
// on a "check your inbox" page naming the masked address and the branch.
func TestResultPagesRestateWhatHappened(t *testing.T) {
	s := newStack(t, false)

	t.Run("the thank-you page of a paid gift shows its amount", func(t *testing.T) {
		res := s.postJSON("/donations", map[string]any{
			"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once", "cover_fees": true,
			"first_name": "Noémie", "last_name": "Lafleur", "email": "noemie@example.org", "language": "fr",
		}, nil)
		if res.status != http.StatusCreated {
			t.Fatalf("POST /donations: %d %s", res.status, res.body)
		}
		checkout, _ := res.json(t)["checkout_url"].(string)
		u, err := url.Parse(checkout)
		if err != nil || !strings.HasPrefix(u.Path, "/_local/checkout/") {
			t.Fatalf("checkout_url %q", checkout)
		}
		paid := s.do(http.MethodPost, u.Path+"/pay", "application/x-www-form-urlencoded", "", nil)
		thanks := paid.header.Get("Location")
		if paid.status != http.StatusSeeOther || !strings.Contains(thanks, "/donations/thanks?") || !strings.Contains(thanks, "session_id=cs_") {
			t.Fatalf("pay: %d %q", paid.status, thanks)
		}
		page := s.do(http.MethodGet, strings.TrimPrefix(thanks, s.url), "", "", nil)
		body := string(page.body)
		for _, want := range []string{`lang="fr"`, "Votre don est confirmé. Un reçu s’en vient à n•••@example.org.",
			"<li>Votre don : 26,06\u00a0$, une fois</li>", "<li>Dont 1,06\u00a0$ pour couvrir les frais de traitement</li>",
			`data-step="join"`, `data-step="subscribe"`, `data-step="appeal"`} {
			if page.status != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%d: no %q on\n%s", page.status, want, body)
			}
		}
		if strings.Contains(body, "noemie@") {
			t.Errorf("the whole address is on the page")
		}
		// The same page without the session's id is nobody's gift.
		bare := s.do(http.MethodGet, "/donations/thanks?lang=fr&gift="+u.Path[len("/_local/checkout/"):], "", "", nil)
		if strings.Contains(string(bare.body), "26,06") || strings.Contains(string(bare.body), "n•••") {
			t.Errorf("the gift without its session:\n%s", bare.body)
		}
	})

	t.Run("the thank-you page of a paid subscription names its plan and price", func(t *testing.T) {
		res := s.postForm("/subscriptions", url.Values{"plan": {"solidarity-annual"}, "first_name": {"Nora"}, "last_name": {"Kasongo"},
			"email": {"nora.sub@example.org"}, "language": {"fr"}}, map[string]string{"Origin": allowed})
		planPage := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.Contains(planPage, "/_local/plan/subs_") {
			t.Fatalf("POST /subscriptions: %d %q", res.status, planPage)
		}
		u, _ := url.Parse(planPage)
		paid := s.do(http.MethodPost, u.Path+"/pay", "application/x-www-form-urlencoded",
			"name=Nora+Kasongo&line1=12+rue+Ontario&city=Montr%C3%A9al&state=QC&postal_code=H2L+1N6&country=CA", nil)
		thanks := paid.header.Get("Location")
		if paid.status != http.StatusSeeOther || !strings.Contains(thanks, "/subscriptions/thanks?") || !strings.Contains(thanks, "session_id=cs_") {
			t.Fatalf("pay: %d %q %s", paid.status, thanks, paid.body)
		}
		page := s.do(http.MethodGet, strings.TrimPrefix(thanks, s.url), "", "", nil)
		body := string(page.body)
		for _, want := range []string{`lang="fr"`, "Votre abonnement est confirmé. Une confirmation avec votre reçu vous est envoyée à n•••@example.org.",
			"<li>Votre formule : Abonnement de solidarité au journal — 1 an</li>",
			"<li>60,00\u00a0$ par année, renouvellement automatique jusqu’à ce que vous l’arrêtiez</li>", "Le journal sera posté",
			`data-step="appeal"`, `data-step="join"`} {
			if page.status != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%d: no %q on\n%s", page.status, want, body)
			}
		}
		if strings.Contains(body, "nora.sub@") || strings.Contains(body, "rue Ontario") {
			t.Errorf("the whole address, or the mailing address, is on the page")
		}
		// The same page without the session's id is nobody's subscription.
		bare := s.do(http.MethodGet, "/subscriptions/thanks?lang=fr&subscription="+u.Path[len("/_local/plan/"):], "", "", nil)
		if strings.Contains(string(bare.body), "60,00") || strings.Contains(string(bare.body), "n•••") {
			t.Errorf("the subscription without its session:\n%s", bare.body)
		}
	})

	t.Run("a join without JavaScript lands on the page of its masked address and branch", func(t *testing.T) {
		form := url.Values{"first_name": {"Éloïse"}, "last_name": {"Bergeron"}, "email": {"eloise@example.org"}, "language": {"fr"},
			"address.line1": {"4321 rue Saint-Denis"}, "address.city": {"Montréal"}, "address.province": {"QC"}, "address.postal_code": {"H2X 1Y4"}}
		res := s.postForm("/members", form, map[string]string{"Origin": allowed})
		next := res.header.Get("Location")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(next, "/members/check-email?lang=fr&notice=") || strings.Contains(next, "eloise") {
			t.Fatalf("POST /members: %d %q %s", res.status, next, res.body)
		}
		page := s.do(http.MethodGet, next, "", "", nil)
		body := string(page.body)
		for _, want := range []string{"<h1>Vérifiez votre boîte de réception</h1>", "<li>Courriel envoyé à : e•••@example.org</li>",
			"<li>Votre section : Section de Montréal</li>", `data-step="appeal"`} {
			if page.status != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%d: no %q on\n%s", page.status, want, body)
			}
		}
		forged := s.do(http.MethodGet, "/members/check-email?lang=fr&notice=Appelez+le+555-0199", "", "", nil)
		if strings.Contains(string(forged.body), "555-0199") || strings.Contains(string(forged.body), "Courriel envoyé à") {
			t.Errorf("a forged notice on the page:\n%s", forged.body)
		}
	})
}
