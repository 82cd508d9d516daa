// Package request reads form endpoints' bodies — JSON or a plain HTML form post — into
// structs, and validates them with validator/v10 into localized per-field errors.
package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// MaxBody is the largest request body the form endpoints accept (docs/api.md: 16 KiB).
const MaxBody = 16 << 10

// Body says how a request body was sent, which decides how errors and successes are
// answered: JSON gets JSON, a plain HTML form gets redirects and pages.
type Body int

// The two accepted body encodings.
const (
	JSON Body = iota
	Form
)

// Decode reads r's body into dst, a pointer to a struct whose fields carry json tags.
// JSON bodies refuse unknown fields; form bodies ignore them and read nested fields by
// dotted names. Type mismatches are reported per field as a validation error; an
// oversized body is 413 and any other content type 415. Strings are trimmed.
func Decode(r *http.Request, dst any) (Body, error) {
	kind, err := mediaKind(r.Header.Get("Content-Type"))
	if err != nil {
		return JSON, err
	}
	if r.ContentLength > MaxBody {
		return kind, httpapi.Fail(http.StatusRequestEntityTooLarge, httpapi.CodePayloadTooLarge)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return kind, fmt.Errorf("read body: %w", err)
	}
	if len(raw) > MaxBody {
		return kind, httpapi.Fail(http.StatusRequestEntityTooLarge, httpapi.CodePayloadTooLarge)
	}
	if kind == Form {
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return kind, httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest)
		}
		r.PostForm = values // as r.ParseForm would: the error page shows them again (WriteError)
		return kind, DecodeForm(values, dst)
	}
	return kind, DecodeJSON(raw, dst)
}

func mediaKind(contentType string) (Body, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return JSON, httpapi.Fail(http.StatusUnsupportedMediaType, httpapi.CodeUnsupportedMedia)
	}
	switch mt {
	case "application/json":
		return JSON, nil
	case "application/x-www-form-urlencoded":
		return Form, nil
	}
	return JSON, httpapi.Fail(http.StatusUnsupportedMediaType, httpapi.CodeUnsupportedMedia)
}

// DecodeJSON reads one JSON object into dst, refusing unknown fields (a key must be
// exactly a field's name: encoding/json alone would take "FIRST_NAME" or "firſt_name" for
// first_name), a field given twice and trailing data.
func DecodeJSON(raw []byte, dst any) error {
	if !utf8.Valid(raw) { // encoding/json would quietly replace the bad bytes
		return httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest)
	}
	if path, msg, bad := keyProblem(raw, reflect.TypeOf(dst)); bad {
		fields := httpapi.FieldErrors{}
		fields.Add(path, msg)
		return fields.Err()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, tail := dec.Token(); tail != io.EOF {
			return httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest)
		}
		trimStrings(reflect.ValueOf(dst).Elem())
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		fields := httpapi.FieldErrors{}
		fields.Add(typeErr.Field, kindMessage(typeErr.Type))
		return fields.Err()
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		fields := httpapi.FieldErrors{}
		fields.Add(strings.Trim(name, `"`), i18n.M("field.unknown"))
		return fields.Err()
	}
	return httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest)
}

func kindMessage(t reflect.Type) i18n.Message {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return i18n.M("field.integer")
	case reflect.Bool:
		return i18n.M("field.boolean")
	case reflect.Struct, reflect.Map:
		return i18n.M("field.object")
	}
	return i18n.M("field.text")
}

// DecodeForm fills dst from form values: the first value of each known key, nested
// structs from dotted keys ("address.city"), booleans from on/true/1 and off/false/0 or
// empty, integers in base 10. Unknown keys are ignored, as a site's form may carry its own.
func DecodeForm(values url.Values, dst any) error {
	fields := httpapi.FieldErrors{}
	decodeFormStruct(values, reflect.ValueOf(dst).Elem(), "", fields)
	return fields.Err()
}

func decodeFormStruct(values url.Values, v reflect.Value, prefix string, fields httpapi.FieldErrors) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name := jsonName(sf)
		if name == "" {
			continue
		}
		key := prefix + name
		fv := v.Field(i)
		if sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct {
			if !hasPrefix(values, key+".") {
				continue
			}
			nested := reflect.New(sf.Type.Elem())
			decodeFormStruct(values, nested.Elem(), key+".", fields)
			fv.Set(nested)
			continue
		}
		if !values.Has(key) {
			continue
		}
		raw := strings.TrimSpace(values.Get(key))
		switch fv.Kind() {
		case reflect.String:
			if !utf8.ValidString(raw) {
				fields.Add(key, i18n.M("field.text"))
				continue
			}
			fv.SetString(raw)
		case reflect.Bool:
			b, ok := parseFormBool(raw)
			if !ok {
				fields.Add(key, i18n.M("field.boolean"))
				continue
			}
			fv.SetBool(b)
		case reflect.Int64, reflect.Int:
			if raw == "" {
				continue
			}
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				fields.Add(key, i18n.M("field.integer"))
				continue
			}
			fv.SetInt(n)
		}
	}
}

func parseFormBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "on", "true", "1", "yes":
		return true, true
	case "", "off", "false", "0", "no":
		return false, true
	}
	return false, false
}

func hasPrefix(values url.Values, prefix string) bool {
	for k := range values {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func jsonName(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// trimStrings trims surrounding white space from every string field, nested ones too.
func trimStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			trimStrings(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				trimStrings(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString(strings.TrimSpace(v.String()))
	}
}
