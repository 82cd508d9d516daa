package request

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// validate is built once: validator caches struct metadata and is safe for concurrent use.
var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(sf reflect.StructField) string { return jsonName(sf) })
	// singleline refuses control characters (CR/LF above all), which must never reach a
	// mail header or a CSV export through a name or an address.
	_ = v.RegisterValidation("singleline", func(fl validator.FieldLevel) bool {
		return strings.IndexFunc(fl.Field().String(), unicode.IsControl) < 0
	})
	// personname keeps typed names to names: they open receipts sent from our signed
	// domain, which must not relay a stranger's URL or address.
	_ = v.RegisterValidation("personname", func(fl validator.FieldLevel) bool {
		return PersonName(fl.Field().String())
	})
	return v
}

// PersonName reports whether s may be a person's name: Unicode letters, each followed by
// any combining marks, and between them spaces (a non-breaking one too), apostrophes
// (' and ’), hyphens (-, ‐ and ‑) and periods. A period ends a word (St. John, Jr.) or an initial (J.R.R.): a period between
// two longer runs of letters would make a domain name (evil.example) that mail clients
// turn into a link. No digits, no other punctuation or symbols (/ : @ <), no invisible
// characters (zero-width, bidirectional controls, fillers, variation selectors), and at
// least one letter.
func PersonName(s string) bool {
	runes := []rune(s)
	letters := 0
	word := 0 // letters in the current run of letters, marks aside
	for i, r := range runes {
		switch {
		case invisible(r):
			return false
		case unicode.IsLetter(r):
			letters++
			word++
		case unicode.IsMark(r):
			if word == 0 { // a mark alone, or after a space or a sign
				return false
			}
		case r == '.':
			if i+1 < len(runes) && unicode.IsLetter(runes[i+1]) && (word != 1 || !initial(runes[i+1:])) {
				return false // evil.example, a.example, -.example
			}
			word = 0
		case unicode.Is(unicode.Zs, r), r == '\'', r == '’', r == '-', r == '‐', r == '‑':
			word = 0
		default:
			return false
		}
	}
	return letters > 0
}

// initial reports whether rest, what follows a period after one letter, starts with
// another initial: one letter, its marks, and a period.
func initial(rest []rune) bool {
	i := 1
	for i < len(rest) && unicode.IsMark(rest[i]) {
		i++
	}
	return i < len(rest) && rest[i] == '.'
}

// invisible reports whether r shows nothing: letters that render blank (Hangul fillers)
// and marks that only select a glyph are letters and marks to Unicode, yet would let a
// "name" hide text.
func invisible(r rune) bool {
	return unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
}

// Validate checks v's `validate` tags and adds a localized message for each failing
// field, keyed by the request's own (dotted) field name.
func Validate(v any, fields httpapi.FieldErrors) {
	err := validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return
	}
	for _, fe := range verrs {
		_, key, _ := strings.Cut(fe.Namespace(), ".")
		fields.Add(key, tagMessage(fe))
	}
}

func tagMessage(fe validator.FieldError) i18n.Message {
	switch fe.Tag() {
	case "required":
		return i18n.M("field.required")
	case "email":
		return i18n.M("field.email")
	case "max":
		n, _ := strconv.Atoi(fe.Param())
		return i18n.M("field.max", n)
	case "singleline":
		return i18n.M("field.singleline")
	case "personname":
		return i18n.M("field.personname")
	case "oneof":
		switch fe.Field() {
		case "language":
			return i18n.M("field.language")
		case "frequency":
			return i18n.M("field.frequency")
		}
	}
	return i18n.M("field." + fe.Tag())
}
