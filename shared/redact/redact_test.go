package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

func TestError(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "MessageRejected", Message: "Email address not verified ana@example.org"}
	err := fmt.Errorf("ses send: %w", &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: api})
	got := Error(err)
	if strings.Contains(got, "ana@example.org") || !strings.Contains(got, "MessageRejected") || !strings.Contains(got, "ses send") {
		t.Fatalf("%q", got)
	}
	if got := Error(errors.New("plain")); got != "plain" {
		t.Fatalf("%q", got)
	}
	if Error(nil) != "" {
		t.Fatal("nil")
	}
}

func TestErrorWithholdsAddressesInOurOwnContext(t *testing.T) {
	err := fmt.Errorf("load member: get PERSON#run1-22@replay.example: %w", errors.New("timeout"))
	got := Error(err)
	if strings.Contains(got, "replay.example") || got != "load member: get PERSON#(address withheld): timeout" {
		t.Fatalf("%q", got)
	}
	for _, keep := range []string{"status 500 at 12:00:01", "PERSON#…", "https://api.example.org/portal"} {
		if got := Error(errors.New(keep)); got != keep {
			t.Errorf("%q became %q", keep, got)
		}
	}
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: Ana.Roy+don@Example.org",
			"Email address is not verified. The following identities failed the check in region CA-CENTRAL-1: (address withheld)"},
		{"Illegal address <ana@example.org>, bob@example.com", "Illegal address <(address withheld)>, (address withheld)"},
		{"Missing final '@domain'", "Missing final '@domain'"},
		{"", ""},
	} {
		if got := Addresses(c.in); got != c.want {
			t.Errorf("Addresses(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
