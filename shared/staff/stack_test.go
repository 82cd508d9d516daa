package staff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
)

var stacks atomic.Int64

// createStack creates a stack in moto with outputs (a literal value each) and one
// placeholder resource, and returns its name.
func createStack(t *testing.T, outputs map[string]string) string {
	t.Helper()
	env := emulator.Get(t)
	name := fmt.Sprintf("doctor-%d-%d", os.Getpid(), stacks.Add(1))
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Resources":                map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
	}
	outs := map[string]any{}
	for k, v := range outputs {
		outs[k] = map[string]any{"Value": v}
	}
	if len(outs) > 0 {
		tmpl["Outputs"] = outs
	}
	body, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(env.AWS)
	if _, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body))}); !made(err) {
		t.Fatalf("create stack: %v", err)
	}
	return name
}

func TestReadStackOutputs(t *testing.T) {
	env := emulator.Get(t)
	name := createStack(t, map[string]string{"TableName": "solidarity-Table-ABC123", "ExportsBucketName": "solidarity-exports-xyz"})
	st, err := ReadStack(context.Background(), cloudformation.NewFromConfig(env.AWS), name, "ca-central-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != name || st.Region != "ca-central-1" || st.Output("TableName") != "solidarity-Table-ABC123" ||
		st.Output("ExportsBucketName") != "solidarity-exports-xyz" || st.Output("PublicUrl") != "" {
		t.Fatalf("stack %+v", st)
	}
}

func TestReadStackMissing(t *testing.T) {
	env := emulator.Get(t)
	_, err := ReadStack(context.Background(), cloudformation.NewFromConfig(env.AWS), "no-such-stack", "ca-central-1")
	want := `there is no stack "no-such-stack" in ca-central-1: check SOLIDARITY_STACK (or -stack) and AWS_REGION`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// fakeStacks answers DescribeStacks with a set answer.
type fakeStacks struct {
	out *cloudformation.DescribeStacksOutput
	err error
}

func (f fakeStacks) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return f.out, f.err
}

func TestReadStackOtherErrorsAreNamed(t *testing.T) {
	_, err := ReadStack(context.Background(), fakeStacks{err: fmt.Errorf("AccessDenied")}, "live", "ca-central-1")
	if err == nil || !strings.Contains(err.Error(), `read the outputs of stack "live" in ca-central-1: AccessDenied`) {
		t.Fatalf("err = %v", err)
	}
	_, err = ReadStack(context.Background(), fakeStacks{out: &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{}}}, "live", "ca-central-1")
	if err == nil || !strings.Contains(err.Error(), `there is no stack "live" in ca-central-1`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSettingsFromTheStack(t *testing.T) {
	stack := Stack{Name: "solidarity", Region: "ca-central-1", Outputs: map[string]string{
		"TableName": "solidarity-Table-1", "ExportsBucketName": "exports-1", "PublicUrl": "https://don.example.org",
		"MailFrom": "appeal@example.org", "MailConfigurationSet": "solidarity-mail", "StripeSecretKeyParam": "/s/key",
		"StripeWebhookSecretParam": "/s/whsec", "HashKeyParam": "/s/hash", "MailerDeadLetterQueueUrl": "https://sqs/dlq",
		"DonatePageUrl": "https://example.org/donner",
	}}
	env := map[string]string{"MAIL_FROM": "other@example.org", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}
	get, err := Settings(func(k string) string { return env[k] }, stack)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TABLE_NAME": "solidarity-Table-1", "EXPORT_BUCKET": "exports-1", "PUBLIC_URL": "https://don.example.org",
		"MAIL_FROM":              "other@example.org", // the environment wins
		"MAIL_CONFIGURATION_SET": "solidarity-mail", "STRIPE_SECRET_KEY_PARAM": "/s/key", "STRIPE_WEBHOOK_SECRET_PARAM": "/s/whsec",
		"HASH_KEY_PARAM": "/s/hash", "ERASURE_KEY_PARAM": "/s/hash", "MAILER_DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
		"DONATE_PAGE_URL": "https://example.org/donner",
		"ALLOWED_ORIGINS": "", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
	}
	for k, v := range want {
		if got := get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// mail redrive's failed-payment emails link to the stack's donation page, not to
	// PUBLIC_URL + "/" (the API's root, a 404); a stack without the output keeps that.
	if cfg, err := config.LoadFrom(get); err != nil || cfg.DonatePageURL != "https://example.org/donner" {
		t.Errorf("DonatePageURL %q, %v", cfg.DonatePageURL, err)
	}
	delete(stack.Outputs, "DonatePageUrl")
	if cfg, err := config.LoadFrom(get); err != nil || cfg.DonatePageURL != "https://don.example.org/" {
		t.Errorf("without the output: DonatePageURL %q, %v", cfg.DonatePageURL, err)
	}
	env["TABLE_NAME"], env["ERASURE_KEY_PARAM"] = "restored-table", "/s/erasure"
	if get("TABLE_NAME") != "restored-table" || get("ERASURE_KEY_PARAM") != "/s/erasure" || get("HASH_KEY_PARAM") != "/s/hash" {
		t.Errorf("environment does not win: %q %q", get("TABLE_NAME"), get("ERASURE_KEY_PARAM"))
	}
}

func TestSettingsWithoutAStack(t *testing.T) {
	tests := []struct {
		env        map[string]string
		table, err string
	}{
		{env: nil, err: "set SOLIDARITY_STACK to your stack's name, or give -stack NAME (or set TABLE_NAME to its table)"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "https://dynamodb.ca-central-1.amazonaws.com"}, err: "set SOLIDARITY_STACK to your stack's name, or give -stack NAME (or set TABLE_NAME to its table)"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, table: "solidarity"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "http://localhost:5001"}, table: "solidarity"},
		{env: map[string]string{"TABLE_NAME": "mine"}, table: "mine"},
		{env: map[string]string{"TABLE_NAME": "mine", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, table: "mine"},
	}
	for _, tt := range tests {
		get, err := Settings(func(k string) string { return tt.env[k] }, Stack{})
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("%v: err %v, want %q", tt.env, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.err == "" && get("TABLE_NAME") != tt.table:
			t.Errorf("%v: table %q, want %q", tt.env, get("TABLE_NAME"), tt.table)
		}
	}
	// Against a local emulator, the broadcast and mail commands find make dev's settings;
	// against AWS, none.
	local := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000/"}
	get, _ := Settings(func(k string) string { return local[k] }, Stack{})
	for name, want := range map[string]string{"MAIL_FROM": "appeal@solidarity.example", "PUBLIC_URL": "http://127.0.0.1:8080",
		"BROADCAST_QUEUE_URL": "http://127.0.0.1:5000/123456789012/solidarity-broadcasts", "STRIPE_SECRET_KEY": ""} {
		if got := get(name); got != want {
			t.Errorf("locally, %s = %q, want %q", name, got, want)
		}
	}
	local["PORT"], local["MAIL_FROM"] = "9090", "news@example.org"
	if get("PUBLIC_URL") != "http://127.0.0.1:9090" || get("MAIL_FROM") != "news@example.org" {
		t.Errorf("locally with PORT and MAIL_FROM: %q %q", get("PUBLIC_URL"), get("MAIL_FROM"))
	}
	get, _ = Settings(func(k string) string { return map[string]string{"TABLE_NAME": "t"}[k] }, Stack{})
	if get("MAIL_FROM") != "" || get("BROADCAST_QUEUE_URL") != "" {
		t.Errorf("against AWS: %q %q", get("MAIL_FROM"), get("BROADCAST_QUEUE_URL"))
	}
	// A stack is never the local table, even against moto.
	_, err := Settings(func(k string) string { return map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}[k] },
		Stack{Name: "old", Region: "ca-central-1", Outputs: map[string]string{}})
	if err == nil || err.Error() != `stack "old" in ca-central-1 has no TableName output: deploy the current template, or set TABLE_NAME` {
		t.Errorf("stack without TableName: %v", err)
	}
}

func TestIsLocalEndpoint(t *testing.T) {
	tests := map[string]bool{
		"http://127.0.0.1:5000": true, "http://localhost:5000": true, "http://[::1]:5000": true,
		"": false, "https://dynamodb.ca-central-1.amazonaws.com": false, "127.0.0.1:5000": false,
		"http://127.0.0.1.example.org": false, "%zz": false,
	}
	for in, want := range tests {
		if got := IsLocalEndpoint(in); got != want {
			t.Errorf("IsLocalEndpoint(%q) = %v", in, got)
		}
	}
}

func TestGlobalFlags(t *testing.T) {
	tests := []struct {
		args  []string
		stack string
		rest  []string
		ok    bool
	}{
		{[]string{"doctor"}, "", []string{"doctor"}, true},
		{[]string{"-stack", "solidarity", "doctor"}, "solidarity", []string{"doctor"}, true},
		{[]string{"--stack", "solidarity", "report", "appeal", "-live"}, "solidarity", []string{"report", "appeal", "-live"}, true},
		{[]string{"-stack=solidarity-2", "doctor"}, "solidarity-2", []string{"doctor"}, true},
		{[]string{"-stack", "a", "-stack", "b", "doctor"}, "b", []string{"doctor"}, true},
		{[]string{"-stack", "solidarity"}, "solidarity", []string{}, true},
		{[]string{"report", "appeal", "-stack", "x"}, "", []string{"report", "appeal", "-stack", "x"}, true},
		{[]string{}, "", []string{}, true},
		{[]string{"-stack"}, "", nil, false},
		{[]string{"-stack", "-live"}, "", nil, false},
		{[]string{"-stack", ""}, "", nil, false},
		{[]string{"-stack=", "doctor"}, "", nil, false},
	}
	for _, tt := range tests {
		stack, rest, err := GlobalFlags(tt.args)
		if (err == nil) != tt.ok || stack != tt.stack || !slices.Equal(rest, tt.rest) {
			t.Errorf("GlobalFlags(%q) = %q, %q, %v", tt.args, stack, rest, err)
		}
	}
}

func FuzzGlobalFlags(f *testing.F) {
	f.Add("-stack\x00solidarity\x00doctor")
	f.Add("-stack=x\x00report\x00appeal")
	f.Add("-stack")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		stack, rest, err := GlobalFlags(args)
		if err != nil {
			return
		}
		// What is left is a tail of the arguments, and it does not begin with -stack.
		if len(rest) > len(args) || !slices.Equal(rest, args[len(args)-len(rest):]) {
			t.Fatalf("rest %q is not a tail of %q", rest, args)
		}
		if len(rest) > 0 && (rest[0] == "-stack" || strings.HasPrefix(rest[0], "-stack=")) {
			t.Fatalf("rest %q still begins with -stack", rest)
		}
		if len(rest) < len(args) && stack == "" {
			t.Fatalf("took %q off without a stack", args[:len(args)-len(rest)])
		}
	})
}

func TestReadStackWithoutARegion(t *testing.T) {
	_, err := ReadStack(context.Background(), fakeStacks{err: errors.New("Missing Region")}, "solidarity", "")
	if err == nil || err.Error() != `no AWS region: add region = ca-central-1 under your profile in ~/.aws/config, or set AWS_REGION (README, "The staff tool")` {
		t.Fatalf("err = %v", err)
	}
}

func TestNeedsStack(t *testing.T) {
	const sentence = "doctor and stripe connect need the stack: set SOLIDARITY_STACK to your stack's name, or give -stack NAME (staff -stack NAME "
	tests := []struct {
		args []string
		want string // "" : no stack needed
	}{
		{[]string{"doctor"}, sentence + "doctor)"},
		{[]string{"stripe", "connect"}, sentence + "stripe connect)"},
		{[]string{"stripe", "connect", "-dry-run", "-url", "https://api.example.org/webhooks/stripe"}, sentence + "stripe connect)"},
		{[]string{"stripe", "connect", "-param", "/s/whsec"}, sentence + "stripe connect)"},
		{[]string{"stripe", "connect", "-url", "https://api.example.org/webhooks/stripe", "-param", "/s/whsec"}, ""},
		{[]string{"stripe", "connect", "--url=https://api.example.org/webhooks/stripe", "-param=/s/whsec", "-replace"}, ""},
		{[]string{"campaign", "show", "-slug", "x"}, ""},
		{[]string{"stripe"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		err := NeedsStack(tt.args)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want || !errors.Is(err, ErrUsage)):
			t.Errorf("%q: %v, want the usage error %q", tt.args, err, tt.want)
		}
	}
}

func TestUsageLine(t *testing.T) {
	tests := map[string]string{
		"doctor":                  "  staff doctor (checks the stack: each line OK, FIX and what to do, or NOTE: what it cannot tell; exit status 1 on a FIX)",
		"-stack x doctor -v":      "  staff doctor (checks the stack: each line OK, FIX and what to do, or NOTE: what it cannot tell; exit status 1 on a FIX)",
		"stripe connect -replace": "  staff stripe connect [-url URL] [-param SSM_NAME] [-dry-run]",
		"report donations":        "  staff report NAME (-export FOLDER|s3://bucket/prefix | -live) [-format csv|json|html] [-o FILE] [-lang fr] [-tz ZONE]",
		"mail failed -from x":     "  staff mail failed [-from 2026-11-01] [-to 2026-12-01] [-format json]",
		"campaign show":           "  staff campaign show -slug SLUG [-lang fr]",
		"campaign":                "", // several subcommands: none is the one
		"stripe":                  "",
		"foo bar":                 "",
		"-stack":                  "",
		"":                        "",
	}
	for in, want := range tests {
		if got := UsageLine(strings.Fields(in)); got != want {
			t.Errorf("UsageLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// credentialsFailing is a credential chain that finds nothing.
type credentialsFailing struct{ err error }

func (c credentialsFailing) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, c.err
}

// A failed credential chain, however deep in the SDK's error, is one sentence; other
// errors pass as they are.
func TestCredentialsSentence(t *testing.T) {
	ctx := context.Background()
	imds := MarkCredentials(credentialsFailing{errors.New("no EC2 IMDS role found, operation error ec2imds: GetMetadata, http response error StatusCode: 404")})
	_, err := imds.Retrieve(ctx)
	deep := fmt.Errorf("operation error CloudFormation: DescribeStacks, get identity: get credentials: %w", err)
	if got := CredentialsSentence(deep); got == nil || got.Error() != `no AWS credentials: put your access key in ~/.aws/credentials and set AWS_PROFILE to its profile (README, "The staff tool")` {
		t.Errorf("IMDS: %v", got)
	}
	sso := MarkCredentials(credentialsFailing{errors.New("the SSO session has expired")})
	_, err = sso.Retrieve(ctx)
	if got := CredentialsSentence(fmt.Errorf("get credentials: %w", err)); got == nil ||
		!strings.HasPrefix(got.Error(), `no AWS credentials: put your access key in ~/.aws/credentials and set AWS_PROFILE to its profile (README, "The staff tool") (`) || !strings.Contains(got.Error(), "the SSO session has expired") {
		t.Errorf("SSO: %v", got)
	}
	other := errors.New("AccessDenied")
	if CredentialsSentence(other) != other || CredentialsSentence(nil) != nil {
		t.Error("other errors are changed")
	}
	good := MarkCredentials(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
	}))
	if c, err := good.Retrieve(ctx); err != nil || c.AccessKeyID != "AKIDTEST" {
		t.Errorf("credentials found: %+v %v", c, err)
	}
	if MarkCredentials(nil) != nil {
		t.Error("no provider became one")
	}
}
