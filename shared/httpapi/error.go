// Package httpapi is the HTTP edge shared by every endpoint: the contract's errors and
// their statuses (JSON, or a small localized HTML page for a form post), the localized
// pages, CORS, the client's address, and the adapter that runs the same http.Handler under
// API Gateway's HTTP API. Reading and validating request bodies is package request's.
package httpapi

import (
	"errors"
	"net/http"

	"github.com/solidarity/solidarity/shared/i18n"
)

// The contract's stable error codes (docs/api.md).
const (
	CodeValidation       = "validation_failed"
	CodeBadRequest       = "bad_request"
	CodeNotFound         = "not_found"
	CodePayloadTooLarge  = "payload_too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeRateLimited      = "rate_limited"
	CodeInternal         = "internal"
)

// Error is a failure a client is told about. Anything that is not an *Error is shown as
// "internal" and never echoed.
type Error struct {
	Status  int
	Code    string
	Message i18n.Message
	// Fields maps the request's own field names (dotted for nested) to what is wrong.
	Fields map[string]i18n.Message
}

func (e *Error) Error() string { return e.Code }

// Fail builds an *Error whose message is the code's catalogue entry.
func Fail(status int, code string) *Error {
	return &Error{Status: status, Code: code, Message: i18n.M("error." + code)}
}

// FieldErrors collects per-field problems while validating.
type FieldErrors map[string]i18n.Message

// Add records a problem with field, keeping the first one found.
func (f FieldErrors) Add(field string, m i18n.Message) {
	if _, seen := f[field]; !seen {
		f[field] = m
	}
}

// Err returns the validation error for the collected fields, or nil if there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	e := Fail(http.StatusBadRequest, CodeValidation)
	e.Fields = f
	return e
}

// AsError reports the *Error in err's chain, or an internal error.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return Fail(http.StatusInternalServerError, CodeInternal), false
}
