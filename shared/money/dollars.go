// Package money reads amounts of money as people type them: one parser of dollars for the
// donation form and the staff tool, so the same text is the same number of cents
// wherever it is typed. Amounts are integer cents; no float ever holds one.
package money

import (
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
)

// MaxCents is the largest amount ParseDollars accepts: $999,999,999.99, nine digits of
// dollars, far below what an int64 of cents can hold and above any goal or gift.
const MaxCents int64 = 999_999_999_99

// Error is why a typed amount was refused. Its Message is localized when shown.
type Error struct {
	key string
}

// The reasons ParseDollars refuses an amount. Compare with errors.Is.
var (
	// ErrNotAmount: empty, letters, an exponent, NaN, a stray sign or separator.
	ErrNotAmount = &Error{"money.not_amount"}
	// ErrNegative: a minus sign.
	ErrNegative = &Error{"money.negative"}
	// ErrDecimals: more than two digits after the decimal mark.
	ErrDecimals = &Error{"money.decimals"}
	// ErrAmbiguous: text that people writing English and French read differently, such
	// as "1.250" (one and a quarter, or twelve hundred and fifty?), or "1,250" read as
	// French, or separators in the wrong order for the language ("1.250,00" in English).
	ErrAmbiguous = &Error{"money.ambiguous"}
	// ErrTooLarge: more than MaxCents.
	ErrTooLarge = &Error{"money.too_large"}
)

// Message is the refusal as a catalogue message.
func (e *Error) Message() i18n.Message {
	if e == ErrTooLarge {
		return i18n.M(e.key, i18n.Cents(MaxCents))
	}
	return i18n.M(e.key)
}

// Error implements error, in English.
func (e *Error) Error() string { return i18n.Text(i18n.EN, e.Message()) }

// ParseDollars reads an amount of dollars typed by a person writing lang into cents.
//
// Accepted, in either language: "25", "25.5", "25.50", "25,50" (a mark followed by one or
// two digits can only be a decimal mark), "1 250,50" and "1 250.50" (groups of three
// separated by a space, a no-break space U+00A0, a narrow no-break space U+202F or a thin
// space), with one currency mark before or after: "$", "C$", "CA$", "$ CA", "CAD".
// In English, a comma also separates thousands: "1,250" and "1,250.00" are $1,250.00.
// In French, the comma is only the decimal mark, so "1,250" has three decimals and is
// refused, like "1.250" in either language; so is "1,250.00" in French and "1.250,00"
// in English. Negative amounts, exponents and more than two decimals are refused. The
// error is an *Error; no text is ever read as a hundred times what it says.
func ParseDollars(s string, lang i18n.Lang) (int64, error) {
	s = strings.Map(spaceToASCII, s)
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, ErrNegative
	}
	s, ok := stripCurrency(s)
	if !ok || s == "" {
		return 0, ErrNotAmount
	}
	if strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") {
		return 0, ErrNegative
	}
	// Runs of digits split by single separators: digits[0] seps[0] digits[1] … digits[n].
	var digits []string
	var seps []byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			continue
		case c == '.' || c == ',' || c == ' ':
			if i == start { // leading, trailing or doubled separator
				return 0, ErrNotAmount
			}
			digits = append(digits, s[start:i])
			seps = append(seps, c)
			start = i + 1
		default:
			return 0, ErrNotAmount
		}
	}
	if start == len(s) {
		return 0, ErrNotAmount // ends with a separator: "25."
	}
	digits = append(digits, s[start:])

	// The decimal part: the last run, after a point or a comma, when it has one or two
	// digits (a group of thousands always has three).
	frac, decimal := "", byte(0)
	if n := len(seps); n > 0 {
		last, tail := seps[n-1], digits[n]
		switch {
		case last != ' ' && len(tail) <= 2:
			frac, decimal = tail, last
			digits, seps = digits[:n], seps[:n-1]
		case last == ' ' || (groups(lang, last) && len(tail) == 3):
			// a group of thousands: checked below with the others
		case len(tail) == 3:
			return 0, ErrAmbiguous
		default:
			return 0, ErrDecimals
		}
	}
	whole, err := wholeDollars(digits, seps, lang, decimal)
	if err != nil {
		return 0, err
	}
	cents := whole * 100
	if frac != "" {
		frac += "0" // "25.5" is 25.50
		cents += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if cents > MaxCents {
		return 0, ErrTooLarge
	}
	return cents, nil
}

// wholeDollars reads the dollars: one run of digits, or groups of three after a first
// group of one to three that does not start with 0, all split by the same separator,
// one that groups thousands in lang and is not the decimal mark (0 when there are no
// cents).
func wholeDollars(digits []string, seps []byte, lang i18n.Lang, decimal byte) (int64, error) {
	if len(seps) > 0 {
		sep := seps[0]
		for _, c := range seps {
			if c != sep {
				return 0, ErrNotAmount // "1 250,000": two kinds of group
			}
		}
		if !groups(lang, sep) {
			// "1.250,00" in English, "1,250.00" in French: the decimal mark of the
			// language before the last mark.
			return 0, ErrAmbiguous
		}
		if sep == decimal {
			return 0, ErrNotAmount // "1,250,50": the same mark for thousands and cents
		}
		first := digits[0]
		if len(first) > 3 || first[0] == '0' {
			if sep == ' ' {
				return 0, ErrNotAmount
			}
			return 0, ErrAmbiguous // "1234,567", "0,250"
		}
		for _, g := range digits[1:] {
			if len(g) != 3 {
				return 0, ErrNotAmount // "1,25,000", "2 5"
			}
		}
	}
	var whole int64
	for _, run := range digits {
		for i := 0; i < len(run); i++ {
			whole = whole*10 + int64(run[i]-'0')
			if whole > MaxCents/100 {
				return 0, ErrTooLarge
			}
		}
	}
	return whole, nil
}

// groups reports whether sep separates thousands in lang: a space in both, and in
// English a comma.
func groups(lang i18n.Lang, sep byte) bool {
	return sep == ' ' || (sep == ',' && lang != i18n.FR)
}

// spaceToASCII maps the spaces people and i18n.FormatCents put between groups of digits
// to ' ', and the minus sign to '-'.
func spaceToASCII(r rune) rune {
	switch r {
	case '\u00a0', '\u202f', '\u2009', '\u2007':
		return ' '
	case '\u2212': // the minus sign
		return '-'
	}
	return r
}

// The currency marks an amount may carry, longest first, in ASCII upper case.
var (
	prefixes = []string{"CA$", "CAD", "C$", "$"}
	suffixes = []string{"$ CAD", "$CAD", "$ CA", "$CA", "CA$", "CAD", "C$", "$"}
)

// stripCurrency removes one currency mark, before or after the number, and the spaces
// around it; ok is false for marks on both sides.
func stripCurrency(s string) (string, bool) {
	up := asciiUpper(s)
	for _, p := range prefixes {
		if strings.HasPrefix(up, p) {
			s, up = strings.TrimLeft(s[len(p):], " "), strings.TrimLeft(up[len(p):], " ")
			return s, !hasMark(up)
		}
	}
	for _, x := range suffixes {
		if strings.HasSuffix(up, x) {
			return strings.TrimRight(s[:len(s)-len(x)], " "), true
		}
	}
	return s, true
}

func hasMark(up string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(up, x) {
			return true
		}
	}
	return false
}

// asciiUpper upper-cases ASCII letters only, so byte offsets stay those of s.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
