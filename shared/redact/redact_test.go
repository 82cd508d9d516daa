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
