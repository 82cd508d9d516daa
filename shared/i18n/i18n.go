// Package i18n holds the project's two languages, English and French: choosing one for a
// request, the message catalogue, and money and date formatting as each language writes it.
package i18n

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Lang is a supported language code.
type Lang string

// The supported languages.
const (
	EN Lang = "en"
	FR Lang = "fr"
)

// Parse returns the language named by s, and whether s names a supported one.
func Parse(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en":
		return EN, true
	case "fr":
		return FR, true
	}
	return EN, false
}

// Negotiate picks the request's language: the explicit field if it is supported, else the
// best supported language of an Accept-Language header, else English.
func Negotiate(field, acceptLanguage string) Lang {
	if l, ok := Parse(field); ok {
		return l
	}
	best, bestQ := EN, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
		l, ok := Parse(primary)
		if !ok {
			continue
		}
		q := 1.0
		if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		if q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	return best
}

// Message is a catalogue key with its arguments, localized only when it is shown, since a
// request's language may be known only after its body is read.
type Message struct {
	Key  string
	Args []any
}

// M builds a Message.
func M(key string, args ...any) Message { return Message{Key: key, Args: args} }

// Keys are the catalogue's English keys that start with prefix, sorted: for tests that
// render every page or email the catalogue has words for.
func Keys(prefix string) []string {
	var keys []string
	for k := range catalogue[EN] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Text renders m in lang. Arguments of type Cents are formatted as money in that language.
func Text(lang Lang, m Message) string {
	format, ok := catalogue[lang][m.Key]
	if !ok {
		format, ok = catalogue[EN][m.Key]
	}
	if !ok {
		return m.Key
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if c, isCents := a.(Cents); isCents {
			a = FormatCents(lang, int64(c))
		}
		args[i] = a
	}
	return fmt.Sprintf(format, args...)
}

// Cents marks a message argument as an amount of money in cents.
type Cents int64

// FormatCents writes an amount of cents as a price in lang: "$1,234.50" in English,
// "1 234,50 $" in French (Canadian usage, with a no-break space, U+00A0, between groups and before the sign).
func FormatCents(lang Lang, cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole, frac := cents/100, cents%100
	digits := fmt.Sprint(whole)
	sep, dec := ",", "."
	if lang == FR {
		sep, dec = "\u00a0", ","
	}
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(d)
	}
	if lang == FR {
		return fmt.Sprintf("%s%s%s%02d\u00a0$", sign, b.String(), dec, frac)
	}
	return fmt.Sprintf("%s$%s%s%02d", sign, b.String(), dec, frac)
}

var monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

// FormatDate writes a calendar date as each language writes it in prose:
// "November 27, 2026" and "27 novembre 2026".
func FormatDate(lang Lang, t time.Time) string {
	if lang == FR {
		day := fmt.Sprint(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return fmt.Sprintf("%s %s %d", day, monthsFR[t.Month()-1], t.Year())
	}
	return t.Format("January 2, 2006")
}

// FormatDay writes a calendar day given as 2006-01-02 as FormatDate does ("November 27,
// 2026", "27 novembre 2026"); text that is no such day is returned as it is.
func FormatDay(lang Lang, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return FormatDate(lang, t)
}
