package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
)

// TestConfirmPageShowsWhoseForm: two posts with one address, the owner's and a stranger's,
// send two links whose pages differ by what each form typed (first name, city, start of
// the postal code, news or not), escaped, and show neither phone, street nor message; the
// page of a form asking for news for an address that unsubscribed says that confirming
// subscribes it again.
func TestConfirmPageShowsWhoseForm(t *testing.T) {
	s := newStack(t, true)
	const victim = "confirm-page@example.org"
	rec := consent.Grant(victim, "fr", "unsubscribe_link", "test", consent.Origin{}, time.Now().UTC().Add(-48*time.Hour))
	rec.Granted = false
	if _, err := s.sys.Store.Withdraw(context.Background(), rec); err != nil { // opted out two days ago
		t.Fatal(err)
	}
	stranger := squatter(victim)
	stranger["first_name"] = "Mal'lory"
	stranger["address"].(map[string]any)["city"] = `<script>alert("x")</script>Gatineau`
	s.join(stranger)
	s.join(joiner(victim, nil)) // with the news box ticked
	mails := s.waitEmails(victim, 2)
	strangers, own := s.open(http.MethodGet, link(t, mails[0], "/members/confirm")), s.open(http.MethodGet, link(t, mails[1], "/members/confirm"))
	for _, want := range []string{"<li>Prénom : Mal&#39;lory</li>",
		"<li>Ville : &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;Gatineau, code postal commençant par J8X</li>",
		"<li>Nouvelles : non.", "(heure de Montréal)</li>", "quelqu’un d’autre a utilisé votre adresse"} {
		if !strings.Contains(string(strangers.body), want) {
			t.Fatalf("the stranger's link's page has no %q:\n%s", want, strangers.body)
		}
	}
	if strings.Contains(string(strangers.body), "<script>") {
		t.Fatalf("typed markup on the page:\n%s", strangers.body)
	}
	for _, want := range []string{"<li>Prénom : Éloïse</li>", "<li>Ville : Montréal, code postal commençant par H2X</li>",
		"<li>Nouvelles : oui. Vous vous étiez désabonné·e de nos nouvelles : confirmer ce formulaire vous y abonne de nouveau.</li>"} {
		if !strings.Contains(string(own.body), want) {
			t.Fatalf("the owner's link's page has no %q:\n%s", want, own.body)
		}
	}
	for _, page := range []response{strangers, own} {
		// Above the organization's own footer, whose mailing address may be anything.
		shown, _, _ := strings.Cut(string(page.body), "<footer>")
		for _, secret := range []string{"555", "rue du Squat", "rue Saint-Denis", "Rappelez-moi", "justice", "Bergeron", "Intrus", "1Y4", "1A1"} {
			if strings.Contains(shown, secret) {
				t.Fatalf("a confirmation page shows %q:\n%s", secret, page.body)
			}
		}
	}
	// In English too.
	s.join(joiner("confirm-page-en@example.org", map[string]any{"language": "en", "consent_updates": false}))
	en := s.open(http.MethodGet, link(t, s.waitEmails("confirm-page-en@example.org", 1)[0], "/members/confirm"))
	for _, want := range []string{"<li>First name: Éloïse</li>", "<li>City: Montréal, postal code starting with H2X</li>",
		"(Montréal time)</li>", "<li>News: no. Confirming does not subscribe you to our news.</li>",
		"If this is not what you sent, don&#39;t press: someone else used your address."} {
		if !strings.Contains(string(en.body), want) {
			t.Fatalf("the English page has no %q:\n%s", want, en.body)
		}
	}
}

// TestJoinFloodHeldBack: fifty posts with one address, each with one character of the
// message changed, send three confirmation emails, not fifty, and keep every application;
// the owner's post then is kept too, and the same form posted again once the pace allows
// gets its own link, which confirms the owner's details.
func TestJoinFloodHeldBack(t *testing.T) {
	s := newStack(t, true)
	const victim = "flooded@example.org"
	for i := range 50 {
		post := squatter(victim)
		post["message"] = fmt.Sprintf("Rappelez-moi %d", i)
		s.join(post)
	}
	s.join(joiner(victim, nil))
	s.waitEmails(victim, member.FreshLinks)
	if n := len(s.items(dynamo.TypeApplication)); n != 51 {
		t.Fatalf("%d applications, want every post's", n)
	}
	if m := s.member(victim); m.FirstName != "Mallory" || m.Notices != member.FreshLinks {
		t.Fatalf("pending member %+v", m)
	}
	s.join(joiner(victim, nil)) // too soon: still held
	s.waitEmails(victim, member.FreshLinks)
	s.age(victim, 24*time.Hour)
	s.join(joiner(victim, nil))
	own := link(t, s.waitEmails(victim, member.FreshLinks+1)[member.FreshLinks], "/members/confirm")
	if res := s.press(own); res.status != http.StatusOK || !strings.Contains(string(res.body), "Section de Montréal") {
		t.Fatalf("confirm %d:\n%s", res.status, res.body)
	}
	if m := s.member(victim); m.Status != member.StatusActive || m.FirstName != "Éloïse" || m.Phone != "+15145550199" || !m.News {
		t.Fatalf("confirmed %+v", m)
	}
}
