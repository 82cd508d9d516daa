// Package consent records express consent to news emails the way CASL expects: what was
// asked, in which words and language, when, and from where.
package consent

import "time"

// Version of the wording shown beside the news checkbox on the forms. Change it whenever
// the wording changes, so each record says which words the person agreed to.
const Version = "news-2024-01"

// Wording is the checkbox text of Version, in each language.
var Wording = map[string]string{
	"en": "Yes, send me news and calls to action by email. I can unsubscribe at any time.",
	"fr": "Oui, envoyez-moi des nouvelles et des appels à l’action par courriel. Je peux me désabonner en tout temps.",
}

// Record is one grant (or, later, withdrawal) of consent.
type Record struct {
	Email     string    `dynamodbav:"email"`
	Purpose   string    `dynamodbav:"purpose"`
	Granted   bool      `dynamodbav:"granted"`
	Version   string    `dynamodbav:"wording_version"`
	Wording   string    `dynamodbav:"wording"`
	Language  string    `dynamodbav:"language"`
	Source    string    `dynamodbav:"source"`
	SourceID  string    `dynamodbav:"source_id"`
	IP        string    `dynamodbav:"ip,omitempty"`
	UserAgent string    `dynamodbav:"user_agent,omitempty"`
	At        time.Time `dynamodbav:"at"`
}
