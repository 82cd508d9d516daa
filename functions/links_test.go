package functions_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// TestWhatEachLambdaLinks reads each function's imports (go list -deps) and checks that a
// Lambda links only what it uses: its own constructor, nothing of development's, no SDK
// configuration loader or SSM client, and Stripe Checkout, the form guard and SES only
// where it needs them. A package
// linked is a package whose init runs at every cold start.
func TestWhatEachLambdaLinks(t *testing.T) {
	const shared = "github.com/solidarity/solidarity/shared/"
	rules := []struct {
		pkg   string
		users []string // the functions that may link pkg
	}{
		// Secrets are one signed GetParameters (shared/assembly/secret), and the SDK's
		// configuration comes from the environment (config.FromEnv): no Lambda links the
		// SSM client, nor the shared-file, SSO and STS machinery of LoadDefaultConfig.
		{"github.com/aws/aws-sdk-go-v2/service/ssm", nil},
		{"github.com/aws/aws-sdk-go-v2/config", nil},
		{"github.com/aws/aws-sdk-go-v2/service/sts", nil},
		{"github.com/aws/aws-sdk-go-v2/service/sso", nil},
		{shared + "payment", []string{"donate", "subscribe", "portal"}},
		{shared + "guard", []string{"donate", "signup", "subscribe", "portal"}},
		{"github.com/aws/aws-sdk-go-v2/service/sesv2", []string{"mailer", "broadcast-sender"}},
	}
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "./functions/"+fn)
			cmd.Dir = emulator.Root()
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			own := shared + "assembly/" + strings.ReplaceAll(fn, "-", "") + "fn"
			for _, d := range deps {
				if strings.HasPrefix(d, shared+"dev/") {
					t.Errorf("links %s, which only serves development and tests", d)
				}
				// The broadcast sender sends through the mailer's own assembly.
				builtOn := fn == "broadcast-sender" && d == shared+"assembly/mailerfn"
				if strings.HasPrefix(d, shared+"assembly/") && strings.HasSuffix(d, "fn") && d != own && !builtOn {
					t.Errorf("links another function's constructor: %s", d)
				}
			}
			if !slices.Contains(deps, own) {
				t.Errorf("is not built by %s", own)
			}
			for _, r := range rules {
				switch {
				case slices.Contains(deps, r.pkg) && len(r.users) == 0:
					t.Errorf("links %s, which no function needs", r.pkg)
				case slices.Contains(deps, r.pkg) && !slices.Contains(r.users, fn):
					t.Errorf("links %s, which only %v need", r.pkg, r.users)
				}
			}
		})
	}
}
