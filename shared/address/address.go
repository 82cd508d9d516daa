// Package address holds postal addresses as the forms send them, with Canadian rules:
// two-letter province codes and postal codes normalized to "A1A 1A1".
package address

import (
	"strings"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Address is a mailing address. Country defaults to CA.
type Address struct {
	Line1      string `json:"line1" dynamodbav:"line1,omitempty" validate:"max=200,singleline"`
	Line2      string `json:"line2" dynamodbav:"line2,omitempty" validate:"max=200,singleline"`
	City       string `json:"city" dynamodbav:"city,omitempty" validate:"max=100,singleline"`
	Province   string `json:"province" dynamodbav:"province,omitempty" validate:"max=50,singleline"`
	PostalCode string `json:"postal_code" dynamodbav:"postal_code,omitempty" validate:"max=20,singleline"`
	Country    string `json:"country" dynamodbav:"country,omitempty"`
}

// Provinces are the Canadian province and territory codes.
var Provinces = map[string]bool{
	"AB": true, "BC": true, "MB": true, "NB": true, "NL": true, "NS": true, "NT": true,
	"NU": true, "ON": true, "PE": true, "QC": true, "SK": true, "YT": true,
}

// Normalize checks a and puts it in canonical form, adding problems under prefix
// ("address."). For Canadian addresses the province must be a known code and the postal
// code a valid one; other countries' fields are kept as given.
func (a *Address) Normalize(prefix string, fields httpapi.FieldErrors) {
	a.Country = strings.ToUpper(a.Country)
	if a.Country == "" {
		a.Country = "CA"
	}
	if len(a.Country) != 2 || strings.Trim(a.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		fields.Add(prefix+"country", i18n.M("field.country"))
		return
	}
	if a.Country != "CA" {
		return
	}
	if a.Province != "" {
		a.Province = strings.ToUpper(a.Province)
		if !Provinces[a.Province] {
			fields.Add(prefix+"province", i18n.M("field.province"))
		}
	}
	if a.PostalCode != "" {
		pc, ok := NormalizePostalCode(a.PostalCode)
		if !ok {
			fields.Add(prefix+"postal_code", i18n.M("field.postal_code"))
		} else {
			a.PostalCode = pc
		}
	}
}

// NormalizePostalCode returns a Canadian postal code as "A1A 1A1", accepting any case and
// an optional space or hyphen, and whether it is valid. Canada Post never uses D, F, I, O,
// Q or U, nor W or Z as the first letter.
func NormalizePostalCode(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	if len(s) != 6 {
		return "", false
	}
	for i := 0; i < 6; i++ {
		c := s[i]
		if i%2 == 0 {
			if c < 'A' || c > 'Z' || strings.IndexByte("DFIOQU", c) >= 0 || (i == 0 && (c == 'W' || c == 'Z')) {
				return "", false
			}
		} else if c < '0' || c > '9' {
			return "", false
		}
	}
	return s[:3] + " " + s[3:], true
}
