package signup

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/request"
)

func TestCheckNormalizes(t *testing.T) {
	r := Request{FirstName: "Ana", LastName: "Roy", Email: "Ana@Example.org", Phone: "1 (514) 555-0199",
		Address: &address.Address{City: "Montréal", Province: "qc", PostalCode: "h2x-1y4"},
		Branch:  "Montreal", Language: "FR", Message: "a\r\nb"}
	if f := r.Check(); len(f) != 0 {
		t.Fatalf("fields %v", f)
	}
	if r.Phone != "+15145550199" || r.Address.PostalCode != "H2X 1Y4" || r.Address.Province != "QC" ||
		r.Address.Country != "CA" || r.Branch != "montreal" || r.Language != "fr" || r.Message != "a\nb" {
		t.Fatalf("normalized %+v %+v", r, *r.Address)
	}
}

// FuzzSignupRequest decodes any body as POST /members would and checks it. Whatever
// passes must be what the rest of the system relies on.
func FuzzSignupRequest(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{"application/json", `{"first_name":"Éloïse","last_name":"Bergeron","email":"e@example.org","phone":"514-555-0199","address":{"city":"Montréal","province":"QC","postal_code":"H2X 1Y4"},"language":"fr","consent_updates":true,"message":"Salut"}`},
		{"application/json", `{"first_name":"A","last_name":"B","email":"a@b.ca","address":{"city":"x","province":"mb","postal_code":"r0g1a0","country":"ca"}}`},
		{"application/json", `{"address":null,"phone":5145550199,"message":"\u0000"}`},
		{"application/x-www-form-urlencoded", "first_name=A&last_name=B&email=a%40b.ca&address.city=x&address.province=ON&address.postal_code=M5V2T6&consent_updates=on"},
		{"application/x-www-form-urlencoded", "address.postal_code=%00&phone=%2B&branch=" + strings.Repeat("x", 70)},
		{"application/x-www-form-urlencoded", "first_name=Visit+https%3A%2F%2Fevil.example&last_name=Nguy%E1%BB%85n+Th%E1%BB%8B&email=a%40b.ca&address.city=x&address.province=ON&address.postal_code=M5V2T6"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.body)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		var req Request
		if _, err := request.Decode(r, &req); err != nil {
			return
		}
		if fields := req.Check(); len(fields) > 0 {
			return
		}
		if req.FirstName == "" || req.LastName == "" || req.Email == "" || req.Address == nil {
			t.Fatalf("accepted without a required field: %+v", req)
		}
		if req.Phone != "" {
			if again, ok := contact.NormalizePhone(req.Phone); !ok || again != req.Phone {
				t.Fatalf("accepted phone %q is not E.164", req.Phone)
			}
		}
		if pc, ok := address.NormalizePostalCode(req.Address.PostalCode); !ok || pc != req.Address.PostalCode {
			t.Fatalf("accepted postal code %q", req.Address.PostalCode)
		}
		if !address.Provinces[req.Address.Province] || req.Address.Country != "CA" {
			t.Fatalf("accepted address %+v", *req.Address)
		}
		if utf8.RuneCountInString(req.Message) > 2000 || strings.ContainsRune(req.Message, 0) {
			t.Fatalf("accepted message of %d runes", utf8.RuneCountInString(req.Message))
		}
		for _, s := range []string{req.FirstName, req.LastName, req.Email, req.Address.City} {
			if strings.ContainsAny(s, "\r\n") {
				t.Fatalf("accepted a line break in %q", s)
			}
		}
		if !request.PersonName(req.FirstName) || !request.PersonName(req.LastName) || strings.ContainsAny(req.FirstName+req.LastName, "/:@<") {
			t.Fatalf("accepted the names %q %q", req.FirstName, req.LastName)
		}
	})
}
