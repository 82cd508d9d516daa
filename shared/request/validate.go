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
	return v
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
