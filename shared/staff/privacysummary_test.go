package staff

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// itemTypes are the values of package dynamo's Type… constants: every type of item the
// table holds, read from its source so that a new one cannot be missed.
func itemTypes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../dynamo/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("package dynamo's files: %v", err)
	}
	var found []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, "Type") || i >= len(spec.Values) {
					continue
				}
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					found = append(found, v)
				}
			}
			return true
		})
	}
	if len(found) < 20 {
		t.Fatalf("only %d item types found in package dynamo: %q", len(found), found)
	}
	return found
}

// TestEveryItemTypeSummarized: privacy find's letter has a line for every type of item
// the table holds, in one of its sections: a type added to package dynamo without its
// line in summaries fails here, so that nothing held is left out of the letter.
func TestEveryItemTypeSummarized(t *testing.T) {
	for _, typ := range itemTypes(t) {
		sum, ok := summaries[typ]
		if !ok {
			t.Errorf("item type %q is not summarized: add it to summaries (privacysummary.go) and its words to the catalogue", typ)
			continue
		}
		if !slices.Contains(sections, sum.section) {
			t.Errorf("item type %q goes to section %q, which the letter does not write", typ, sum.section)
		}
		var out bytes.Buffer
		item, _ := attributevalue.MarshalMap(map[string]any{"pk": "X#1", "sk": "META", "type": typ, "created_at": "2026-11-02T15:00:00Z"})
		if err := (Letter{Held: dynamo.Held{Email: "a@example.org", Items: []dynamo.Found{{Item: item}}}, Lang: i18n.FR,
			Zone: time.UTC}).Write(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "## "+i18n.Text(i18n.FR, i18n.M("privacy.summary.section."+sum.section))) {
			t.Errorf("item type %q: no section %q in\n%s", typ, sum.section, out.String())
		}
	}
	// An item of a type not known at all still gets a line.
	var out bytes.Buffer
	item, _ := attributevalue.MarshalMap(map[string]any{"pk": "NEW#1", "sk": "META", "type": "brand_new"})
	if err := (Letter{Held: dynamo.Held{Email: "a@example.org", Items: []dynamo.Found{{Item: item}}}, Lang: i18n.EN, Zone: time.UTC}).Write(&out); err != nil ||
		!strings.Contains(out.String(), "## Other records\n\n- A record of kind “brand new”") {
		t.Errorf("an unknown item: %v\n%s", err, out.String())
	}
}

func av(t *testing.T, v any, pk, sk, typ string) map[string]types.AttributeValue {
	t.Helper()
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	m["pk"], m["sk"], m["type"] = &types.AttributeValueMemberS{Value: pk}, &types.AttributeValueMemberS{Value: sk}, &types.AttributeValueMemberS{Value: typ}
	return m
}

// TestLetter: the letter of a person with a membership, gifts, a subscription, consents,
// emails and links says each, by kind, with amounts and dates as the language writes
// them, and never a key, a hash or an internal id.
func TestLetter(t *testing.T) {
	zone := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 11, 2, 15, 4, 0, 0, time.UTC)
	confirmed := at.Add(26 * time.Hour)
	email := "ines@example.org"
	held := dynamo.Held{Email: email, Customers: []string{"cus_secret1"}, Items: []dynamo.Found{
		{Item: av(t, member.Member{ID: "mem_1", Email: email, FirstName: "Inès", LastName: "Gagnon", Phone: "514-555-0199",
			Address: address.Address{Line1: "3 rue Saint-Denis", City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4", Country: "CA"},
			Branch:  "plateau", Language: "fr", Status: member.StatusActive, CreatedAt: at, ConfirmedAt: &confirmed}, "PERSON#"+email, "MEMBER", dynamo.TypeMember)},
		{Item: av(t, donation.Donation{ID: "don_1", Campaign: "winter", CampaignTitle: "Hiver", Currency: "cad", AmountCents: 125000,
			Frequency: donation.Once, FirstName: "Inès", Email: email, Language: "fr", Status: donation.StatusPaid, CreatedAt: at,
			CheckoutID: "cs_secret", RefundedCents: 2500}, "DONATION#don_1", "META", dynamo.TypeDonation)},
		{Item: av(t, dynamo.OfflineGift{ID: "CHEQUE-1042", Campaign: "winter", AmountCents: 25000, Method: "cheque", ReceivedOn: "2026-11-20",
			DonorName: "Inès Gagnon", DonorEmail: email, RecordedAt: at}, "CAMPAIGN#winter", "OFFLINE#CHEQUE-1042", dynamo.TypeOffline)},
		{Item: av(t, map[string]any{"id": "subs_1", "plan": "solidarity-monthly", "kind": "subscription", "email": email, "status": "active",
			"created_at": at.Format(time.RFC3339), "paid_through": "2026-12-02T15:04:00Z", "stripe_subscription_id": "sub_secret",
			"shipping": map[string]any{"name": "Inès Gagnon", "line1": "3 rue Saint-Denis", "city": "Montréal", "state": "QC", "postal_code": "H2X 1Y4", "country": "CA"}},
			"SUBSCRIPTION#subs_1", "META", dynamo.TypeSubscription)},
		{Item: av(t, consent.Grant(email, "fr", "membership_form", "mem_1", consent.Origin{FormURL: "https://example.org/join", IP: "203.0.113.9"}, at),
			"PERSON#"+email, "CONSENT#x", dynamo.TypeConsent)},
		{Item: av(t, consent.State{Email: email, Subscribed: true, ChangedAt: at, Source: "membership_form"}, "PERSON#"+email, "NEWS", dynamo.TypeNewsState)},
		{Item: av(t, outbox.Email{ID: "em_1", Template: outbox.DonationReceipt, To: email, Status: outbox.StatusSent, CreatedAt: at,
			Data: map[string]string{"secret": "nothing to show"}}, "EMAIL#em_1", "META", dynamo.TypeEmail)},
		{Item: av(t, map[string]any{"token_hash": "deadbeefcafe", "purpose": "member_confirm", "subject": email, "created_at": at.Format(time.RFC3339),
			"expires_at": at.Add(7 * 24 * time.Hour).Unix(), "used_at": confirmed.Format(time.RFC3339)}, "TOKEN#deadbeefcafe", "META", dynamo.TypeToken)},
		{Item: av(t, map[string]any{"customer_id": "cus_secret1"}, "PERSON#"+email, "CUSTOMER#cus_secret1", dynamo.TypeCustomer)},
	}}
	org := organization.Default()
	for _, tt := range []struct {
		lang i18n.Lang
		want []string
	}{
		{i18n.EN, []string{"Your personal information held by " + org.Name.EN, "Hello Inès,", "under the address ines@example.org, as of November 25, 2026.",
			"## Membership\n\n- Active membership, branch: Plateau Mont-Royal; joined November 2, 2026, confirmed November 3, 2026; name: Inès Gagnon; phone: 514-555-0199; address: 3 rue Saint-Denis, Montréal, QC H2X 1Y4, CA; language: French",
			"## Donations\n\n- November 2, 2026: $1,250.00, once, to Winter appeal — paid; name: Inès; refunded: $25.00",
			"## Gifts recorded by hand (cheques, cash, transfers)\n\n- November 20, 2026: $250.00 by cheque to Winter appeal; name: Inès Gagnon",
			"active, since November 2, 2026; paid through December 2, 2026; mailing address: Inès Gagnon, 3 rue Saint-Denis, Montréal, QC H2X 1Y4, CA",
			"- November 2, 2026 at 10:04 AM EST: you agreed to receive our news and calls to action by email; the words you agreed to: “",
			"through the membership form; on the page https://example.org/join; from the internet address 203.0.113.9",
			"- Today: you receive our news by email (since November 2, 2026)",
			"## Emails\n\n- November 2, 2026: to you, the receipt of a gift — sent",
			"## Links we emailed you\n\n- November 2, 2026: a link to confirm your membership; used November 3, 2026",
			"A link between your address and your customer record at Stripe", "Stripe, our payment processor",
			"reply to this email or write to us: " + org.Contact(), org.MailingAddress.EN}},
		{i18n.FR, []string{"Vos renseignements personnels détenus par " + org.Name.FR, "Bonjour Inès,", "en date du 25 novembre 2026.",
			"## Adhésion\n\n- Adhésion active, section : Plateau–Mont-Royal; inscription le 2 novembre 2026, confirmée le 3 novembre 2026",
			"## Dons\n\n- 2 novembre 2026 : 1\u00a0250,00\u00a0$, une fois, pour Campagne d’hiver — payé; nom : Inès; remboursé : 25,00\u00a0$",
			"- 20 novembre 2026 : 250,00\u00a0$ par chèque pour Campagne d’hiver",
			"- 2 novembre 2026 à 10 h 04 (EST) : vous avez accepté de recevoir nos nouvelles",
			"## Courriels\n\n- 2 novembre 2026 : à vous, le reçu d’un don — envoyé", "payé jusqu’au 2 décembre 2026",
			"écrivez-nous : " + org.Contact(), org.MailingAddress.FR}},
	} {
		var out bytes.Buffer
		err := Letter{Held: held, Lang: tt.lang, Zone: zone, Org: org, Now: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
			BranchName: func(slug string) string {
				return map[string]branch.Branch{"plateau": {NameEN: "Plateau Mont-Royal", NameFR: "Plateau–Mont-Royal"}}[slug].Name(tt.lang)
			},
			CampaignTitle: func(slug string) string {
				return map[string]campaign.Campaign{"winter": {TitleEN: "Winter appeal", TitleFR: "Campagne d’hiver"}}[slug].Title(tt.lang)
			},
		}.Write(&out)
		if err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the letter does not say %q:\n%s", tt.lang, w, got)
			}
		}
		for _, secret := range []string{"PERSON#", "TOKEN#", "deadbeef", "cus_secret", "sub_secret", "cs_secret", "nothing to show", "mem_1",
			"don_1", "subs_1", "META", "pk", "privacy.summary."} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: the letter shows %q:\n%s", tt.lang, secret, got)
			}
		}
	}
	if PersonLang(held) != i18n.FR || PersonLang(dynamo.Held{}) != i18n.EN {
		t.Errorf("PersonLang: %s", PersonLang(held))
	}
}

// TestPrivacyFindLetterOnTheTable: on moto, privacy find of a person with a membership,
// a gift, an offline gift, a subscription and consents writes the letter in the
// language their records hold, or the one -lang asks, with the branch and the campaign
// by name; -json is the records as held.
func TestPrivacyFindLetterOnTheTable(t *testing.T) {
	store, run, _ := privacyTable(t) // a French subscriber, Stripe still charging
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC)
	email := "ines@example.org"
	if err := store.PutBranches(ctx, []branch.Branch{{Slug: "plateau", NameEN: "Plateau Mont-Royal", NameFR: "Plateau–Mont-Royal",
		Organizers: []string{"org@example.org"}, Language: "fr", AtLarge: true}}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateCampaign(ctx, campaign.Campaign{Slug: "winter", TitleEN: "Winter appeal", TitleFR: "Campagne d’hiver", GoalCents: 1000000,
		MinCents: 100, MaxCents: 1000000, Currency: "cad", Open: true}); err != nil {
		t.Fatal(err)
	}
	c := consent.Grant(email, "fr", "membership_form", "mem_ines", consent.Origin{FormURL: "https://example.org/join"}, at)
	if err := store.CreateMember(ctx, member.Member{ID: "mem_ines", Email: email, FirstName: "Inès", LastName: "Gagnon", Branch: "plateau",
		Language: "fr", Status: member.StatusPending, CreatedAt: at, Address: address.Address{PostalCode: "H2X 1Y4"}},
		outbox.Email{ID: "em_ines", Template: outbox.MemberConfirm, Language: "fr", To: email, Status: outbox.StatusPending, CreatedAt: at}, &c); err != nil {
		t.Fatal(err)
	}
	dc := consent.Grant(email, "fr", "donation_form", "don_ines", consent.Origin{}, at.Add(time.Hour))
	if err := store.CreateDonation(ctx, donation.Donation{ID: "don_ines", Campaign: "winter", CampaignTitle: "Campagne d’hiver", Currency: "cad",
		AmountCents: 125000, ChargeCents: 125000, Frequency: donation.Once, FirstName: "Inès", LastName: "Gagnon", Email: email, Language: "fr",
		Status: donation.StatusPending, CreatedAt: at.Add(time.Hour), CheckoutID: "cs_ines"}, &dc); err != nil {
		t.Fatal(err)
	}
	if err := store.AddOfflineGift(ctx, dynamo.OfflineGift{ID: "CHEQUE-7", Campaign: "winter", AmountCents: 25000, Method: "cheque",
		ReceivedOn: "2026-11-20", DonorName: "Inès Gagnon", DonorEmail: email, RecordedAt: at}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	zone := time.FixedZone("EST", -5*3600)
	org := organization.Default()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"privacy", "find", email}, []string{"Vos renseignements personnels détenus par " + org.Name.FR, "Bonjour Inès,",
			"en date du 25 novembre 2026", "## Adhésion\n\n- Adhésion en attente de votre confirmation par courriel, section : Plateau–Mont-Royal; inscription le 3 novembre 2026",
			"- 3 novembre 2026 : 1\u00a0250,00\u00a0$, une fois, pour Campagne d’hiver — non complété",
			"- 20 novembre 2026 : 250,00\u00a0$ par chèque pour Campagne d’hiver; nom : Inès Gagnon",
			"## Abonnements et cotisations", "adresse postale : Inès Gagnon, 3 rue Saint-Denis, Montréal",
			"- 3 novembre 2026 à 09 h 00 (EST) : vous avez accepté de recevoir nos nouvelles", "source : le formulaire d’adhésion",
			"- 3 novembre 2026 à 10 h 00 (EST) : vous avez accepté de recevoir", " : à vous, le lien pour confirmer votre adhésion — en attente d’envoi",
			org.MailingAddress.FR}},
		{[]string{"privacy", "find", "-email", "INES@example.org", "-lang", "en"}, []string{"Your personal information held by " + org.Name.EN,
			"## Membership\n\n- Membership waiting for your email confirmation, branch: Plateau Mont-Royal; joined November 3, 2026",
			"- November 3, 2026: $1,250.00, once, to Winter appeal — not completed",
			"- November 20, 2026: $250.00 by cheque to Winter appeal; name: Inès Gagnon",
			"## Subscriptions and dues", "active, since November 2, 2026", "mailing address: Inès Gagnon, 3 rue Saint-Denis, Montréal",
			"- November 3, 2026 at 9:00 AM EST: you agreed to receive our news and calls to action by email",
			"through the membership form; on the page https://example.org/join", "through the donation form",
			": to you, the link to confirm your membership — waiting to be sent", org.MailingAddress.EN}},
	} {
		var out bytes.Buffer
		if err := Run(ctx, store, Sources{Now: now, Zone: zone}, tt.args, &out); err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		got := out.String()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q: the letter does not say %q:\n%s", tt.args, w, got)
			}
		}
		for _, secret := range []string{"PERSON#", "CONSENT#", "cus_ines", "sub_ines", "cs_ines", "subs_ines", "mem_ines", "{", "\"pk\""} {
			if strings.Contains(got, secret) {
				t.Errorf("%q: the letter shows %q:\n%s", tt.args, secret, got)
			}
		}
	}
	out, err := run(Sources{}, "privacy", "find", email, "-json")
	if err != nil || !strings.Contains(out, `"pk": "PERSON#ines@example.org"`) || !strings.Contains(out, `"amount_cents": 125000`) {
		t.Fatalf("-json: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"privacy", "find", email, "-lang", "de"}, {"privacy", "find", email, "-format", "pdf"},
		{"privacy", "find", email, "-email", "other@example.org"}, {"privacy", "erase", email, "-json"}} {
		if _, err := run(Sources{}, args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: %v", args, err)
		}
	}
}
