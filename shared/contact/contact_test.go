package contact

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCanonicalEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ana@example.org", "ana@example.org"},
		{"  Ana.Roy@Example.ORG ", "ana.roy@example.org"},
		{"ana@example.org.", "ana@example.org"},
		{"ana@example\u3002org", "ana@example.org"},
		{"ana@example\uff0eorg", "ana@example.org"},
		{"a.n.a@example.org", "a.n.a@example.org"}, // local dots are significant
		{"ANA+join@EXAMPLE.org", "ana+join@example.org"},
		{"no-at-sign", "no-at-sign"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CanonicalEmail(tt.in); got != tt.want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"514-555-1234", "+15145551234", true},
		{"(514) 555-1234", "+15145551234", true},
		{"514.555.1234", "+15145551234", true},
		{"1 514 555 1234", "+15145551234", true},
		{"+1 (514) 555-1234", "+15145551234", true},
		{"+15145551234", "+15145551234", true},
		{" 4165550000 ", "+14165550000", true},
		{"+33 1 23 45 67 89", "+33123456789", true},
		{"+44 20 7946 0958", "+442079460958", true},
		{"555-1234", "", false},          // no area code
		{"014-555-1234", "", false},      // area codes start 2–9
		{"514-155-1234", "", false},      // exchanges start 2–9
		{"+1 514 555 123", "", false},    // nine digits
		{"+1 514 555 12345", "", false},  // eleven digits
		{"2 514 555 1234", "", false},    // eleven digits, not country code 1
		{"514-555-1234 x22", "", false},  // extensions refused
		{"514-CALL-NOW", "", false},      // letters refused
		{"+0 123 456 789", "", false},    // no country code 0
		{"+1234567", "", false},          // too short
		{"+1234567890123456", "", false}, // longer than E.164
		{"++15145551234", "", false},     // one plus only
		{"514\n555\n1234", "", false},    // control characters
		{"", "", false},
		{"+", "", false},
		{"()--..", "", false},
		{"５１４５５５１２３４", "", false}, // fullwidth digits are not digits here
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"514-555-1234", "+1 (514) 555-1234", "+33 1 23 45 67 89", "", "+", "1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizePhone(s)
		if !ok {
			if got != "" {
				t.Fatalf("refused %q but returned %q", s, got)
			}
			return
		}
		// E.164: a plus, then 8 to 15 digits, the first not 0.
		if len(got) < 9 || len(got) > 16 || got[0] != '+' || got[1] == '0' || strings.Trim(got[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, got)
		}
		if again, ok := NormalizePhone(got); !ok || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, ok)
		}
	})
}

func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{"Ana@Example.ORG.", "a@b\u3002c", "", "@", "x@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CanonicalEmail(s)
		if again := CanonicalEmail(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		if utf8.ValidString(s) && got != strings.ToLower(got) {
			t.Fatalf("CanonicalEmail(%q) = %q keeps upper case", s, got)
		}
	})
}
