package request

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
)

type addr struct {
	City       string `json:"city" validate:"max=5"`
	PostalCode string `json:"postal_code"`
}

type body struct {
	Name   string `json:"name" validate:"required,max=10,singleline"`
	Email  string `json:"email" validate:"omitempty,email"`
	Cents  int64  `json:"cents"`
	Flag   bool   `json:"flag"`
	Lang   string `json:"language" validate:"omitempty,oneof=en fr"`
	Addr   *addr  `json:"address"`
	hidden string
}

func post(contentType, payload string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(payload))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		payload     string
		want        body
		status      int
		code        string
		field       string
	}{
		{name: "json", contentType: "application/json", payload: `{"name":" Ana ","cents":2500,"flag":true,"address":{"city":"Laval"}}`,
			want: body{Name: "Ana", Cents: 2500, Flag: true, Addr: &addr{City: "Laval"}}},
		{name: "json with charset", contentType: "application/json; charset=utf-8", payload: `{"name":"Ana"}`, want: body{Name: "Ana"}},
		{name: "form", contentType: "application/x-www-form-urlencoded", payload: "name=Ana&cents=2500&flag=on&address.city=Laval&extra=kept+out",
			want: body{Name: "Ana", Cents: 2500, Flag: true, Addr: &addr{City: "Laval"}}},
		{name: "form checkbox 1", contentType: "application/x-www-form-urlencoded", payload: "name=Ana&flag=1", want: body{Name: "Ana", Flag: true}},
		{name: "form checkbox true", contentType: "application/x-www-form-urlencoded", payload: "name=Ana&flag=true", want: body{Name: "Ana", Flag: true}},
		{name: "form first value wins", contentType: "application/x-www-form-urlencoded", payload: "name=Ana&name=Bo", want: body{Name: "Ana"}},
		{name: "unknown json field", contentType: "application/json", payload: `{"name":"Ana","nmae":"x"}`, status: 400, code: "validation_failed", field: "nmae"},
		{name: "string for int", contentType: "application/json", payload: `{"cents":"2500"}`, status: 400, code: "validation_failed", field: "cents"},
		{name: "float for int", contentType: "application/json", payload: `{"cents":25.5}`, status: 400, code: "validation_failed", field: "cents"},
		{name: "huge int", contentType: "application/json", payload: `{"cents":99999999999999999999}`, status: 400, code: "validation_failed", field: "cents"},
		{name: "nested type error", contentType: "application/json", payload: `{"address":{"city":5}}`, status: 400, code: "validation_failed", field: "address.city"},
		{name: "object for string", contentType: "application/json", payload: `{"name":{}}`, status: 400, code: "validation_failed", field: "name"},
		{name: "form bad int", contentType: "application/x-www-form-urlencoded", payload: "cents=25.00", status: 400, code: "validation_failed", field: "cents"},
		{name: "form bad bool", contentType: "application/x-www-form-urlencoded", payload: "flag=maybe", status: 400, code: "validation_failed", field: "flag"},
		{name: "syntax error", contentType: "application/json", payload: `{"name":`, status: 400, code: "bad_request"},
		{name: "array", contentType: "application/json", payload: `[1,2]`, status: 400, code: "bad_request"},
		{name: "trailing data", contentType: "application/json", payload: `{"name":"a"} {"name":"b"}`, status: 400, code: "bad_request"},
		{name: "empty body", contentType: "application/json", payload: ``, status: 400, code: "bad_request"},
		{name: "no content type", payload: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "text/plain", contentType: "text/plain", payload: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "multipart", contentType: "multipart/form-data; boundary=x", payload: `--x--`, status: 415, code: "unsupported_media_type"},
		{name: "too large", contentType: "application/json", payload: `{"name":"` + strings.Repeat("a", MaxBody) + `"}`, status: 413, code: "payload_too_large"},
		{name: "bad form encoding", contentType: "application/x-www-form-urlencoded", payload: "name=%zz", status: 400, code: "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got body
			_, err := Decode(post(tt.contentType, tt.payload), &got)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got.Name != tt.want.Name || got.Cents != tt.want.Cents || got.Flag != tt.want.Flag ||
					(got.Addr == nil) != (tt.want.Addr == nil) || (got.Addr != nil && *got.Addr != *tt.want.Addr) {
					t.Fatalf("got %+v (addr %+v), want %+v", got, got.Addr, tt.want)
				}
				return
			}
			var e *httpapi.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *httpapi.Error", err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", e.Status, e.Code, tt.status, tt.code)
			}
			if tt.field != "" {
				if _, ok := e.Fields[tt.field]; !ok || len(e.Fields) != 1 {
					t.Fatalf("fields %v, want only %q", e.Fields, tt.field)
				}
			}
		})
	}
}

func TestDecodeRefusesLargeDeclaredLengthUnread(t *testing.T) {
	r := post("application/json", `{}`)
	r.ContentLength = MaxBody + 1
	var got body
	_, err := Decode(r, &got)
	var e *httpapi.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		in    body
		field string
		key   string
	}{
		{"required", body{}, "name", "field.required"},
		{"max counts characters", body{Name: strings.Repeat("é", 11)}, "name", "field.max"},
		{"newline in a name", body{Name: "A\r\nBcc"}, "name", "field.singleline"},
		{"email", body{Name: "Ana", Email: "not-an-email"}, "email", "field.email"},
		{"language", body{Name: "Ana", Lang: "de"}, "language", "field.language"},
		{"nested dotted key", body{Name: "Ana", Addr: &addr{City: "Montréal"}}, "address.city", "field.max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := httpapi.FieldErrors{}
			Validate(&tt.in, fields)
			m, ok := fields[tt.field]
			if !ok || m.Key != tt.key || len(fields) != 1 {
				t.Fatalf("fields = %v, want %s: %s", fields, tt.field, tt.key)
			}
		})
	}
	ok := httpapi.FieldErrors{}
	Validate(&body{Name: "Ana", Email: "ana@example.org", Lang: "fr"}, ok)
	if len(ok) != 0 {
		t.Fatalf("valid body: %v", ok)
	}
}

// FuzzDecode feeds arbitrary bodies to the decoder: it must never panic, and every
// failure must be a client error of the contract (400, 413 or 415) with a stable code.
func FuzzDecode(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"name":"Ana","cents":2500,"address":{"city":"Laval"}}`},
		{"application/json", `{"cents":1e400}`},
		{"application/json", `{"name":"\u0000","flag":null}`},
		{"application/json", `{"address":null,"address":{"city":[]}}`},
		{"application/json", `{"firſt_name":"a","name":"Ana"}`},
		{"application/json", "{\"\u212a\":1,\"NAME\":\"x\",\"address\":{\"City\":\"a\"}}"},
		{"application/x-www-form-urlencoded", "name=Ana&address.city=Laval&flag=on&cents=-1"},
		{"application/x-www-form-urlencoded", "%%%&&&==="},
		{"text/plain", "hello"},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	codes := map[string]int{"validation_failed": 400, "bad_request": 400, "payload_too_large": 413, "unsupported_media_type": 415}
	f.Fuzz(func(t *testing.T, contentType string, payload []byte) {
		var got body
		kind, err := Decode(post(contentType, string(payload)), &got)
		if err == nil {
			if kind == JSON {
				if key, ok := inexactKey(payload); ok {
					t.Fatalf("a body with the key %q was read", key)
				}
			}
			return
		}
		var e *httpapi.Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *httpapi.Error: %v", err)
		}
		if codes[e.Code] != e.Status {
			t.Fatalf("code %s with status %d", e.Code, e.Status)
		}
		if e.Code == "validation_failed" && len(e.Fields) == 0 {
			t.Fatal("validation_failed without fields")
		}
	})
}

// inexactKey finds a key of a JSON body (at the top or in its address object) that is not
// exactly a field name of body.
func inexactKey(payload []byte) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(payload, &top) != nil {
		return "", false
	}
	names := map[string]bool{"name": true, "email": true, "cents": true, "flag": true, "language": true, "address": true}
	for k := range top {
		if !names[k] {
			return k, true
		}
	}
	var nested map[string]json.RawMessage
	if json.Unmarshal(top["address"], &nested) == nil {
		for k := range nested {
			if k != "city" && k != "postal_code" {
				return "address." + k, true
			}
		}
	}
	return "", false
}

// keyed has the shapes keyProblem walks: nested structs, a list of them, a map, an
// untyped value, an embedded struct and an untagged field.
type keyed struct {
	Name  string         `json:"name"`
	K     int            `json:"k"`
	Addr  *addr          `json:"address"`
	List  []addr         `json:"list"`
	Tags  map[string]int `json:"tags"`
	Any   any            `json:"any"`
	Skip  string         `json:"-"`
	Plain string
	embedded
}

type embedded struct {
	Inner string `json:"inner"`
}

func TestKeyProblem(t *testing.T) {
	tests := []struct {
		name, body, path, key string
	}{
		{"exact keys", `{"name":"a","k":1,"address":{"city":"x","postal_code":"y"},"list":[{"city":"a"},{"city":"b"}],"inner":"i","Plain":"p"}`, "", ""},
		{"escaped but exact", `{"n\u0061me":"a"}`, "", ""},
		{"given twice", `{"name":"a","name":"b"}`, "name", "field.duplicate"},
		{"twice through a case variant", `{"name":"a","NAME":"b"}`, "NAME", "field.unknown"},
		{"mixed case", `{"Name":"a"}`, "Name", "field.unknown"},
		{"long s folds to s in encoding/json", `{"firſt_name":"a","name":"b"}`, "firſt_name", "field.unknown"},
		{"long s in a known name", `{"name":"a","addreſs":{"city":"x"}}`, "addreſs", "field.unknown"},
		{"Kelvin sign folds to k", "{\"\u212a\":1}", "\u212a", "field.unknown"},
		{"dotless i", `{"lıst":[]}`, "lıst", "field.unknown"},
		{"a trailing space", `{"name ":"a"}`, "name ", "field.unknown"},
		{"a NUL in the key", `{"name\u0000":"a"}`, "name\x00", "field.unknown"},
		{"nested mixed case", `{"address":{"City":"x"}}`, "address.City", "field.unknown"},
		{"nested long s", `{"address":{"poſtal_code":"x"}}`, "address.poſtal_code", "field.unknown"},
		{"nested twice", `{"address":{"city":"a","city":"b"}}`, "address.city", "field.duplicate"},
		{"in a list's object", `{"list":[{"city":"a"},{"CITY":"b"}]}`, "list.CITY", "field.unknown"},
		{"twice in a list's object", `{"list":[{"city":"a","city":"b"}]}`, "list.city", "field.duplicate"},
		{"the same key in two objects", `{"list":[{"city":"a"},{"city":"b"}]}`, "", ""},
		{"a map takes any key once", `{"tags":{"Ab":1,"ab":2}}`, "", ""},
		{"a map's key twice", `{"tags":{"a":1,"a":2}}`, "tags.a", "field.duplicate"},
		{"an untyped value's key twice", `{"any":{"x":{"y":1,"y":2}}}`, "any.x.y", "field.duplicate"},
		{"a field tagged -", `{"Skip":"x"}`, "Skip", "field.unknown"},
		{"an untagged field by another case", `{"plain":"x"}`, "plain", "field.unknown"},
		{"an embedded field by case", `{"INNER":"x"}`, "INNER", "field.unknown"},
		{"an object for a string is the decoder's to report", `{"name":{"x":1}}`, "", ""},
		{"a key inside a string", `{"name":"{\"NAME\":1}"}`, "", ""},
		{"not json", `not json`, "", ""},
		{"cut short", `{"name":"a","NA`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, msg, bad := keyProblem([]byte(tt.body), reflect.TypeOf(&keyed{}))
			if bad != (tt.key != "") || path != tt.path || msg.Key != tt.key {
				t.Errorf("keyProblem(%s) = %q, %q, %v; want %q, %q", tt.body, path, msg.Key, bad, tt.path, tt.key)
			}
		})
	}
}

// TestDecodeRefusesFoldedKeys: a key encoding/json would match to a field only by folding
// case is refused as an unknown field, and the body fills nothing.
func TestDecodeRefusesFoldedKeys(t *testing.T) {
	for _, c := range []struct{ payload, field string }{
		{`{"nAme":"Ana"}`, "nAme"},
		{`{"name":"Ana","Name":"Bo"}`, "Name"},
		{`{"name":"Ana","centſ":2500}`, "centſ"},
		{`{"name":"Ana","emaıl":"ana@example.org"}`, "emaıl"},
		{`{"name":"Ana","addreſs":{"city":"Laval"}}`, "addreſs"},
		{`{"name":"Ana","address":{"ci\u0074y":"Laval","CITY":"Lévis"}}`, "address.CITY"},
	} {
		t.Run(c.payload, func(t *testing.T) {
			var got body
			_, err := Decode(post("application/json", c.payload), &got)
			var e *httpapi.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != httpapi.CodeValidation {
				t.Fatalf("err = %v", err)
			}
			if m, ok := e.Fields[c.field]; !ok || m.Key != "field.unknown" || len(e.Fields) != 1 {
				t.Errorf("fields %v, want %q unknown", e.Fields, c.field)
			}
			if got.Name != "" || got.Addr != nil {
				t.Errorf("a refused body filled %+v", got)
			}
		})
	}
}
