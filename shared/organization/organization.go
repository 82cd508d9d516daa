// Package organization holds the identity of the organization that deploys the
// functions: its names in English and French, the display name its emails come from, the
// mailing address and contact every email and page identifies it with (Canada's
// anti-spam law asks a commercial message for them), its website and privacy policy,
// and optionally a logo and an accent colour. It lives in infra/organization.json,
// compiled in like the plans, and is checked when it loads: a missing French name is an
// error, never an English fallback.
package organization

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"unicode"

	"github.com/solidarity/solidarity/infra"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Texts is one value per language; both are required.
type Texts struct {
	EN string `json:"en"`
	FR string `json:"fr"`
}

// In is the text in lang (French for i18n.FR, English otherwise).
func (t Texts) In(lang i18n.Lang) string {
	if lang == i18n.FR {
		return t.FR
	}
	return t.EN
}

// Identity is the organization as its emails and pages name it.
type Identity struct {
	Name           Texts  `json:"name"`            // "Fightback" / "Riposte"
	Sender         Texts  `json:"sender"`          // the From display name of its emails
	MailingAddress Texts  `json:"mailing_address"` // one line, as the language writes it
	Email          string `json:"email"`           // a contact address (email, phone or both)
	Phone          string `json:"phone"`
	Website        Texts  `json:"website"`                // https, per language (the same twice is fine)
	PrivacyURL     Texts  `json:"privacy_url"`            // https, per language: its privacy policy, linked from every page and email
	LogoURL        string `json:"logo_url,omitempty"`     // optional, https: shown on the pages and forms only (emails fetch nothing)
	AccentColor    string `json:"accent_color,omitempty"` // optional, #rrggbb: the pages' header and buttons
}

// Placeholder is what the message catalogue writes for the organization's name; Fill
// puts the name of the message's language in its place.
const Placeholder = "{org}"

// DefaultAccent is the pages' colour when the identity names none.
const DefaultAccent = "#8e0015"

// The identity's checks are plain functions rather than regular expressions: the
// identity is checked at every cold start, and compiling four patterns there cost
// about half a millisecond.

// Colour reports whether s is a colour as the pages and emails take one: "#" and six
// hexadecimal digits (#rrggbb), nothing that could leave a style attribute.
func Colour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// phone: an optional "+", then 7 to 32 characters of digits, spaces and ( ) . -,
// starting and ending with a digit.
func phone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 7 || len(s) > 32 || !isDigit(s[0]) || !isDigit(s[len(s)-1]) {
		return false
	}
	for _, c := range []byte(s) {
		if !isDigit(c) && !strings.ContainsRune(" ().-", rune(c)) {
			return false
		}
	}
	return true
}

// dnsName is a host name of two labels or more (or an IPv4 address): ASCII letters and
// digits, with hyphens inside a label, so no character a Content-Security-Policy or a
// header would read as syntax (";", ",", "*", spaces).
func dnsName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !isDigit(c) && !isLetter(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// port: one to five digits.
func port(s string) bool {
	if len(s) < 1 || len(s) > 5 {
		return false
	}
	for _, c := range []byte(s) {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// Parse reads and checks an identity: every required field in both languages, a contact,
// https URLs, a colour as #rrggbb, nothing unknown (a misspelt key is an error, not a
// silently missing field).
func Parse(data []byte) (Identity, error) {
	var id Identity
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&id); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line := 1 + bytes.Count(data[:min(int(syntax.Offset), len(data))], []byte("\n"))
			return Identity{}, fmt.Errorf("organization: line %d: %w", line, err)
		}
		return Identity{}, fmt.Errorf("organization: %w", err)
	}
	if dec.More() {
		return Identity{}, errors.New("organization: more than one JSON value")
	}
	if err := id.Check(); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// Check says what is missing or wrong, all of it at once.
func (id Identity) Check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("organization: "+format, args...)) }
	texts := func(field string, t Texts, check func(string) error) {
		for _, v := range []struct{ lang, s string }{{"en", t.EN}, {"fr", t.FR}} {
			switch {
			case strings.TrimSpace(v.s) == "":
				bad("%s.%s is missing", field, v.lang)
			case v.s != strings.TrimSpace(v.s) || strings.ContainsFunc(v.s, unicode.IsControl):
				bad("%s.%s has spaces around it or a control character", field, v.lang)
			case len(v.s) > 200:
				bad("%s.%s is longer than 200 bytes", field, v.lang)
			case check != nil:
				if err := check(v.s); err != nil {
					bad("%s.%s %v", field, v.lang, err)
				}
			}
		}
	}
	texts("name", id.Name, nil)
	texts("sender", id.Sender, nil)
	texts("mailing_address", id.MailingAddress, nil)
	texts("website", id.Website, httpsURL)
	texts("privacy_url", id.PrivacyURL, httpsURL)
	if id.Email == "" && id.Phone == "" {
		bad("give a contact: email, phone or both")
	}
	if id.Email != "" {
		if a, err := mail.ParseAddress(id.Email); err != nil || a.Name != "" || a.Address != id.Email {
			bad("email %q is not a bare email address", id.Email)
		}
	}
	if id.Phone != "" && !phone(id.Phone) {
		bad("phone %q is not a phone number", id.Phone)
	}
	if id.LogoURL != "" {
		if err := httpsURL(id.LogoURL); err != nil {
			bad("logo_url %v", err)
		}
	}
	if id.AccentColor != "" && !Colour(id.AccentColor) {
		bad("accent_color %q is not a colour like #8e0015", id.AccentColor)
	}
	return errors.Join(errs...)
}

// httpsURL: an absolute https URL on a DNS host name (and a numeric port, if any), no
// credentials, nothing to escape.
func httpsURL(s string) error {
	if _, ok := httpsOrigin(s); !ok || strings.ContainsAny(s, " \"'<>\\`;,") {
		return fmt.Errorf("%q is not an https URL", s)
	}
	return nil
}

// httpsOrigin is s's origin ("https://host[:port]") when s is such a URL.
func httpsOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" || !dnsName(u.Hostname()) ||
		u.Port() != "" && !port(u.Port()) || strings.HasSuffix(u.Host, ":") {
		return "", false
	}
	return "https://" + strings.ToLower(u.Host), true
}

// LogoOrigin is the origin the logo is fetched from, which the pages' Content-Security-
// Policy allows images from, or "" without a logo (or with one that is not a plain https
// URL: an Identity that skipped Check cannot write the policy's syntax).
func (id Identity) LogoOrigin() string {
	if o, ok := httpsOrigin(id.LogoURL); ok && !strings.ContainsAny(id.LogoURL, " \"'<>\\`;,") {
		return o
	}
	return ""
}

var shipped = sync.OnceValues(func() (Identity, error) {
	id, err := Parse(infra.OrganizationJSON)
	if err != nil {
		return Identity{}, fmt.Errorf("infra/organization.json (README: The organization's identity): %w", err)
	}
	return id, nil
})

// Default is infra/organization.json, compiled in; the functions check it when they
// start (Load), and TestShippedIdentity keeps the file valid.
func Default() Identity {
	id, err := shipped()
	if err != nil {
		panic(err)
	}
	return id
}

// Load is Default, or why the compiled-in file is wrong.
func Load() (Identity, error) { return shipped() }

// Or is id, or Default when id is the zero Identity (a caller that set none).
func (id Identity) Or() Identity {
	if id.Name.EN == "" {
		return Default()
	}
	return id
}

// Accent is the accent colour, or DefaultAccent.
func (id Identity) Accent() string {
	if id.AccentColor == "" {
		return DefaultAccent
	}
	return id.AccentColor
}

// Fill puts the organization's name in lang in place of each Placeholder of text.
func (id Identity) Fill(lang i18n.Lang, text string) string {
	return strings.ReplaceAll(text, Placeholder, id.Name.In(lang))
}

// From is the From header of an email in lang sent from address: the sender's display
// name and the address, the name encoded as RFC 2047 asks when it is not plain ASCII
// ("=?utf-8?q?Riposte_=E2=80=94_Qu=C3=A9bec?= <appeal@example.org>").
func (id Identity) From(lang i18n.Lang, address string) string {
	name := id.Sender.In(lang)
	if name == "" {
		return address
	}
	return (&mail.Address{Name: name, Address: address}).String()
}

// Contact is the email and phone, as given, joined by " · ".
func (id Identity) Contact() string {
	var parts []string
	for _, p := range []string{id.Email, id.Phone} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

// Footer is the identification every email ends with, in lang: the name, the mailing
// address, the contact and the website, one per line.
func (id Identity) Footer(lang i18n.Lang) []string {
	return []string{id.Name.In(lang), id.MailingAddress.In(lang), id.Contact(), id.Website.In(lang)}
}

// DecodeFrom reads the display name back from a From header, for tests and checks:
// the RFC 2047 words decoded.
func DecodeFrom(header string) (name, address string, err error) {
	a, err := (&mail.AddressParser{WordDecoder: &mime.WordDecoder{}}).Parse(header)
	if err != nil {
		return "", "", err
	}
	return a.Name, a.Address, nil
}

type ctxKey struct{}

// With is ctx carrying id: the HTTP functions' pages read it (FromContext).
func With(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext is the identity ctx carries, or Default.
func FromContext(ctx context.Context) Identity {
	if id, ok := ctx.Value(ctxKey{}).(Identity); ok {
		return id.Or()
	}
	return Default()
}
