package mail

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/redact"
)

// refusal is SES's permanent refusal of one email: the message or its recipient is
// refused, and sending the same email again cannot succeed. The email ends failed with
// the reason, instead of being retried and dead-lettered.
type refusal struct {
	reason string // short and non-personal: the SES error code and its message, addresses withheld
	err    error
}

func (r *refusal) Error() string { return "ses refused the email for good: " + r.reason }
func (r *refusal) Unwrap() error { return r.err }

// permanentCodes are the SES v2 errors of one email rather than of the deployment or of
// the moment: the message was rejected (in the sandbox, an unverified recipient: "Email
// address is not verified"), or the request cannot be valid (a malformed address). A bad
// request is permanent only when SES's message is about an address (badRequestOfEmail):
// one about a tag, a header, the configuration set or the content is the deployment's or
// the code's, the same for every email, and fixed then redriven. Everything else is
// retried, then dead-lettered for a redrive: AccessDenied (the IAM policy is wrong, and
// will be fixed), the account suspended or its sending paused, throttling and sending
// limits, SES's 5xx, timeouts and network errors.
var permanentCodes = map[string]bool{
	"MessageRejected":       true,
	"BadRequestException":   true,
	"InvalidParameterValue": true, // SES v1's name for it, should a proxy answer so
}

// refused classifies an error of SendEmail for the email to the address to, sent as
// from: a *refusal if it is permanent, nil if it is worth retrying. A MessageRejected
// that names the sender (its identity is not verified: the deployment's fault, not the
// email's) is retried like AccessDenied: once the identity is verified, a redrive sends;
// so is a bad request that names the sender, or that is not about an address at all.
func refused(err error, from string) *refusal {
	var api smithy.APIError
	if !errors.As(err, &api) || !permanentCodes[api.ErrorCode()] {
		return nil
	}
	msg := api.ErrorMessage()
	if namesSender(msg, from) {
		return nil
	}
	if api.ErrorCode() != "MessageRejected" && !aboutAddress(msg) {
		return nil
	}
	return &refusal{reason: reason(api.ErrorCode(), msg), err: err}
}

// malformed refuses an address SES could never deliver to, before asking it.
func malformed(to string) *refusal {
	if _, err := mail.ParseAddress(to); err == nil {
		return nil
	}
	return &refusal{reason: "InvalidAddress: the recipient address is malformed"}
}

// addressWords are what SES's bad-request messages about an address say: SES v2's
// "Invalid email address", "Missing final '@domain'", "Local address contains control or
// whitespace", "Domain contains illegal character", "Missing local name", "Missing
// domain", "Illegal address", and messages naming the recipient or destination. Others
// ("Invalid tag value …", a header, the content, the configuration set) are not.
var addressWords = []string{"address", "@domain", "local name", "missing domain", "domain contains",
	"domain starts", "domain ends", "recipient", "destination"}

// aboutAddress reports whether a bad request's message is about an address.
func aboutAddress(msg string) bool {
	msg = strings.ToLower(msg)
	for _, w := range addressWords {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

// namesSender reports whether SES's message names the sender's address (from may be
// "Name <address>").
func namesSender(msg, from string) bool {
	addr := from
	if a, err := mail.ParseAddress(from); err == nil {
		addr = a.Address
	}
	return addr != "" && strings.Contains(strings.ToLower(msg), strings.ToLower(addr))
}

// maxReason bounds a stored reason (SES's messages are short; a proxy's may not be).
const maxReason = 200

func reason(code, msg string) string {
	r := code
	if msg = strings.Join(strings.Fields(redact.Addresses(msg)), " "); msg != "" {
		r += ": " + msg
	}
	if len(r) > maxReason {
		cut := maxReason
		for cut > 0 && !utf8.RuneStart(r[cut]) {
			cut--
		}
		r = r[:cut] + "…"
	}
	return r
}
