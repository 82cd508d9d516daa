// Package signup is the membership signup: the POST /members request and its rules, the
// double opt-in (a confirmation link, then an active member), routing to a branch, and
// the pages people see.
package signup

import (
	"strings"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/request"
)

// Request is the body of POST /members (docs/api.md).
type Request struct {
	FirstName      string           `json:"first_name" validate:"required,max=100,singleline,personname"`
	LastName       string           `json:"last_name" validate:"required,max=100,singleline,personname"`
	Email          string           `json:"email" validate:"required,max=254,email"`
	Phone          string           `json:"phone" validate:"max=40,singleline"`
	Address        *address.Address `json:"address"`
	Branch         string           `json:"branch" validate:"max=60,singleline"`
	Language       string           `json:"language" validate:"omitempty,oneof=en fr"`
	ConsentUpdates bool             `json:"consent_updates"`
	Message        string           `json:"message" validate:"max=2000"`
	// Website is the honeypot: people never see it, bots fill it in.
	Website string `json:"website"`
	// Turnstile is the token of Cloudflare's bot check, when the form has its widget.
	Turnstile string `json:"cf-turnstile-response"`
}

// AskedLanguage implements request.Languaged.
func (r *Request) AskedLanguage() string { return r.Language }

// SenderEmail implements request.Languaged: empty for a post that tripped the honeypot,
// which does nothing and so must not count against the address it names.
func (r *Request) SenderEmail() string {
	if r.Website != "" {
		return ""
	}
	return r.Email
}

// BotToken implements request.Languaged.
func (r *Request) BotToken() string { return r.Turnstile }

// Check validates r and normalizes it: the phone to E.164, the postal code to "A1A 1A1",
// the province to its code. Every problem is collected under the request's field name.
func (r *Request) Check() httpapi.FieldErrors {
	fields := httpapi.FieldErrors{}
	r.Language = strings.ToLower(r.Language)
	r.Branch = strings.ToLower(r.Branch)
	r.Message = strings.ReplaceAll(r.Message, "\r\n", "\n")
	request.Validate(r, fields)
	if r.Phone != "" {
		if e164, ok := contact.NormalizePhone(r.Phone); ok {
			r.Phone = e164
		} else {
			fields.Add("phone", i18n.M("field.phone"))
		}
	}
	if strings.ContainsFunc(r.Message, func(c rune) bool { return c < ' ' && c != '\n' && c != '\t' || c == 0x7f }) {
		fields.Add("message", i18n.M("field.control"))
	}
	if r.Address == nil {
		r.Address = &address.Address{}
	}
	r.Address.Normalize("address.", fields)
	if _, bad := fields["address.country"]; !bad && r.Address.Country != "CA" {
		fields.Add("address.country", i18n.M("field.country_ca"))
	}
	for key, v := range map[string]string{"city": r.Address.City, "province": r.Address.Province, "postal_code": r.Address.PostalCode} {
		if v == "" {
			fields.Add("address."+key, i18n.M("field.required"))
		}
	}
	return fields
}
