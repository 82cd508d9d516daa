package payment

import (
	"errors"
	"strings"
	"testing"

	stripe "github.com/stripe/stripe-go/v76"
)

func TestRedacted(t *testing.T) {
	err := Redacted(&stripe.Error{Type: stripe.ErrorTypeInvalidRequest, Code: stripe.ErrorCodeEmailInvalid,
		Param: "customer_email", Msg: "Invalid email address: ana@example.org", HTTPStatusCode: 400, RequestID: "req_1"})
	if s := err.Error(); strings.Contains(s, "ana@example.org") || !strings.Contains(s, "customer_email") || !strings.Contains(s, "req_1") {
		t.Fatalf("%q", s)
	}
	plain := errors.New("dial tcp: connection refused")
	if Redacted(plain) != plain {
		t.Fatal("a non-Stripe error was changed")
	}
}
