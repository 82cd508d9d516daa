package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/staff"
)

var (
	binDir   string // removed by TestMain
	binOnce  sync.Once
	bin      string
	binError error
)

// staffBinary builds the staff tool once for the tests that run it as a newcomer does.
func staffBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binError = os.MkdirTemp("", "staff-bin-"); binError != nil {
			return
		}
		bin = filepath.Join(binDir, "staff")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			binError = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return bin
}

// runStaff runs the staff binary with only the environment given (and PATH, a HOME of
// its own, no AWS configuration file, and an instance metadata service that has no
// role, as on a laptop), and returns its exit status, output and errors.
func runStaff(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut { // IMDSv2's token: refused, so the SDK falls back to IMDSv1 (and warns)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	defer imds.Close()
	cmd := exec.Command(staffBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errs.String()
}

// What a newcomer sees when the stack, the region or the credentials are missing: one
// sentence saying what to do (and the command's usage line), never the whole help nor
// the SDK's own warnings.
func TestNewcomerMessages(t *testing.T) {
	const needsStack = "staff: doctor and stripe connect need the stack: set SOLIDARITY_STACK to your stack's name, or give -stack NAME (staff -stack NAME "
	creds := map[string]string{"AWS_REGION": "ca-central-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"doctor without a stack", creds, []string{"doctor"}, 2,
			needsStack + "doctor)\n  staff doctor (checks the stack: each line OK, FIX and what to do, or NOTE: what it cannot tell; exit status 1 on a FIX)\n"},
		{"doctor without a stack, TABLE_NAME set", map[string]string{"TABLE_NAME": "solidarity-Table-1", "AWS_REGION": "ca-central-1"}, []string{"doctor"}, 2,
			needsStack + "doctor)\n  staff doctor (checks the stack: each line OK, FIX and what to do, or NOTE: what it cannot tell; exit status 1 on a FIX)\n"},
		{"stripe connect without a stack", nil, []string{"stripe", "connect", "-dry-run"}, 2,
			needsStack + "stripe connect)\n  staff stripe connect [-url URL] [-param SSM_NAME] [-dry-run]\n"},
		{"no region", map[string]string{"SOLIDARITY_STACK": "solidarity", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}, []string{"doctor"}, 1,
			"staff: no AWS region: add region = ca-central-1 under your profile in ~/.aws/config, or set AWS_REGION (README, \"The staff tool\")\n"},
		{"no credentials", map[string]string{"SOLIDARITY_STACK": "solidarity", "AWS_REGION": "ca-central-1"}, []string{"doctor"}, 1,
			"staff: no AWS credentials: put your access key in ~/.aws/credentials and set AWS_PROFILE to its profile (README, \"The staff tool\")\n"},
		{"no credentials, no stack", map[string]string{"TABLE_NAME": "solidarity-Table-1", "AWS_REGION": "ca-central-1"}, []string{"campaign", "show", "-slug", "x"}, 1,
			"staff: no AWS credentials: put your access key in ~/.aws/credentials and set AWS_PROFILE to its profile (README, \"The staff tool\")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runStaff(t, tt.env, tt.args...)
			if code != tt.code || stdout != "" || stderr != tt.stderr {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit %d, stderr:\n%s", code, stdout, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// A usage error is its sentence and the command's usage line, not the whole help; a
// missing file, or a table that is not there, one sentence saying what to do; never the
// text of Go, package flag or the AWS SDK.
func TestUsageErrorsShowOneLine(t *testing.T) {
	env := emulator.Get(t)
	moto := map[string]string{"AWS_ENDPOINT_URL": env.Moto.URL, "AWS_REGION": "ca-central-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"TABLE_NAME": "no-such-table-" + strings.ToLower(t.Name())}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	line := func(args ...string) string { return staff.UsageLine(args) + "\n" }
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"campaign", "create", "-slug", "x"}, 2, "staff: -slug (lowercase words joined by -), -title-en and -title-fr are required\n" +
			"  staff campaign create -slug SLUG -title-en TITLE -title-fr TITRE -goal 100000.00 [-min 1.00] [-max 10000.00] [-closes-at 2026-12-31T23:59:59-05:00] [-closed] [-counter-shards 200] [-lang fr]\n"},
		{[]string{"report", "donations"}, 2, "staff: read from -export FOLDER|s3://bucket/prefix, or -live\n" + line("report")},
		{[]string{"campaign", "frobnicate"}, 2, "staff: unknown command \"campaign frobnicate\"\n  staff campaign create|show …   (staff help shows the options of each)\n"},
		{[]string{"frobnicate", "now"}, 2, "staff: unknown command \"frobnicate now\"\n  staff help lists the commands\n"},
		{[]string{"campaign", "show", "-frob"}, 2, "staff: campaign show has no option -frob\n  staff campaign show -slug SLUG [-lang fr]\n"},
		{[]string{"campaign", "show", "-slug"}, 2, "staff: -slug needs a value after it\n  staff campaign show -slug SLUG [-lang fr]\n"},
		{[]string{"subscriptions", "lapsing", "-days", "many"}, 2, "staff: -days cannot be \"many\": give it a whole number, such as 30\n" + line("subscriptions", "lapsing")},
		{[]string{"members", "list", "extra"}, 2, "staff: members list takes only options (words that start with -), not \"extra\"\n" + line("members", "list")},
		{[]string{"privacy", "find"}, 2, "staff: the person's email address is required, such as privacy find -email someone@example.org\n" + line("privacy", "find")},
		{[]string{"branches", "import", "/nonexistent.csv"}, 1, "staff: there is no file /nonexistent.csv: check its name and folder (a relative path starts in " + wd + ")\n"},
		{[]string{"campaign", "show", "-slug", "x"}, 1, "staff: AWS has no such resource (DynamoDB Query: Requested resource not found): check SOLIDARITY_STACK (or -stack) and AWS_REGION, then run staff doctor\n"},
	} {
		code, stdout, stderr := runStaff(t, moto, tt.args...)
		if code != tt.code || stdout != "" || stderr != tt.stderr {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit %d:\n%s", tt.args, code, stdout, stderr, tt.code, tt.stderr)
		}
		for _, raw := range []string{"usage:", "flag provided but not defined", "lstat", "operation error", "no such file or directory", "json: cannot"} {
			if strings.Contains(stderr, raw) {
				t.Errorf("%q: %q reaches the screen:\n%s", tt.args, raw, stderr)
			}
		}
	}
	if code, stdout, _ := runStaff(t, moto, "help"); code != 0 || !strings.Contains(stdout, "staff doctor") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
}

// stripe connect on a stack whose Stripe key parameter was never created says how to
// create it, as doctor does, before anything reaches Stripe.
func TestStripeConnectWithoutTheKeyParameter(t *testing.T) {
	env := onMoto(t)
	ctx := context.Background()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		t.Fatal(err)
	}
	param := "/" + table + "/stripe/secret-key"
	stack := fmt.Sprintf("staff-%d-%s", os.Getpid(), strings.ToLower(t.Name()))
	outputs := map[string]any{}
	for k, v := range map[string]string{"TableName": table, "StripeSecretKeyParam": param, "StripeWebhookSecretParam": "/" + table + "/stripe/webhook-secret",
		"StripeWebhookUrl": "https://api.example.org/webhooks/stripe"} {
		outputs[k] = map[string]any{"Value": v}
	}
	body, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs":   outputs,
	})
	if _, err := cloudformation.NewFromConfig(env.AWS).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, []string{"-stack", stack, "stripe", "connect", "-dry-run"})
	want := "The SSM parameter " + param + " (the Stripe secret key) does not exist: create it (README deploy step 3): aws ssm put-parameter --region ca-central-1 --type SecureString --name " + param +
		" --value 'sk_live_…' (the secret key in Stripe's dashboard: Developers → API keys)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}
