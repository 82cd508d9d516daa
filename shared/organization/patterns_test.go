package organization

import (
	"regexp"
	"testing"
)

// The patterns the checks replaced: each check must agree with its pattern on every
// input.
var patterns = map[string]struct {
	re    *regexp.Regexp
	check func(string) bool
}{
	"colour":  {regexp.MustCompile(`^#[0-9a-fA-F]{6}$`), Colour},
	"phone":   {regexp.MustCompile(`^\+?[0-9][0-9 ().-]{5,30}[0-9]$`), phone},
	"dnsName": {regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`), dnsName},
	"port":    {regexp.MustCompile(`^[0-9]{1,5}$`), port},
}

var patternSeeds = []string{"", "#8e0015", "#8E0015", "#8e001", "#8e00155", "8e0015#", "#8g0015",
	"+1 514 555-0100", "(514) 555.0100", "+15145550100", "+", "123456", "1234567", "1 2", "+1-514-555-010a",
	"12345678901234567890123456789012", "123456789012345678901234567890123", "-514-555-0100",
	"solidarity.example", "a.b", "localhost", "a..b", "-a.b", "a-.b", "a.b-", "xn--bcher-kva.example",
	"192.0.2.1", ".a.b", "a.b.", "A1.B2", "a_b.c", "a b.c", "0", "443", "65535", "123456", "4 3", "é.example"}

func TestChecksAgreeWithTheirPatterns(t *testing.T) {
	for name, p := range patterns {
		for _, s := range patternSeeds {
			if got, want := p.check(s), p.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, the pattern says %v", name, s, got, want)
			}
		}
	}
}

func FuzzChecksAgreeWithTheirPatterns(f *testing.F) {
	for _, s := range patternSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, p := range patterns {
			if got, want := p.check(s), p.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, the pattern says %v", name, s, got, want)
			}
		}
	})
}
