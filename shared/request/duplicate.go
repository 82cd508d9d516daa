package request

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
)

// keyProblem finds the first object key of raw that is not exactly one of the field names
// of the struct it fills (dst's type, and nested structs under it), or that is given twice
// in one object, and returns its dotted path and what is wrong with it.
//
// encoding/json matches keys to fields without case, and with Unicode's case folding at
// that: "FIRST_NAME", "firſt_name" (long s) and "K" (Kelvin sign) all fill the field
// tagged first_name or k. A body that means one field under two spellings is ambiguous —
// which value counts? — and one that names a field in a way no form of ours writes is
// not ours, so both are refused rather than read one way. Keys inside values whose type
// has no fields of its own (maps, interfaces) are only checked for repeats.
func keyProblem(raw []byte, t reflect.Type) (string, i18n.Message, bool) {
	k := keyWalker{dec: json.NewDecoder(bytes.NewReader(raw))}
	if err := k.value(t, ""); err != nil {
		return "", i18n.Message{}, false // the decoder proper reports what is wrong
	}
	return k.path, k.msg, k.bad
}

type keyWalker struct {
	dec  *json.Decoder
	bad  bool
	path string
	msg  i18n.Message
}

func (k *keyWalker) fail(path, key string) {
	k.bad, k.path, k.msg = true, path, i18n.M(key)
}

// value reads one JSON value that fills a value of type t (nil when the type is unknown:
// a mismatch the decoder reports, or inside an untyped value).
func (k *keyWalker) value(t reflect.Type, path string) error {
	tok, err := k.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var elem reflect.Type
	if d == '[' {
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for k.dec.More() && !k.bad {
			if err := k.value(elem, path); err != nil {
				return err
			}
		}
		_, err = k.dec.Token()
		return err
	}
	var fields map[string]reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for k.dec.More() && !k.bad {
		tok, err := k.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		ft := elem
		if fields != nil {
			var known bool
			if ft, known = fields[key]; !known {
				k.fail(at, "field.unknown")
				return nil
			}
		}
		if seen[key] {
			k.fail(at, "field.duplicate")
			return nil
		}
		seen[key] = true
		if err := k.value(ft, at); err != nil {
			return err
		}
	}
	if k.bad {
		return nil
	}
	_, err = k.dec.Token()
	return err
}

// jsonFields maps the JSON names encoding/json gives t's fields to their types: the json
// tag's name, else the Go name; fields of untagged embedded structs are promoted.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" && sf.Tag.Get("json") == "-" {
			continue
		}
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for n, ft := range jsonFields(et) {
					if _, shadowed := out[n]; !shadowed {
						out[n] = ft
					}
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = sf.Type
	}
	return out
}
