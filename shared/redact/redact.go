// Package redact keeps personal data out of logs. Errors from AWS may echo the values of a
// request (an address SES refused, an attribute DynamoDB found invalid), so only their
// codes are logged, with the project's own context around them. (Stripe's errors are
// reduced to their codes where they are made, in package payment.)
package redact

import (
	"errors"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/smithy-go"
)

// Error returns err's text with the message of any AWS error withheld, its code kept: "store donation: operation error DynamoDB: PutItem, …: ValidationException".
func Error(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var api smithy.APIError
	if errors.As(err, &api) {
		if msg := api.ErrorMessage(); msg != "" {
			s = strings.ReplaceAll(s, msg, "(message withheld)")
		}
	}
	// Our own context may name a record by a key holding an address: never log one.
	return Addresses(s)
}

// Addresses returns s with every email address in it withheld: for a service's message
// worth keeping (why SES refused an email) that may name the recipient.
func Addresses(s string) string { return emailLike().ReplaceAllString(s, "(address withheld)") }

var emailLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^\s"'<>()#:,;@]+@[^\s"'<>()#:,;@]+\.[A-Za-z]{2,}`) })
