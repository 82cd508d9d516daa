package mail

import (
	"context"
	stdhtml "html"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// embeddedTemplates are the names of the templates embedded in the package, each checked
// to exist in both languages.
func embeddedTemplates(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(templateFS, "templates/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string][]string{}
	for _, f := range files {
		name, lang, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".txt"), ".")
		if !ok || (lang != "en" && lang != "fr") {
			t.Fatalf("template file %s is not name.en.txt or name.fr.txt", f)
		}
		langs[name] = append(langs[name], lang)
	}
	var names []string
	for name, l := range langs {
		if len(l) != 2 {
			t.Errorf("template %s is in %v only", name, l)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 15 {
		t.Fatalf("only %d templates found: %v", len(names), names)
	}
	return names
}

// emailData are realistic values for every key any template reads, in two variants that
// between them take each branch of the templates (a one-time gift and a monthly one,
// dues and a subscription, a new member and a transfer, news or not).
func emailData(lang string) []map[string]string {
	plan := map[string]string{"en": "Yearly subscription to the paper", "fr": "Abonnement annuel au journal"}[lang]
	branch := map[string]string{"en": "Ottawa branch", "fr": "Section d’Ottawa"}[lang]
	base := map[string]string{
		"first_name": "Éloïse", "campaign_title": "Fall fund drive 2026", "amount_cents": "2500", "currency_upper": "CAD",
		"receipt_number": "FB-2026-ABCDEFGH", "paid_at": "2026-11-27T12:00:00Z", "frequency": "once",
		"retry_url": "https://donate.example/appeal", "branch_name": branch, "branch_contact": "ottawa@fightback.example",
		"confirm_url": "https://api.example.org/members/confirm?token=x", "member_name": "Éloïse Bergeron",
		"email": "eloise@example.org", "phone": "", "city": "Ottawa", "province": "ON", "postal_code": "K1P 5N2",
		"member_language": lang, "confirmed_at": "2026-11-27T12:00:00Z", "routed_by": "postal_code", "news": "false",
		"message": "", "plan_name": plan, "kind": "subscription", "interval": "year", "mailed": "true",
		"paid_through": "2027-01-15T00:00:00Z", "period_start": "2026-01-15T00:00:00Z", "period_end": "2027-01-15T00:00:00Z",
		"renews_on": "2027-01-15T00:00:00Z", "portal_url": "https://api.example.org/portal?token=y",
	}
	alt := map[string]string{}
	for k, v := range base {
		alt[k] = v
	}
	for k, v := range map[string]string{"frequency": "monthly", "kind": "dues", "interval": "month", "mailed": "false",
		"moved": "true", "routed_by": "staff", "news": "true", "phone": "+1 613-555-0199", "message": "To organize my workplace.",
		"portal_2_url": "https://api.example.org/portal?token=z", "unsubscribe_url": "https://api.example.org/unsubscribe?token=u"} {
		alt[k] = v
	}
	return []map[string]string{base, alt}
}

// TestEveryTemplateNamesTheOrganization renders every embedded template in both languages
// with an identity that is not the sample: the name of the message's language, the whole
// footer in the text and the HTML, the colour (and no remote logo) in the HTML, no "Solidarity" or
// "Solidarité" anywhere, and nothing of the other language's identity.
func TestEveryTemplateNamesTheOrganization(t *testing.T) {
	org := otherorg.Identity
	words := otherorg.Words()
	for _, name := range embeddedTemplates(t) {
		for _, lang := range []string{"en", "fr"} {
			l, _ := i18n.Parse(lang)
			other := i18n.FR
			if l == i18n.FR {
				other = i18n.EN
			}
			for v, data := range emailData(lang) {
				msg, err := Render(outbox.Email{Template: name, Language: lang, Data: data}, org)
				if err != nil {
					t.Fatalf("%s/%s: %v", name, lang, err)
				}
				where := name + "/" + lang + "/" + string(rune('a'+v))
				parts := map[string]string{"subject": msg.Subject, "text": msg.Text, "html": msg.HTML}
				for part, s := range parts {
					if strings.Contains(s, "<no value>") || strings.Contains(s, "{org}") || strings.Contains(s, "org_name") {
						t.Errorf("%s: the %s has a value missing:\n%s", where, part, s)
					}
					for _, sample := range []string{"Solidarity", "Solidarité"} {
						if strings.Contains(s, sample) {
							t.Errorf("%s: the %s says %q:\n%s", where, part, sample, s)
						}
					}
					for _, leak := range []string{org.Name.In(other), org.Sender.In(other), org.MailingAddress.In(other), org.Website.In(other), org.PrivacyURL.In(other)} {
						if strings.Contains(s, leak) {
							t.Errorf("%s: the %s has the other language's %q:\n%s", where, part, leak, s)
						}
					}
				}
				for _, part := range []string{"text", "html"} {
					for _, w := range words[lang] {
						if !strings.Contains(parts[part], w) {
							t.Errorf("%s: the %s lacks the footer's %q:\n%s", where, part, w, parts[part])
						}
					}
				}
				// The name signs the message, above the footer that names it again.
				body, footer, ok := strings.Cut(msg.Text, "\n--\n")
				if !ok || !strings.Contains(body, org.Name.In(l)) || !strings.HasPrefix(footer, org.Name.In(l)+"\n") {
					t.Errorf("%s: the text does not sign with %q above its footer:\n%s", where, org.Name.In(l), msg.Text)
				}
				if u := data["unsubscribe_url"]; u != "" && !strings.Contains(body, u) {
					t.Errorf("%s: no unsubscribe line above the footer:\n%s", where, msg.Text)
				}
				// The privacy policy of the message's language ends the footer, named in it.
				privacy := map[i18n.Lang][2]string{
					i18n.EN: {"\nPrivacy policy: https://fightback.example/privacy\n", `<a href="https://fightback.example/privacy" style="color:#1b5e20">Privacy policy</a></p>`},
					i18n.FR: {"\nPolitique de confidentialité : https://riposte.example/confidentialite\n", `<a href="https://riposte.example/confidentialite" style="color:#1b5e20">Politique de confidentialité</a></p>`},
				}[l]
				if !strings.HasSuffix(footer, privacy[0][1:]) || !strings.Contains(msg.HTML, privacy[1]) {
					t.Errorf("%s: no privacy policy link %q / %s:\n%s\n%s", where, privacy[0], privacy[1], msg.Text, msg.HTML)
				}
				// No remote content: a logo fetched on opening would track who read it.
				if strings.Contains(msg.HTML, "<img") || strings.Contains(msg.HTML, "cdn.fightback.example") {
					t.Errorf("%s: the HTML fetches an image:\n%s", where, msg.HTML)
				}
				for _, want := range []string{
					`border-top:4px solid #1b5e20`,
					`<a href="` + org.Website.In(l) + `" style="color:#1b5e20">`,
					`&#43;1 613-555-0142`, // html/template writes + as &#43;
				} {
					if !strings.Contains(msg.HTML, want) {
						t.Errorf("%s: the HTML lacks %s:\n%s", where, want, msg.HTML)
					}
				}
				if strings.Contains(msg.HTML, `<a href="https://api.example.org/`) && !strings.Contains(msg.HTML, `" style="color:#1b5e20">https://api.example.org/`) {
					t.Errorf("%s: the email's links are not in the accent colour:\n%s", where, msg.HTML)
				}
			}
		}
	}
}

// TestUnsubscribeLineNamesTheOrganization: the news line names the organization in the
// message's language.
func TestUnsubscribeLineNamesTheOrganization(t *testing.T) {
	for lang, want := range map[string]string{
		"en": "You receive news from Fightback because you agreed to it. To stop, unsubscribe here: https://api.example.org/unsubscribe?token=u",
		"fr": "Vous recevez les nouvelles de l’organisation Riposte ouvrière parce que vous l’avez accepté. Pour ne plus les recevoir, désabonnez-vous ici : https://api.example.org/unsubscribe?token=u",
	} {
		msg, err := Render(outbox.Email{Template: outbox.MemberWelcome, Language: lang, Data: emailData(lang)[1]}, otherorg.Identity)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg.Text, "\n\n"+want+"\n\n--\n") {
			t.Errorf("%s: no %q before the footer:\n%s", lang, want, msg.Text)
		}
	}
}

// TestTheCompiledInIdentity: with the zero identity, infra/organization.json's (the
// sample, "Solidarity", unless the deployer changed it) names every email, its footer
// included.
func TestTheCompiledInIdentity(t *testing.T) {
	org := organization.Default()
	for _, name := range embeddedTemplates(t) {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			msg, err := Render(outbox.Email{Template: name, Language: string(lang), Data: emailData(string(lang))[0]}, organization.Identity{})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range org.Footer(lang) {
				if w != "" && (!strings.Contains(msg.Text, w) || !strings.Contains(htmlText(msg.HTML), w)) {
					t.Errorf("%s/%s lacks %q:\n%s\n%s", name, lang, w, msg.Text, msg.HTML)
				}
			}
			if strings.Contains(msg.HTML, "<img") || !strings.Contains(msg.HTML, "solid "+org.Accent()) {
				t.Errorf("%s/%s: %s", name, lang, msg.HTML)
			}
		}
	}
}

// htmlText is html with its character references read, as a reader sees it.
func htmlText(html string) string { return stdhtml.UnescapeString(html) }

// TestAccentMustBeAColour: an identity handed over unchecked cannot put CSS or HTML in
// the email through its colour; the default colour stands in.
func TestAccentMustBeAColour(t *testing.T) {
	org := otherorg.Identity
	org.AccentColor = `red;background:url(https://evil.example/x)"><script>`
	msg, err := Render(outbox.Email{Template: outbox.PortalLink, Language: "en", Data: emailData("en")[0]}, org)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.HTML, "evil.example") || strings.Contains(msg.HTML, "<script") || !strings.Contains(msg.HTML, "solid #8e0015") {
		t.Errorf("%s", msg.HTML)
	}
}

// stubSES keeps what it is asked to send.
type stubSES struct{ sent []*sesv2.SendEmailInput }

func (s *stubSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	s.sent = append(s.sent, in)
	return &sesv2.SendEmailOutput{MessageId: aws.String("msg-1")}, nil
}

// TestFromCarriesTheSenderName: the From header handed to SES is the sender's name in the
// email's language before the verified address, plain ASCII (RFC 2047 encoded words) even
// for a name that is not; a MAIL_FROM with a name of its own gives only its address.
func TestFromCarriesTheSenderName(t *testing.T) {
	tests := []struct {
		org        organization.Identity
		from, lang string
		name       string
	}{
		{otherorg.Identity, "appeal@fightback.example", "en", "Fightback Appeal"},
		{otherorg.Identity, "appeal@fightback.example", "fr", "Riposte — Québec"},
		{otherorg.Identity, `"Old Name" <appeal@fightback.example>`, "fr", "Riposte — Québec"},
		{organization.Identity{}, "appeal@fightback.example", "en", organization.Default().Sender.EN},
		{organization.Identity{}, "appeal@fightback.example", "fr", organization.Default().Sender.FR},
	}
	for _, tt := range tests {
		ses := &stubSES{}
		m := Mailer{SES: ses, From: tt.from, Org: tt.org}
		e := outbox.Email{Template: outbox.PortalLink, Language: tt.lang, To: "someone@example.org"}
		if _, err := m.deliver(context.Background(), e, Message{Subject: "s", Text: "t", HTML: "h"}, false); err != nil {
			t.Fatal(err)
		}
		header := aws.ToString(ses.sent[0].FromEmailAddress)
		name, addr, err := organization.DecodeFrom(header)
		if err != nil || name != tt.name || addr != "appeal@fightback.example" {
			t.Errorf("%s %s: From %q decodes to %q %q %v", tt.from, tt.lang, header, name, addr, err)
		}
		for _, r := range header {
			if r >= 0x80 || r < 0x20 {
				t.Errorf("%s: From %q is not plain ASCII", tt.lang, header)
				break
			}
		}
	}
}

// TestMotoTakesTheSenderName: moto's SES accepts a From with an encoded display name
// against the bare verified identity, and keeps it as given.
func TestMotoTakesTheSenderName(t *testing.T) {
	e := outbox.Email{ID: "portal_link_org", Template: outbox.PortalLink, Language: "fr", To: "org-from@example.org",
		Status: outbox.StatusPending, Data: map[string]string{"portal_url": "https://api.example.org/portal?token=y"}}
	m, _, _ := mailerOn(t, "appeal@solidarity.example", e)
	rec := &recordingSES{SES: m.SES}
	m.SES, m.Org = rec, otherorg.Identity
	if err := m.Send(context.Background(), dynamo.EmailKey(e.ID), e); err != nil {
		t.Fatal(err)
	}
	if got := status(t, m, e.ID); got != outbox.StatusSent {
		t.Fatalf("status %s", got)
	}
	header := aws.ToString(rec.sent[0].FromEmailAddress)
	sent := emulator.Get(t).SentEmails(t, e.To)
	if len(sent) != 1 || sent[0].Source != header || !strings.HasPrefix(sent[0].Subject, "Gérer") {
		t.Fatalf("moto has %+v, sent from %q", sent, header)
	}
	if name, addr, err := organization.DecodeFrom(sent[0].Source); err != nil || name != "Riposte — Québec" || addr != "appeal@solidarity.example" {
		t.Fatalf("moto's From %q decodes to %q %q %v", sent[0].Source, name, addr, err)
	}
}
