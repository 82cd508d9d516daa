package request

import (
	"errors"
	"net/http"
	"net/http/httptest"
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
		_, err := Decode(post(contentType, string(payload)), &got)
		if err == nil {
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

func TestDuplicateKey(t *testing.T) {
	tests := []struct {
		body, path string
		dup        bool
	}{
		{`{"name":"a","cents":1}`, "", false},
		{`{"name":"a","name":"b"}`, "name", true},
		{`{"name":"a","NAME":"b"}`, "NAME", true},
		{`{"address":{"city":"a","city":"b"}}`, "address.city", true},
		{`{"address":{"city":"a"},"x":{"city":"b"}}`, "", false},
		{`{"list":[{"a":1},{"a":2}]}`, "", false},
		{`{"list":[{"a":1,"a":2}]}`, "list.a", true},
		{`{"a":{"b":{"c":1,"c":2}}}`, "a.b.c", true},
		{`{"a":"{\"b\":1,\"b\":2}"}`, "", false},
		{`not json`, "", false},
	}
	for _, tt := range tests {
		path, dup := duplicateKey([]byte(tt.body))
		if path != tt.path || dup != tt.dup {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q, %v", tt.body, path, dup, tt.path, tt.dup)
		}
	}
}
