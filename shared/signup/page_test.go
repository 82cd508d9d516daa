package signup

import (
	"testing"
	"unicode/utf8"
)

func TestPostalStart(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"H2X 1Y4", "H2X"},
		{"h2x1y4", "H2X"},
		{" j8x-1a1", "J8X"},
		{"90210", "902"},
		{"K1", "K1"},
		{"", ""},
		{"<b>1", "B1"},
		{"é1x 2y3", "É1X"},
	} {
		if got := postalStart(c.in); got != c.want {
			t.Errorf("postalStart(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzPostalStart(f *testing.F) {
	for _, s := range []string{"H2X 1Y4", "", "<script>", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := postalStart(s)
		if utf8.RuneCountInString(got) > 3 || !utf8.ValidString(got) {
			t.Fatalf("postalStart(%q) = %q", s, got)
		}
		for _, r := range got {
			if r == '<' || r == '>' || r == '&' || r == ' ' {
				t.Fatalf("postalStart(%q) = %q keeps %q", s, got, r)
			}
		}
	})
}
