package mail

import (
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// TestBilingualBroadcastLinksBothLanguages: the one message a person without a language
// gets says "Privacy policy / Politique de confidentialité" in its HTML footer; the
// French reader's link must reach the French policy (and site), as the text part does.
func TestBilingualBroadcastLinksBothLanguages(t *testing.T) {
	b := broadcast.Broadcast{ID: "bc_x", SubjectEN: "Rally on Saturday", SubjectFR: "Manifestation samedi",
		BodyEN: "Join us at **noon**.", BodyFR: "Rejoignez-nous à **midi**."}
	e := outbox.Email{ID: "e1", Template: outbox.Broadcast, To: "x@example.org", Language: "",
		Data: map[string]string{"broadcast": "bc_x", "unsubscribe_url": "https://api.example.org/unsubscribe?token=T"}}
	org := organization.Default()
	m, err := RenderBroadcast(e, b, org)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, org.PrivacyURL.In("fr")) {
		t.Fatalf("text lacks the French policy:\n%s", m.Text)
	}
	for _, u := range []string{org.PrivacyURL.In("fr"), org.Website.In("fr")} {
		if !strings.Contains(m.HTML, `href="`+u+`"`) {
			t.Errorf("the bilingual email's HTML does not link %s (the French side of its footer)", u)
		}
	}
}
