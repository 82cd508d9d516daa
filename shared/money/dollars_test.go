package money

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
)

func TestParseDollars(t *testing.T) {
	const both = i18n.Lang("") // the case is run in English and in French
	tests := []struct {
		in   string
		lang i18n.Lang
		want int64
		err  error
	}{
		// Plain amounts, either language.
		{"25", both, 2500, nil},
		{"0", both, 0, nil},
		{"0.99", both, 99, nil},
		{"007", both, 700, nil},
		{"25.5", both, 2550, nil},
		{"25.50", both, 2550, nil},
		{"25,5", both, 2550, nil},
		{"25,50", both, 2550, nil}, // the staff bug: never 255000
		{"0,50", both, 50, nil},
		{" 1000000 ", both, 100_000_000, nil},
		{"12345678", both, 1_234_567_800, nil},
		{"999999999.99", both, MaxCents, nil},

		// Groups of thousands with spaces, either language.
		{"1 250", both, 125_000, nil},
		{"1 250,50", both, 125_050, nil},
		{"1 250.50", both, 125_050, nil},
		{"1\u00a0250,50", both, 125_050, nil},
		{"1\u202f250,50", both, 125_050, nil},
		{"1\u2009250\u2009000", both, 125_000_000, nil},
		{"12 345 678,90", both, 1_234_567_890, nil},

		// Currency marks.
		{"$25", both, 2500, nil},
		{"$ 25", both, 2500, nil},
		{"25 $", both, 2500, nil},
		{"25$", both, 2500, nil},
		{"25,50\u00a0$", both, 2550, nil},
		{"CA$25.50", both, 2550, nil},
		{"ca$ 25", both, 2500, nil},
		{"C$25", both, 2500, nil},
		{"25 $ CA", both, 2500, nil},
		{"25 $CA", both, 2500, nil},
		{"25 CAD", both, 2500, nil},
		{"CAD 25", both, 2500, nil},
		{"25 CA$", both, 2500, nil},
		{"  $1,250.00  ", i18n.EN, 125_000, nil},
		{"1\u00a0250,00\u00a0$", i18n.FR, 125_000, nil},

		// English: the comma groups thousands.
		{"1,250", i18n.EN, 125_000, nil},
		{"1,250.00", i18n.EN, 125_000, nil},
		{"1,250.5", i18n.EN, 125_050, nil},
		{"90,000.00", i18n.EN, 9_000_000, nil},
		{"1,250,000", i18n.EN, 125_000_000, nil},
		{"999,999,999.99", i18n.EN, MaxCents, nil},

		// French: the comma is the decimal mark, so three digits after it are refused.
		{"1,250", i18n.FR, 0, ErrAmbiguous},
		{"1,250.00", i18n.FR, 0, ErrAmbiguous},
		{"1,250,000", i18n.FR, 0, ErrAmbiguous},
		{"90,000", i18n.FR, 0, ErrAmbiguous},

		// A point with three digits after it: a decimal to some, thousands to others.
		{"1.250", both, 0, ErrAmbiguous},
		{"1.250.000", both, 0, ErrAmbiguous},
		{"25.555", both, 0, ErrAmbiguous},
		// Separators in the wrong order for the language.
		{"1.250,00", i18n.EN, 0, ErrAmbiguous},
		{"1.250,00", i18n.FR, 0, ErrAmbiguous},
		{"0,250", i18n.EN, 0, ErrAmbiguous},
		{"1234,567", i18n.EN, 0, ErrAmbiguous},

		// More than two decimals.
		{"25.5555", both, 0, ErrDecimals},
		{"10.005", i18n.EN, 0, ErrAmbiguous},
		{"10.0050", both, 0, ErrDecimals},
		{"1,2345", both, 0, ErrDecimals},

		// Negative.
		{"-5", both, 0, ErrNegative},
		{"-0", both, 0, ErrNegative},
		{"\u22125", both, 0, ErrNegative},
		{"-$5", both, 0, ErrNegative},
		{"$-5", both, 0, ErrNegative},
		{"5-", both, 0, ErrNegative},

		// Too large.
		{"1000000000", both, 0, ErrTooLarge},
		{"1 000 000 000", both, 0, ErrTooLarge},
		{"1,000,000,000", i18n.EN, 0, ErrTooLarge},
		{"99999999999999999999999", both, 0, ErrTooLarge},

		// Not amounts at all.
		{"", both, 0, ErrNotAmount},
		{"   ", both, 0, ErrNotAmount},
		{"$", both, 0, ErrNotAmount},
		{"CA$", both, 0, ErrNotAmount},
		{"$25$", both, 0, ErrNotAmount},
		{"$25 CAD", both, 0, ErrNotAmount},
		{"abc", both, 0, ErrNotAmount},
		{"twenty", both, 0, ErrNotAmount},
		{"1e3", both, 0, ErrNotAmount},
		{"2.5e1", both, 0, ErrNotAmount},
		{"NaN", both, 0, ErrNotAmount},
		{"Inf", both, 0, ErrNotAmount},
		{"0x10", both, 0, ErrNotAmount},
		{"+5", both, 0, ErrNotAmount},
		{"(25)", both, 0, ErrNotAmount},
		{"25.", both, 0, ErrNotAmount},
		{"25,", both, 0, ErrNotAmount},
		{".50", both, 0, ErrNotAmount},
		{",50", both, 0, ErrNotAmount},
		{"25..50", both, 0, ErrNotAmount},
		{"2 5", both, 0, ErrNotAmount},
		{"1  250", both, 0, ErrNotAmount},
		{"0 250", both, 0, ErrNotAmount},
		{"1 25 000", both, 0, ErrNotAmount},
		{"1,25,000", i18n.EN, 0, ErrNotAmount},
		{"1,250,50", i18n.EN, 0, ErrNotAmount},
		{"1 250,000.00", i18n.EN, 0, ErrNotAmount},
		{"US$25", both, 0, ErrNotAmount},
		{"25 €", both, 0, ErrNotAmount},
		{"２５", both, 0, ErrNotAmount},
		{"٢٥", both, 0, ErrNotAmount},
		{"25\n", both, 2500, nil},
		{"2\n5", both, 0, ErrNotAmount},
		{"25\x00", both, 0, ErrNotAmount},
		{"\xff25", both, 0, ErrNotAmount},
	}
	for _, tt := range tests {
		langs := []i18n.Lang{tt.lang}
		if tt.lang == both {
			langs = []i18n.Lang{i18n.EN, i18n.FR}
		}
		for _, lang := range langs {
			got, err := ParseDollars(tt.in, lang)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("ParseDollars(%q, %s) = %d, %v; want %d, %v", tt.in, lang, got, err, tt.want, tt.err)
			}
		}
	}
}

// TestRefusalsAreLocalized: each refusal reads in both languages, and the largest amount
// is in the message, written as each language writes money.
func TestRefusalsAreLocalized(t *testing.T) {
	tests := []struct {
		err    *Error
		en, fr string
	}{
		{ErrNotAmount, "amount in dollars", "montant en dollars"},
		{ErrNegative, "negative", "négatif"},
		{ErrDecimals, "two digits", "deux chiffres"},
		{ErrAmbiguous, "two ways", "deux façons"},
		{ErrTooLarge, "$999,999,999.99", "999\u00a0999\u00a0999,99\u00a0$"},
	}
	for _, tt := range tests {
		en, fr := i18n.Text(i18n.EN, tt.err.Message()), i18n.Text(i18n.FR, tt.err.Message())
		if !strings.Contains(en, tt.en) || !strings.Contains(fr, tt.fr) || en == fr {
			t.Errorf("%s: %q / %q", tt.err.key, en, fr)
		}
		if tt.err.Error() != en {
			t.Errorf("%s: Error() = %q, want the English message", tt.err.key, tt.err.Error())
		}
	}
}

// FuzzParseDollars: no input panics; an accepted amount is between 0 and MaxCents, reads
// back as itself when written out by either language, and means the same cents in the
// other language or is refused there: never a different amount.
func FuzzParseDollars(f *testing.F) {
	for _, s := range []string{"25", "25,50", "25.50", "1,250", "1.250", "1 250,50", "1\u202f250,50 $",
		"$1,250.00", "CA$25", "25 $ CA", "-5", "1e3", "NaN", "999999999.99", "1000000000", "", "$", "1,25,000", "0,250"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, french bool) {
		lang, other := i18n.EN, i18n.FR
		if french {
			lang, other = i18n.FR, i18n.EN
		}
		cents, err := ParseDollars(s, lang)
		if err != nil {
			var e *Error
			if cents != 0 || !errors.As(err, &e) {
				t.Fatalf("ParseDollars(%q, %s) = %d, %v: a refusal is 0 and an *Error", s, lang, cents, err)
			}
			return
		}
		if cents < 0 || cents > MaxCents {
			t.Fatalf("ParseDollars(%q, %s) = %d, out of range", s, lang, cents)
		}
		for _, w := range []struct {
			text string
			lang i18n.Lang
		}{
			{i18n.FormatCents(i18n.EN, cents), i18n.EN},
			{i18n.FormatCents(i18n.FR, cents), i18n.FR},
			{fmt.Sprintf("%d.%02d", cents/100, cents%100), lang},
			{fmt.Sprintf("%d,%02d", cents/100, cents%100), other},
		} {
			if back, err := ParseDollars(w.text, w.lang); err != nil || back != cents {
				t.Fatalf("ParseDollars(%q, %s) = %d; %q (%s) reads back as %d, %v", s, lang, cents, w.text, w.lang, back, err)
			}
		}
		if there, err := ParseDollars(s, other); err == nil && there != cents {
			t.Fatalf("%q is %d in %s but %d in %s", s, cents, lang, there, other)
		}
	})
}
