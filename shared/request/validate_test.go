package request

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/httpapi"
)

func TestPersonName(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		// Names as people write them.
		{"Ana", true},
		{"O'Brien", true},
		{"O’Brien", true},
		{"d’Arcy", true},
		{"Jean-Luc", true},
		{"Nguyễn Thị", true},                   // precomposed
		{"Nguye\u0302\u0303n Thi\u0323", true}, // the same, decomposed (NFD)
		{"Ồ", true},
		{"O\u0302\u0300", true}, // Ồ decomposed: a letter and two marks
		{"Mary-Kate St. John", true},
		{"Martin Luther King Jr.", true},
		{"J.R.R.", true},
		{"J. R. R. Tolkien", true},
		{"Élise", true},
		{"Noémie", true},
		{"Éloïse", true},
		{"Zoë", true},
		{"Ngũgĩ wa Thiong’o", true},
		{"Þórunn", true},
		{"Łukasz", true},
		{"Σωκράτης", true},
		{"Владимир", true},
		{"محمد", true},
		{"שרה", true},
		{"李小龍", true},
		{"さくら", true},
		{"김민준", true},
		{"देवनागरी", true},        // letters with spacing marks (Mc)
		{"Ka\u02bbiulani", true},  // ʻokina, a modifier letter
		{"Anne\u00a0Marie", true}, // a non-breaking space
		{"Anne‐Marie", true},      // U+2010 HYPHEN
		{" Ana ", true},           // the decoder trims; spaces alone are harmless
		{"Anne--Marie", true},

		// A stranger's text that is not a name.
		{"", false},
		{"   ", false},
		{"'-.", false},
		{" .com", false},
		{"evil..com", false},
		{"evil-.com", false},
		{"J.Rr.", false},
		{"x https://a", false},
		{"Visit https://evil.example/login", false},
		{"evil.example", false},
		{"Visit evil.com now", false},
		{"a.example", false},
		{"a.b", false},
		{"www.x.y", false},
		{"a@b", false},
		{"victim@example.org", false},
		{"Ana2", false},
		{"R2D2", false},
		{"٣", false}, // an Arabic-Indic digit
		{"Ⅷ", false}, // a Roman numeral, a number to Unicode
		{"Ana/Bob", false},
		{"Ana:Bob", false},
		{"<b>Mallory</b>", false},
		{"Ana>", false},
		{`Ana"`, false},
		{"Ana & Bob", false},
		{"Ana_Bob", false},
		{"Ana,Bob", false},
		{"Ana;", false},
		{"Ana!", false},
		{"Ana?", false},
		{"Ana#1", false},
		{"Ana%20", false},
		{"100$", false},
		{"=1+1", false},
		{"=HYPERLINK(\"x\")", false},
		{"✊🏽", false},
		{"Ana ✊", false},
		{"Ana\r\nBcc: x@example.org", false},
		{"Ana\tB", false},
		{"Ana\u0000", false},
		{"Ana\u200bB", false},               // zero-width space
		{"Ana\u200cB", false},               // zero-width non-joiner
		{"Ana\u200dB", false},               // zero-width joiner
		{"Ana\u2060B", false},               // word joiner
		{"\ufeffAna", false},                // byte-order mark
		{"Ana\u00adB", false},               // soft hyphen
		{"Mallory \u202eevil\u202c", false}, // right-to-left override
		{"\u202dAna", false},                // left-to-right override
		{"Ana\u2066B\u2069", false},         // isolates
		{"\u061cAna", false},                // Arabic letter mark
		{"\U000E0041na", false},             // a tag character
		{"\u3164", false},                   // Hangul filler: a blank letter
		{"Ana\u3164", false},
		{"\u115f\u1160", false},
		{"Ana\u034f", false}, // combining grapheme joiner
		{"Ana\ufe0f", false}, // variation selector
		{"\u0301", false},    // a combining mark alone
		{"\u0301\u0302\u0303", false},
		{"\u0301Ana", false},
		{"Ana \u0301", false},
		{"Ana-\u0301", false},
		{"Ana.\u0301", false},
		{"Ana\u2028B", false},   // line separator
		{"Ana\u3002com", false}, // ideographic full stop
		{"Ana\uff0ecom", false}, // fullwidth full stop
		{"ｅｖｉｌ．ｃｏｍ", false},
		{"Ana\u2024com", false}, // one dot leader
		{"Ana\xffB", false},     // invalid UTF-8
	} {
		if got := PersonName(c.name); got != c.want {
			t.Errorf("PersonName(%+q) = %v, want %v", c.name, got, c.want)
		}
	}
}

// A name field's message says what a name may hold, in the request's language.
func TestValidatePersonName(t *testing.T) {
	type person struct {
		FirstName string `json:"first_name" validate:"required,max=100,singleline,personname"`
		LastName  string `json:"last_name" validate:"required,max=100,singleline,personname"`
	}
	fields := httpapi.FieldErrors{}
	Validate(&person{FirstName: "Visit https://evil.example/login", LastName: "Roy"}, fields)
	if m, ok := fields["first_name"]; !ok || m.Key != "field.personname" || len(fields) != 1 {
		t.Fatalf("fields = %v", fields)
	}
	fields = httpapi.FieldErrors{}
	Validate(&person{FirstName: "A\r\nB", LastName: "Roy"}, fields)
	if m := fields["first_name"]; m.Key != "field.singleline" {
		t.Fatalf("a line break: fields = %v, want the control-character message first", fields)
	}
	fields = httpapi.FieldErrors{}
	Validate(&person{FirstName: "Mary-Kate", LastName: "St. John"}, fields)
	if len(fields) != 0 {
		t.Fatalf("a name: fields = %v", fields)
	}
}

// FuzzPersonName: whatever passes as a name holds a letter, and no character a link, an
// address, a formula or hidden text needs.
func FuzzPersonName(f *testing.F) {
	for _, s := range []string{"Ana", "O'Brien", "Nguyễn Thị", "O\u0302\u0300", "Mary-Kate St. John", "J.R.R.",
		"x https://a", "a@b", "evil.example", "a.b.c", "\u0301", "Ana\u200bB", "Mallory \u202eevil", "\u3164", "=1+1", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !PersonName(s) {
			return
		}
		if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsLetter) < 0 {
			t.Fatalf("accepted %+q", s)
		}
		if i := strings.IndexFunc(s, func(r rune) bool {
			return unicode.IsDigit(r) || unicode.IsNumber(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
				unicode.IsSymbol(r) || strings.ContainsRune("/:@<>&\"=+_,;!?#%()[]{}\\|~`^*", r) || invisible(r)
		}); i >= 0 {
			t.Fatalf("accepted %+q, with %+q", s, s[i:])
		}
		// No period between two runs of letters unless both are initials: no domain name.
		runes := []rune(s)
		for i, r := range runes {
			if r != '.' || i == 0 || i+1 >= len(runes) || !unicode.IsLetter(runes[i+1]) {
				continue
			}
			before, after := run(runes[:i], true), run(runes[i+1:], false)
			if before != 1 || after != 1 {
				t.Fatalf("accepted %+q: a period between runs of %d and %d letters", s, before, after)
			}
		}
		// A mark is never first, nor after a separator.
		for i, r := range runes {
			if unicode.IsMark(r) && (i == 0 || !(unicode.IsLetter(runes[i-1]) || unicode.IsMark(runes[i-1]))) {
				t.Fatalf("accepted %+q: a mark alone at %d", s, i)
			}
		}
	})
}

// run counts the letters (marks aside) of the run of letters and marks at the end of rs
// (back) or at its start.
func run(rs []rune, back bool) int {
	n := 0
	for i := range rs {
		r := rs[i]
		if back {
			r = rs[len(rs)-1-i]
		}
		switch {
		case unicode.IsLetter(r):
			n++
		case unicode.IsMark(r):
		default:
			return n
		}
	}
	return n
}
