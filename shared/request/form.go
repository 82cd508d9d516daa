package request

import (
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// neverEchoed are fields a form's error page does not show again: the honeypot (people
// never fill it in; a bot should not learn it was seen) and the Turnstile token (single
// use: the widget makes a new one).
var neverEchoed = map[string]bool{"website": true, "cf-turnstile-response": true}

// chosenByThePage are fields the site's forms set for the person (a hidden input, or a
// choice made before the rest): the error page keeps them as they were posted, hidden.
var chosenByThePage = map[string]bool{"campaign": true, "plan": true, "language": true}

// WriteError answers err in the contract's shape (httpapi.WriteError). For a plain HTML
// form post whose body was read, the error page shows the form again, filled in with what
// was posted, each problem beside its field, to be sent again to the same address: req
// (a pointer to the request struct) says which fields the form has.
func WriteError(w http.ResponseWriter, r *http.Request, lang i18n.Lang, body Body, req any, err error) {
	if body != Form || r.PostForm == nil {
		httpapi.WriteError(w, r, lang, body == Form, err)
		return
	}
	e, _ := httpapi.AsError(err)
	httpapi.WriteFormError(w, r, lang, postedForm(r.PostForm, reflect.TypeOf(req), e.Fields), err)
}

// postedForm lists the fields of t (a request struct, or a pointer to one) to show again:
// each that was posted or has a problem, and every check box (an unticked one is not
// posted); a nested struct's fields (address.city) when any of them is.
func postedForm(values url.Values, t reflect.Type, problems map[string]i18n.Message) httpapi.Form {
	var f httpapi.Form
	addFormFields(&f, values, t, "", problems)
	return f
}

func addFormFields(f *httpapi.Form, values url.Values, t reflect.Type, prefix string, problems map[string]i18n.Message) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := jsonName(sf)
		key := prefix + name
		if name == "" || neverEchoed[key] {
			continue
		}
		_, problem := problems[key]
		if sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct {
			if hasPrefix(values, key+".") || hasProblemUnder(problems, key+".") {
				addFormFields(f, values, sf.Type.Elem(), key+".", problems)
			}
			continue
		}
		field := httpapi.FormField{Name: key, Value: values.Get(key)}
		validate := sf.Tag.Get("validate")
		switch {
		case sf.Type.Kind() == reflect.Bool:
			field.Kind = httpapi.FieldCheck
			field.Checked, _ = parseFormBool(strings.TrimSpace(field.Value))
			f.Fields = append(f.Fields, field)
			continue
		case chosenByThePage[key] || sf.Type.Kind() != reflect.String:
			field.Kind = httpapi.FieldHidden // amounts in cents are the page's buttons, too
		case tagParam(validate, "oneof") != "":
			field.Kind = httpapi.FieldChoice
			field.Choices = strings.Fields(tagParam(validate, "oneof"))
		case tagHas(validate, "email"):
			field.Kind = httpapi.FieldEmail
		case name == "phone":
			field.Kind = httpapi.FieldTel
		default:
			field.Kind = httpapi.FieldText
			if n, err := strconv.Atoi(tagParam(validate, "max")); err == nil && n > 500 {
				field.Kind = httpapi.FieldLong
			}
		}
		if values.Has(key) || problem {
			f.Fields = append(f.Fields, field)
		}
	}
}

func hasProblemUnder(problems map[string]i18n.Message, prefix string) bool {
	for k := range problems {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// tagParam is the parameter of a validate tag's rule ("max" in "required,max=100": "100").
func tagParam(tag, rule string) string {
	for _, part := range strings.Split(tag, ",") {
		if p, ok := strings.CutPrefix(part, rule+"="); ok {
			return p
		}
	}
	return ""
}

func tagHas(tag, rule string) bool {
	for _, part := range strings.Split(tag, ",") {
		if part == rule {
			return true
		}
	}
	return false
}
