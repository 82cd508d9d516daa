package i18n

import (
	"testing"
	"time"
)

func TestCatalogueComplete(t *testing.T) {
	for key := range catalogue[EN] {
		if _, ok := catalogue[FR][key]; !ok {
			t.Errorf("French lacks %q", key)
		}
	}
	for key := range catalogue[FR] {
		if _, ok := catalogue[EN][key]; !ok {
			t.Errorf("English lacks %q", key)
		}
	}
}

// TestKeys: the keys with a prefix, sorted, and only those.
func TestKeys(t *testing.T) {
	keys := Keys("page.thanks.")
	if len(keys) != 2 || keys[0] != "page.thanks.body" || keys[1] != "page.thanks.title" {
		t.Errorf("Keys(page.thanks.) = %q", keys)
	}
	if all := Keys(""); len(all) != len(catalogue[EN]) {
		t.Errorf("Keys() has %d of %d", len(all), len(catalogue[EN]))
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		field, header string
		want          Lang
	}{
		{"", "", EN},
		{"fr", "", FR},
		{"FR", "en", FR},
		{"de", "fr-CA,fr;q=0.9", FR},
		{"", "de-DE, fr;q=0.5, en;q=0.4", FR},
		{"", "en;q=0.3, fr;q=0.8", FR},
		{"", "fr;q=0, en", EN},
		{"", "fr;q=abc, en;q=0.1", EN},
		{"", ";;;,,,", EN},
		{"", "es", EN},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.field, tt.header); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.field, tt.header, got, tt.want)
		}
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		lang  Lang
		cents int64
		want  string
	}{
		{EN, 2500, "$25.00"},
		{FR, 2500, "25,00\u00a0$"},
		{EN, 10000000, "$100,000.00"},
		{FR, 9002500, "90\u00a0025,00\u00a0$"},
		{EN, 5, "$0.05"},
		{EN, -500, "-$5.00"},
		{EN, 123456789, "$1,234,567.89"},
	}
	for _, tt := range tests {
		if got := FormatCents(tt.lang, tt.cents); got != tt.want {
			t.Errorf("FormatCents(%s, %d) = %q, want %q", tt.lang, tt.cents, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	d := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	if got := FormatDate(FR, d); got != "27 novembre 2026" {
		t.Errorf("fr: %q", got)
	}
	if got := FormatDate(EN, d); got != "November 27, 2026" {
		t.Errorf("en: %q", got)
	}
	if got := FormatDate(FR, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); got != "1er mars 2026" {
		t.Errorf("fr first: %q", got)
	}
}

func TestFormatDay(t *testing.T) {
	for _, tt := range []struct {
		lang      Lang
		day, want string
	}{
		{EN, "2026-11-27", "November 27, 2026"},
		{FR, "2026-11-27", "27 novembre 2026"},
		{FR, "2026-03-01", "1er mars 2026"},
		{EN, "", ""},
		{EN, "total", "total"},                               // a total row's label, left as it is
		{FR, "2026-02-30", "2026-02-30"},                     // no such day
		{EN, "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z"}, // an instant, not a day
		{EN, "27/11/2026", "27/11/2026"},
	} {
		if got := FormatDay(tt.lang, tt.day); got != tt.want {
			t.Errorf("FormatDay(%s, %q) = %q, want %q", tt.lang, tt.day, got, tt.want)
		}
	}
}

// FuzzFormatDay: whatever the text, no panic; a day is written in words (never as it
// came), anything else is returned unchanged.
func FuzzFormatDay(f *testing.F) {
	for _, s := range []string{"2026-11-27", "2026-02-30", "", "total", "0001-01-01", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := time.Parse(time.DateOnly, s)
		for _, lang := range []Lang{EN, FR} {
			got := FormatDay(lang, s)
			if err != nil && got != s {
				t.Fatalf("FormatDay(%s, %q) = %q: not a day, yet changed", lang, s, got)
			}
			if err == nil && got == s {
				t.Fatalf("FormatDay(%s, %q) left a day as it came", lang, s)
			}
		}
	})
}

func TestTextFormatsCentsArguments(t *testing.T) {
	if got := Text(FR, M("field.amount_min", Cents(100))); got != "Le don minimum est de 1,00\u00a0$." {
		t.Errorf("got %q", got)
	}
	if got := Text(EN, M("no.such.key")); got != "no.such.key" {
		t.Errorf("missing key: %q", got)
	}
}
