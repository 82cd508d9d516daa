package donate

import (
	"context"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/i18n"
)

// A donation is keyed by the canonical address (contact.CanonicalEmail), as members and
// subscriptions are, not merely the lowercase one: the same person is one donor, one
// consent record and one erasure, however the domain was spelt.
func TestOpenCanonicalEmail(t *testing.T) {
	for _, typed := range []string{"Elise@Example.ORG.", "elise@example\u3002org", "  Elise@Example\uff0eorg "} {
		if strings.ToLower(typed) == "elise@example.org" {
			t.Fatalf("%q: its lowercase is already canonical", typed)
		}
		st, co, svc := fixture()
		req := valid()
		req.Email, req.ConsentUpdates = typed, true
		camp, _ := st.CampaignSettings(context.Background(), req.Campaign)
		d, _, err := svc.Open(context.Background(), req, camp, i18n.EN, consent.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Email != "elise@example.org" || co.calls[0].Email != "elise@example.org" || st.created[0].Email != "elise@example.org" ||
			st.consents[0] == nil || st.consents[0].Email != "elise@example.org" {
			t.Errorf("%q: donation %q, to Stripe %q, stored %q, consent %+v", typed, d.Email, co.calls[0].Email, st.created[0].Email, st.consents[0])
		}
	}
}
