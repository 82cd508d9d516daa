// Package consent records express consent to news emails the way CASL expects: what was
// asked, in which words and language, when, and from where; and withdraws it from the
// unsubscribe link of every news email (Unsubscribe). News consent only: paper subscriptions
// are package subscription's.
package consent

import (
	"net/http"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// Version of the wording shown beside the news checkbox on the forms. Change it whenever
// the wording changes, so each record says which words the person agreed to.
const Version = "news-2024-01"

// Wording is the checkbox text of Version, in each language.
var Wording = map[string]string{
	"en": "Yes, send me news and calls to action by email. I can unsubscribe at any time.",
	"fr": "Oui, envoyez-moi des nouvelles et des appels à l’action par courriel. Je peux me désabonner en tout temps.",
}

// Purpose of consent to news emails, the only kind asked for.
const News = "news"

// Record is one grant or withdrawal of consent. Records are only ever added.
type Record struct {
	Email     string    `dynamodbav:"email"`
	Purpose   string    `dynamodbav:"purpose"`
	Granted   bool      `dynamodbav:"granted"`
	Version   string    `dynamodbav:"wording_version"`
	Wording   string    `dynamodbav:"wording"`
	Language  string    `dynamodbav:"language"`
	Source    string    `dynamodbav:"source"`
	SourceID  string    `dynamodbav:"source_id"`
	FormURL   string    `dynamodbav:"form_url,omitempty"` // the page the form was on
	IP        string    `dynamodbav:"ip,omitempty"`
	UserAgent string    `dynamodbav:"user_agent,omitempty"`
	At        time.Time `dynamodbav:"at"`
}

// State is a person's current answer about news emails, which each new Record changes.
type State struct {
	Email      string    `dynamodbav:"email"`
	Subscribed bool      `dynamodbav:"subscribed"`
	ChangedAt  time.Time `dynamodbav:"changed_at"`
	Source     string    `dynamodbav:"source"`
	SourceID   string    `dynamodbav:"source_id,omitempty"` // the last Record's: an unsubscribe link's hash prefix
}

// Origin is where a consent was given, for its Record: the form's page and the browser.
type Origin struct {
	FormURL   string
	IP        string
	UserAgent string
}

// OriginOf reads a request's Origin. The form's page is the Referer, which browsers send
// for same-site and (origin-only) cross-site form posts.
func OriginOf(r *http.Request) Origin {
	return Origin{FormURL: clip(r.Referer(), 2048), IP: httpapi.ClientIP(r), UserAgent: clip(r.UserAgent(), 512)}
}

// Grant is the record of a yes to news, given from origin at a moment in lang.
func Grant(email, lang, source, sourceID string, from Origin, at time.Time) Record {
	return Record{
		Email: email, Purpose: News, Granted: true, Version: Version, Wording: Wording[lang],
		Language: lang, Source: source, SourceID: sourceID,
		FormURL: from.FormURL, IP: from.IP, UserAgent: from.UserAgent, At: at,
	}
}

// clip bounds a header's value for storage, keeping it valid UTF-8.
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
