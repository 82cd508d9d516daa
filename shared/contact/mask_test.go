package contact

import (
	"strings"
	"testing"
)

func TestMasked(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ana@example.org", "a•••@example.org"},
		{"  Ana.Tremblay@Example.ORG. ", "a•••@example.org"},
		{"a@example.org", "a•••@example.org"},
		{"élodie@exemple.ca", "é•••@exemple.ca"},
		{"x+tag@a@b.example", "x•••@b.example"},
		{"not an address", "•••"},
		{"@example.org", "•••"},
		{"ana@", "•••"},
		{"", "•••"},
		{"\xffana@example.org", "•••@example.org"},
		// A domain a stranger types to write on our page is masked whole.
		{"x@ URGENT: your membership has lapsed. call 1-800-555-0100", "x•••@•••"},
		{"x@call-1-800-555-0100-to-renew.your-membership-has-lapsed.example", "x•••@•••"},
		{"x@ваш-членский-взнос-просрочен.рф", "x•••@•••"},
		{"x@example.org\u202e", "x•••@•••"},
		{"x@exa\u200bmple.org", "x•••@•••"},
		{"\u202ex@example.org", "•••@example.org"},
		{"x@localhost", "x•••@•••"},
	} {
		if got := Masked(c.in); got != c.want || !IsMasked(got) {
			t.Errorf("Masked(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, s := range []string{"x•••@call us", "x•••@a.example\u202e", "ab•••@a.example", "x•••", "•••@" + strings.Repeat("a", 41) + ".ca"} {
		if IsMasked(s) {
			t.Errorf("IsMasked(%q)", s)
		}
	}
}
