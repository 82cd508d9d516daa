package mail

import (
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// TestUnprovenAddressesGetNoTypedText: the emails that go to an address nobody has
// proven (the membership confirmation, the portal link, a failed payment's notice, the
// request to confirm news after an opt-out) carry only the organization's
// words and the link, in the subject, the text and the HTML: never a name or message a
// stranger typed, even when the data handed to the template holds one.
func TestUnprovenAddressesGetNoTypedText(t *testing.T) {
	typed := []string{"Visit", "evil.example", "Mallet", "Pay here"}
	m := member.Member{ID: "mem_1", Email: "victim@example.org", FirstName: "Visit https://evil.example/login now",
		LastName: "Mallet", Message: "Pay here", Phone: "+15145550199", Notices: 1,
		Address: address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4"}}
	b := branch.Branch{Slug: "montreal", NameEN: "Montreal branch", NameFR: "Section de Montréal", Language: "fr"}
	for _, lang := range []string{"en", "fr"} {
		m.Language = lang
		confirm := member.ConfirmEmail(m, b)
		for k, v := range confirm.Data {
			if k != "branch_name" {
				t.Errorf("%s: the confirmation's data holds %s=%q", lang, k, v)
			}
		}
		confirm.Data["confirm_url"] = "https://api.example.org/members/confirm?token=x"
		newsAgain := consent.AgainEmail(consent.Grant(m.Email, lang, "donation_form", "don_1",
			consent.Origin{FormURL: "https://evil.example/form", UserAgent: "Mallet"}, time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), "CONSENT#x")
		if len(newsAgain.Data) != 0 || len(newsAgain.Links) != 1 || newsAgain.Links[0].Purpose != token.NewsConfirm {
			t.Errorf("%s: the news confirmation is %+v", lang, newsAgain)
		}
		newsAgain.Data = map[string]string{"confirm_url": "https://api.example.org/news/confirm?token=x"}
		// What a template could reach if it asked for more than it is given.
		hostile := map[string]string{"first_name": m.FirstName, "last_name": m.LastName, "message": m.Message,
			"portal_url": "https://api.example.org/portal?token=y"}
		cases := map[string]outbox.Email{
			"confirmation": confirm,
			"confirmation, handed typed data": {Template: outbox.MemberConfirm, Language: lang,
				Data: merge(confirm.Data, hostile)},
			"portal link, handed typed data": {Template: outbox.PortalLink, Language: lang, Data: hostile},
			// A form asked news for an address that opted out: the address is unproven.
			"news confirmation":                    newsAgain,
			"news confirmation, handed typed data": {Template: outbox.NewsConfirm, Language: lang, Data: merge(newsAgain.Data, hostile)},
			// A delayed payment that fails charged nothing: the address is as unproven as
			// the form's.
			"failed donation, handed typed data": {Template: outbox.DonationFailed, Language: lang,
				Data: merge(hostile, map[string]string{"campaign_title": "Appeal", "amount_cents": "2500",
					"retry_url": "https://api.example.org/"})},
		}
		for name, e := range cases {
			msg, err := Render(e, otherorg.Identity)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, lang, err)
			}
			for part, text := range map[string]string{"subject": msg.Subject, "text": msg.Text, "html": msg.HTML} {
				for _, s := range typed {
					if strings.Contains(text, s) {
						t.Errorf("%s/%s: the %s holds typed %q:\n%s", name, lang, part, s, text)
					}
				}
			}
			if !strings.Contains(msg.Text, "https://api.example.org/") {
				t.Errorf("%s/%s: no link:\n%s", name, lang, msg.Text)
			}
		}
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
