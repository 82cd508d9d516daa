// Package otherorg is an organization that is not the sample: two names for the two
// languages, a sender name that is not plain ASCII, a logo and a colour. Tests render
// emails and pages with it and find its names, its footer and no "Solidarity".
package otherorg

import "github.com/solidarity/solidarity/shared/organization"

// Identity is the other organization.
var Identity = organization.Identity{
	Name:           organization.Texts{EN: "Fightback", FR: "Riposte ouvrière"},
	Sender:         organization.Texts{EN: "Fightback Appeal", FR: "Riposte — Québec"},
	MailingAddress: organization.Texts{EN: "PO Box 42, Station B, Ottawa ON  K1P 5N2", FR: "C.P. 42, succursale B, Ottawa (Ontario)  K1P 5N2"},
	Email:          "contact@fightback.example",
	Phone:          "+1 613-555-0142",
	Website:        organization.Texts{EN: "https://fightback.example", FR: "https://riposte.example"},
	PrivacyURL:     organization.Texts{EN: "https://fightback.example/privacy", FR: "https://riposte.example/confidentialite"},
	LogoURL:        "https://cdn.fightback.example/logo.png",
	AccentColor:    "#1b5e20",
}

// Words are the texts of Identity each language's emails and pages must show.
func Words() map[string][]string {
	return map[string][]string{
		"en": {"Fightback", "PO Box 42, Station B", "contact@fightback.example", "https://fightback.example"},
		"fr": {"Riposte ouvrière", "C.P. 42, succursale B", "contact@fightback.example", "https://riposte.example"},
	}
}
