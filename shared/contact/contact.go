// Package contact normalizes how people are reached: email addresses (one person per
// address, whatever its case) and phone numbers (E.164).
package contact

import (
	"strings"
	"unicode"
)

// CanonicalEmail is the form of an address that identifies a person: trimmed, lowercased,
// with the domain's trailing root dot and any ideographic full stops (which IDNA treats as
// dots) written as plain dots. The local part keeps its dots: only some providers ignore
// them, so "a.b@" and "ab@" may be two people.
func CanonicalEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	domain := strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".").Replace(s[at+1:])
	// Trailing dots and white space in any mix ("x.org. \v."), and leading white space.
	domain = strings.TrimRightFunc(strings.TrimLeftFunc(domain, unicode.IsSpace), func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	return s[:at+1] + domain
}

// NormalizePhone returns a phone number in E.164 form and whether it is one. North
// American numbers may be written any usual way ("(514) 555-1234", "1-514-555-1234",
// "+1 514.555.1234"); other countries need their "+" and country code. Extensions and
// letters are refused.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	if plus {
		s = s[1:]
	}
	digits := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	d := string(digits)
	switch {
	case plus && strings.HasPrefix(d, "1"), !plus && len(d) == 11 && d[0] == '1':
		d = d[1:] // a North American number with its country code
	case !plus && len(d) == 10:
	case plus: // another country: E.164 allows up to 15 digits, country code first
		if len(d) < 8 || len(d) > 15 || d[0] == '0' {
			return "", false
		}
		return "+" + d, true
	default:
		return "", false
	}
	// North American Numbering Plan: an area code and an exchange that each start with 2–9.
	if len(d) != 10 || d[0] < '2' || d[3] < '2' {
		return "", false
	}
	return "+1" + d, true
}
