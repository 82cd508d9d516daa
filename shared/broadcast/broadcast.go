// Package broadcast holds news broadcasts: a message written once in English and in
// French, its audience, its state, and how its Markdown source becomes an email's HTML
// and text (Render). The records live in the table (package dynamo); the staff tool
// creates, previews and queues them, and the broadcast sender sends them (docs/broadcasts.md).
package broadcast

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/i18n"
)

// States of a broadcast: draft → sending → sent, and draft or sending → cancelled.
const (
	StateDraft     = "draft"
	StateSending   = "sending"
	StateSent      = "sent"
	StateCancelled = "cancelled"
)

// Broadcast is one news message, as the table holds it (pk BROADCAST#<id>, sk META).
// Its subjects and bodies are the Markdown source as written. Its recipients are items
// of their own beside it (the report counts them).
type Broadcast struct {
	ID        string    `dynamodbav:"id"`
	SubjectEN string    `dynamodbav:"subject_en"`
	SubjectFR string    `dynamodbav:"subject_fr"`
	BodyEN    string    `dynamodbav:"body_en"`
	BodyFR    string    `dynamodbav:"body_fr"`
	Audience  Audience  `dynamodbav:"audience"`
	CreatedBy string    `dynamodbav:"created_by"`
	CreatedAt time.Time `dynamodbav:"created_at"`
	State     string    `dynamodbav:"state"`
	Rev       int64     `dynamodbav:"rev"`
}

// Subject is the subject in lang (English unless lang is French).
func (b Broadcast) Subject(lang i18n.Lang) string {
	if lang == i18n.FR {
		return b.SubjectFR
	}
	return b.SubjectEN
}

// Body is the Markdown body in lang (English unless lang is French).
func (b Broadcast) Body(lang i18n.Lang) string {
	if lang == i18n.FR {
		return b.BodyFR
	}
	return b.BodyEN
}

// Recipient is one person of a broadcast's audience: their canonical address, their
// language ("en", "fr", or "" for both in one message) and their branch ("" for one who
// is no member), for the preview's counts.
type Recipient struct {
	Email, Language, Branch string
}

// Report is what became of a broadcast's recipients: how many were queued (Total), by
// status (pending, sending, sent, failed, suppressed, skipped), by language ("en", "fr",
// "both") and status, and the skipped by reason (unsubscribed, cancelled).
type Report struct {
	Total    int64
	ByStatus map[string]int64
	ByLang   map[string]map[string]int64
	Skipped  map[string]int64
}

// Kinds of audience. Every audience is intersected with the person's news consent and
// the suppression list, at queueing and again at sending.
const (
	News        = "news"        // everyone subscribed to news
	Branches    = "branches"    // active members of the branches named
	Provinces   = "provinces"   // active members whose address is in the provinces named
	Subscribers = "subscribers" // active subscriptions to the paper
	Dues        = "dues"        // active dues plans
	Donors      = "donors"      // donors to one campaign (paid gifts)
)

// Audience is who a broadcast goes to: a kind and, for branches, provinces and donors,
// the values named (branch slugs, province codes, one campaign slug).
type Audience struct {
	Kind   string   `dynamodbav:"kind"`
	Values []string `dynamodbav:"values,omitempty"`
}

// String is the audience as ParseAudience reads it.
func (a Audience) String() string {
	if len(a.Values) == 0 {
		return a.Kind
	}
	return a.Kind + ":" + strings.Join(a.Values, ",")
}

// Limits of what the staff tool accepts.
const (
	MaxAudience = 2000     // characters of an audience
	MaxValues   = 100      // branches or provinces in one audience
	MaxFile     = 64 << 10 // bytes of one message file
	MaxSubject  = 200      // characters of a subject
)

// Error is why an audience or a message file was refused. Its Message is localized
// when shown; Error is the English.
type Error struct {
	Key  string
	Args []any
}

func (e *Error) Error() string { return i18n.Text(i18n.EN, e.Message()) }

// Message is the refusal as the catalogue says it.
func (e *Error) Message() i18n.Message { return i18n.M(e.Key, e.Args...) }

func refuse(key string, args ...any) error { return &Error{Key: key, Args: args} }

// ParseAudience reads an audience as the staff tool takes it: news, subscribers, dues,
// branches:montreal,laval, provinces:QC,ON or donors:<campaign slug>. It is strict:
// an unknown kind, a list where none is taken, an empty or missing value, a bad slug
// or a province code that is not one are refused (*Error). Province codes may be
// written in lowercase; values named twice count once.
func ParseAudience(s string) (Audience, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Audience{}, refuse("broadcast.audience.empty")
	}
	if len(s) > MaxAudience || !utf8.ValidString(s) {
		return Audience{}, refuse("broadcast.audience.too_long", MaxAudience)
	}
	kind, list, hasList := strings.Cut(s, ":")
	kind = strings.TrimSpace(kind)
	switch kind {
	case News, Subscribers, Dues:
		if hasList {
			return Audience{}, refuse("broadcast.audience.no_values", kind)
		}
		return Audience{Kind: kind}, nil
	case Branches, Provinces, Donors:
	default:
		return Audience{}, refuse("broadcast.audience.unknown", quoted(kind))
	}
	if !hasList || strings.TrimSpace(list) == "" {
		return Audience{}, refuse("broadcast.audience.values_needed", kind, example[kind])
	}
	var values []string
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return Audience{}, refuse("broadcast.audience.empty_value", kind)
		}
		switch kind {
		case Branches:
			if !branch.ValidSlug(v) {
				return Audience{}, refuse("broadcast.audience.bad_branch", quoted(v))
			}
		case Provinces:
			if !address.Provinces[strings.ToUpper(v)] {
				return Audience{}, refuse("broadcast.audience.bad_province", quoted(v))
			}
			v = strings.ToUpper(v)
		case Donors:
			if !campaign.ValidSlug(v) {
				return Audience{}, refuse("broadcast.audience.bad_campaign", quoted(v))
			}
		}
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	if kind == Donors && len(values) != 1 {
		return Audience{}, refuse("broadcast.audience.one_campaign")
	}
	if len(values) > MaxValues {
		return Audience{}, refuse("broadcast.audience.too_many", MaxValues)
	}
	return Audience{Kind: kind, Values: values}, nil
}

// example is a list each kind takes, for the refusal that asks for one.
var example = map[string]string{Branches: "branches:montreal,laval", Provinces: "provinces:QC,ON", Donors: "donors:autumn-2026"}

// quoted is s as a refusal shows it: quoted, cut short, without control characters.
func quoted(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// ParseMessage reads a message file: UTF-8 text of at most MaxFile bytes whose first
// line is the subject, written "# Subject", and the rest the Markdown body. Windows line
// ends and a leading byte-order mark are accepted; control characters (other than tabs
// and line ends) and the invisible characters that reorder text are refused, as are an
// empty subject or body and a subject over MaxSubject characters (*Error).
func ParseMessage(src []byte) (subject, body string, err error) {
	if len(src) > MaxFile {
		return "", "", refuse("broadcast.message.too_large", MaxFile>>10)
	}
	if !utf8.Valid(src) {
		return "", "", refuse("broadcast.message.not_utf8")
	}
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	for i, line := range strings.Split(text, "\n") {
		for _, r := range line {
			if forbidden(r) {
				return "", "", refuse("broadcast.message.control", i+1)
			}
		}
	}
	first, rest, _ := strings.Cut(text, "\n")
	first = strings.TrimSpace(first)
	title, ok := strings.CutPrefix(first, "#")
	if !ok || strings.HasPrefix(title, "#") {
		return "", "", refuse("broadcast.message.no_subject")
	}
	subject = strings.TrimSpace(title)
	if subject == "" {
		return "", "", refuse("broadcast.message.no_subject")
	}
	if utf8.RuneCountInString(subject) > MaxSubject {
		return "", "", refuse("broadcast.message.subject_too_long", MaxSubject)
	}
	body = strings.Trim(rest, "\n")
	if strings.TrimSpace(body) == "" {
		return "", "", refuse("broadcast.message.empty_body")
	}
	if target, ok := droppedLink(body); ok {
		return "", "", refuse("broadcast.message.link", target)
	}
	return subject, body, nil
}

// droppedLink is the first link of body whose address Render would drop, keeping only
// its text: the organizer is told at create rather than finding the address gone from
// everyone's email.
func droppedLink(body string) (string, bool) {
	if d := droppedLinks(body); len(d) > 0 {
		return d[0], true
	}
	return "", false
}

// forbidden reports whether r has no place in a message: a control character other than
// a tab, a lone carriage return, the line and paragraph separators, or a bidirectional
// override or isolate (which make text read otherwise than it is stored).
func forbidden(r rune) bool {
	switch {
	case r == '\t':
		return false
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069', r == '\u200E', r == '\u200F':
		return true
	}
	return false
}
