package subscribe

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/organization"
)

// The pages Checkout returns a subscriber to offer the next steps configured, in the
// page's language, and none that is not.
func TestReturnPagesOfferNextSteps(t *testing.T) {
	serve := func(steps httpapi.Steps, target string) string {
		mux := http.NewServeMux()
		Handler{}.Routes(mux)
		w := httptest.NewRecorder()
		httpapi.Sites{Own: "https://api.example.org", Steps: steps}.Handler(mux).ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		return w.Body.String()
	}
	all := httpapi.Steps{Appeal: "https://don.example.org/", Join: "https://don.example.org/join.html", Subscribe: "https://don.example.org/subscribe.html"}
	for _, c := range []struct{ target, want, not string }{
		{"/subscriptions/thanks?lang=en", `<a href="https://don.example.org/join.html" data-step="join">Join ` + organization.Default().Name.EN + `</a>`, "subscribe.html"},
		{"/subscriptions/thanks?lang=fr", `<a href="https://don.example.org/" data-step="appeal">Retourner à la campagne de dons</a>`, "subscribe."},
		{"/subscriptions/cancelled?lang=fr", `<a href="https://don.example.org/subscribe.fr.html" data-step="subscribe">S’abonner à notre journal</a>`, "join."},
	} {
		if page := serve(all, c.target); !strings.Contains(page, c.want) || strings.Contains(page, c.not) {
			t.Errorf("%s: want %q, not %q:\n%s", c.target, c.want, c.not, page)
		}
		if page := serve(httpapi.Steps{}, c.target); strings.Contains(page, "data-step") {
			t.Errorf("%s: a step nobody configured:\n%s", c.target, page)
		}
	}
}
