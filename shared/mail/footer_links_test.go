package mail

import (
	"context"
	"time"

	htmltemplate "html/template"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/solidarity/solidarity/shared/token"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// TestFooterLinks: every email's footer links the website and the privacy policy, each
// in the email's languages: a policy at the website's own address is still linked, and
// languages sharing an address share one link with both texts.
func TestFooterLinks(t *testing.T) {
	org := organization.Default()
	en, fr := i18n.Text(i18n.EN, i18n.M("org.privacy")), i18n.Text(i18n.FR, i18n.M("org.privacy"))
	site := organization.Texts{EN: "https://solidarity.example", FR: "https://solidarity.example/fr"}
	policy := organization.Texts{EN: "https://solidarity.example/privacy", FR: "https://solidarity.example/fr/confidentialite"}
	for _, tt := range []struct {
		name         string
		site, policy organization.Texts
		langs        []i18n.Lang
		want         string
	}{
		{"English", site, policy, []i18n.Lang{i18n.EN}, "website https://solidarity.example · privacy https://solidarity.example/privacy " + en},
		{"French", site, policy, []i18n.Lang{i18n.FR}, "website https://solidarity.example/fr · privacy https://solidarity.example/fr/confidentialite " + fr},
		{"both", site, policy, []i18n.Lang{i18n.EN, i18n.FR}, "website https://solidarity.example · website https://solidarity.example/fr fr · " +
			"privacy https://solidarity.example/privacy " + en + " · privacy https://solidarity.example/fr/confidentialite " + fr + " fr"},
		{"one policy page", site, organization.Texts{EN: policy.EN, FR: policy.EN}, []i18n.Lang{i18n.EN, i18n.FR},
			"website https://solidarity.example · website https://solidarity.example/fr fr · privacy https://solidarity.example/privacy " + en + " / " + fr},
		{"policy on the home page", site, site, []i18n.Lang{i18n.EN}, "website https://solidarity.example · privacy https://solidarity.example " + en},
	} {
		org.Website, org.PrivacyURL = tt.site, tt.policy
		var got []string
		for _, l := range footerLinks(org, tt.langs, tt.langs[0]) {
			text := l.Text
			if text == l.URL { // a website's link shows its address
				text = ""
			}
			got = append(got, strings.Join(strings.Fields(strings.Join([]string{l.kind, l.URL, text, l.Lang}, " ")), " "))
		}
		if strings.Join(got, " · ") != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, strings.Join(got, " · "), tt.want)
		}
	}
}

// TestBilingualFooterOnePolicyPage: organization.json allows the same address in both
// languages; the bilingual email's HTML footer then says "Privacy policy / Politique de
// confidentialité" on its one link.
func TestBilingualFooterOnePolicyPage(t *testing.T) {
	org := organization.Default()
	org.PrivacyURL = organization.Texts{EN: "https://solidarity.example/privacy", FR: "https://solidarity.example/privacy"}
	b := broadcast.Broadcast{ID: "bc_x", SubjectEN: "Rally", SubjectFR: "Manif", BodyEN: "Hi.", BodyFR: "Salut."}
	e := outbox.Email{ID: "e1", Template: outbox.Broadcast, To: "x@example.org",
		Data: map[string]string{"broadcast": "bc_x", "unsubscribe_url": "https://api.example.org/unsubscribe?token=T"}}
	m, err := RenderBroadcast(e, b, org)
	if err != nil {
		t.Fatal(err)
	}
	fr := htmltemplate.HTMLEscapeString(i18n.Text(i18n.FR, i18n.M("org.privacy")))
	if !strings.Contains(m.HTML, fr) {
		i := strings.Index(m.HTML, "border-top:1px solid #dddddd")
		t.Errorf("the bilingual footer lost %q:\n%s", fr, m.HTML[i:])
	}
}

// TestTestEmailHasNoUnsubscribeHeaders: a [TEST] email is sent with no
// List-Unsubscribe headers and no token stored.
func TestTestEmailHasNoUnsubscribeHeaders(t *testing.T) {
	b := broadcast.Broadcast{ID: "bc_x", SubjectEN: "Rally", SubjectFR: "Manif", BodyEN: "Hi.", BodyFR: "Salut.", State: broadcast.StateDraft}
	e := outbox.Email{ID: "e1", Template: outbox.Broadcast, To: "x@example.org", Language: "en", News: true,
		Data: map[string]string{"broadcast": "bc_x", BroadcastTestKey: "1"}}
	ses := &stubSES{}
	tokens := 0
	m := Mailer{SES: ses, From: "a@example.org", PublicURL: "https://api.example.org", Outbox: countingOutbox{&tokens}}
	if _, err := m.mintAndDeliver(t.Context(), e, &b, nil); err != nil {
		t.Fatal(err)
	}
	in := ses.sent[0]
	if h := in.Content.Simple.Headers; len(h) != 0 || tokens != 0 {
		t.Errorf("a test email: headers %v, %d tokens stored", h, tokens)
	}
	if body := *in.Content.Simple.Body.Text.Data; strings.Contains(body, "token=") || !strings.Contains(body, "A test") {
		t.Errorf("a test email's body:\n%s", body)
	}
}

// countingOutbox counts the tokens stored (its other methods are not called).
type countingOutbox struct{ n *int }

func (c countingOutbox) PutToken(context.Context, token.Token) error { *c.n++; return nil }
func (countingOutbox) ClaimEmail(context.Context, outbox.Key, string, time.Time, time.Time) (outbox.ClaimOutcome, error) {
	panic("unused")
}
func (countingOutbox) MarkEmailSent(context.Context, outbox.Key, string, time.Time) error {
	panic("unused")
}
func (countingOutbox) ReleaseEmail(context.Context, outbox.Key, string) error { panic("unused") }
func (countingOutbox) EndEmail(context.Context, outbox.Key, string, string, string, time.Time) error {
	panic("unused")
}
func (countingOutbox) OwedEmails(context.Context, time.Time, func(outbox.Key, outbox.Email) error) error {
	panic("unused")
}
func (countingOutbox) EmailFromImage(map[string]events.DynamoDBAttributeValue) (outbox.Key, outbox.Email, bool, error) {
	panic("unused")
}
