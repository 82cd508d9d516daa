package staff

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// TestLetterQuotesOnlyTheNoteThatNamesThem: on moto, privacy find also finds other
// donors' offline gifts whose note or void reason names the person; the letter, in
// both languages, quotes only those words, never the other donor's name, address,
// amount or method, and staff are warned (on Sources.Warn, not in the letter) to read
// them over. The person's own voided gift says when it was voided and the reason as
// recorded, not a cause the tool cannot know.
func TestLetterQuotesOnlyTheNoteThatNamesThem(t *testing.T) {
	store, _, _ := privacyTable(t) // Inès Gagnon, ines@example.org, a French subscriber
	ctx := context.Background()
	email := "ines@example.org"
	at := time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC)
	if err := store.CreateCampaign(ctx, campaign.Campaign{Slug: "winter", TitleEN: "Winter appeal", TitleFR: "Campagne d’hiver", GoalCents: 1000000,
		MinCents: 100, MaxCents: 1000000, Currency: "cad", Open: true}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []dynamo.OfflineGift{
		{ID: "CHEQUE-88", Campaign: "winter", AmountCents: 7300, Method: "cash", ReceivedOn: "2026-11-18", DonorName: "Marc Tremblay",
			DonorEmail: "marc@example.org", Note: "in memory of Inès Gagnon's mother", RecordedAt: at},
		{ID: "CHEQUE-89", Campaign: "winter", AmountCents: 4100, Method: "e-transfer", ReceivedOn: "2026-11-19", DonorName: "Zoé Lavoie",
			DonorEmail: "zoe@example.org", Note: "second instalment", RecordedAt: at},
		{ID: "CHEQUE-7", Campaign: "winter", AmountCents: 25000, Method: "cheque", ReceivedOn: "2026-11-20", DonorName: "Inès Gagnon",
			DonorEmail: email, RecordedAt: at},
	} {
		if err := store.AddOfflineGift(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	voided := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	for id, why := range map[string]string{"CHEQUE-89": "entered under INES@example.org by mistake", "CHEQUE-7": "cheque returned by the bank"} {
		if _, err := store.VoidOfflineGift(ctx, id, "winter", dynamo.Void{By: "ana", Reason: why, At: voided}); err != nil {
			t.Fatal(err)
		}
	}
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"## Notes that mention you\n\n",
			"- A note in one of our records mentions you: “in memory of Inès Gagnon's mother”\n",
			"- The reason recorded when one of our records was voided mentions you: “entered under INES@example.org by mistake”\n",
			"- November 20, 2026: $250.00 by cheque to Winter appeal; name: Inès Gagnon; voided on November 21, 2026; reason recorded: cheque returned by the bank\n"}},
		{"fr", []string{"## Notes qui vous mentionnent\n\n",
			"- Une note dans l’un de nos dossiers vous mentionne : « in memory of Inès Gagnon's mother »\n",
			"- Le motif consigné lors de l’annulation de l’un de nos dossiers vous mentionne : « entered under INES@example.org by mistake »\n",
			"- 20 novembre 2026 : 250,00\u00a0$ par chèque pour Campagne d’hiver; nom : Inès Gagnon; annulé le 21 novembre 2026; motif consigné : cheque returned by the bank\n"}},
	} {
		var out, warn bytes.Buffer
		if err := Run(ctx, store, Sources{Now: now, Zone: time.UTC, Warn: &warn}, []string{"privacy", "find", email, "-lang", tt.lang}, &out); err != nil {
			t.Fatal(err)
		}
		letter := out.String()
		for _, w := range tt.want {
			if !strings.Contains(letter, w) {
				t.Errorf("%s: the letter does not say %q:\n%s", tt.lang, w, letter)
			}
		}
		for _, other := range []string{"Marc", "Tremblay", "marc@", "Zoé", "Lavoie", "zoe@", "73", "41", "by cash", "par argent comptant",
			"e-transfer", "virement Interac", "second instalment", "CHEQUE-8", "November 18", "18 novembre", "November 19", "19 novembre",
			"recorded in error", "enregistré par erreur"} {
			if strings.Contains(letter, other) {
				t.Errorf("%s: the letter shows %q of another donor's gift:\n%s", tt.lang, other, letter)
			}
		}
		warning := warn.String()
		for _, w := range []string{"read over before sending", "2 record(s)", email, "offline gift CHEQUE-88 (campaign winter): note \"in memory of Inès Gagnon's mother\"",
			"offline gift CHEQUE-89 (campaign winter): note \"second instalment\", void reason \"entered under INES@example.org by mistake\""} {
			if !strings.Contains(warning, w) {
				t.Errorf("%s: the warning does not say %q:\n%s", tt.lang, w, warning)
			}
		}
		if strings.Contains(letter, "read over") || strings.Contains(warning, "Marc Tremblay") || strings.Contains(warning, "marc@") {
			t.Errorf("%s: the warning is in the letter, or names the other donor:\n%s\n%s", tt.lang, letter, warning)
		}
	}
}
