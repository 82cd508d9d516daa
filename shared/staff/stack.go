package staff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// StackAPI is the part of CloudFormation's client that reads a stack's outputs.
type StackAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, opts ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Stack is a deployed stack: its name, its region and its outputs.
type Stack struct {
	Name    string
	Region  string
	Outputs map[string]string
}

// Output is the stack's output named key, or "".
func (s Stack) Output(key string) string { return s.Outputs[key] }

// ReadStack reads the stack's outputs (one DescribeStacks call). A stack that does not
// exist is said in one sentence naming it and the region.
func ReadStack(ctx context.Context, api StackAPI, name, region string) (Stack, error) {
	if err := CheckRegion(region); err != nil {
		return Stack{}, err
	}
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var apiErr smithy.APIError
	if err != nil && errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" && strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		return Stack{}, fmt.Errorf("there is no stack %q in %s: check SOLIDARITY_STACK (or -stack) and AWS_REGION", name, region)
	}
	if err != nil {
		return Stack{}, fmt.Errorf("read the outputs of stack %q in %s: %w", name, region, err)
	}
	if len(out.Stacks) == 0 {
		return Stack{}, fmt.Errorf("there is no stack %q in %s: check SOLIDARITY_STACK (or -stack) and AWS_REGION", name, region)
	}
	st := Stack{Name: name, Region: region, Outputs: map[string]string{}}
	for _, o := range out.Stacks[0].Outputs {
		st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return st, nil
}

// stackSettings are the settings a stack's output gives a default to.
var stackSettings = map[string]string{
	"TABLE_NAME":                   "TableName",
	"EXPORT_BUCKET":                "ExportsBucketName",
	"PUBLIC_URL":                   "PublicUrl",
	"MAIL_FROM":                    "MailFrom",
	"MAIL_CONFIGURATION_SET":       "MailConfigurationSet",
	"STRIPE_SECRET_KEY_PARAM":      "StripeSecretKeyParam",
	"STRIPE_WEBHOOK_SECRET_PARAM":  "StripeWebhookSecretParam",
	"STRIPE_MODE":                  "StripeMode", // live or test: staff reconcile applies events as the webhook does
	"HASH_KEY_PARAM":               "HashKeyParam",
	"ERASURE_KEY_PARAM":            "HashKeyParam",
	"MAILER_DEAD_LETTER_QUEUE_URL": "MailerDeadLetterQueueUrl",
	"BROADCAST_QUEUE_URL":          "BroadcastQueueUrl",
	"DONATE_PAGE_URL":              "DonatePageUrl", // the retry link of failed-payment emails (mail redrive)
}

// LocalTable is the table `make dev` creates in moto: the default only when
// AWS_ENDPOINT_URL points at a local emulator.
const LocalTable = "solidarity"

// localDefault is setting name as `make dev` runs (shared/dev/localdev; PORT, if set,
// is its server's port), or "": LocalTable, the sender address, the local server as the
// public URL (the links of emails sent from here) and the broadcast sender's queue in
// moto's SQS (account 123456789012).
func localDefault(getenv func(string) string, name string) string {
	switch name {
	case "TABLE_NAME":
		return LocalTable
	case "MAIL_FROM":
		return "appeal@solidarity.example"
	case "PUBLIC_URL":
		return "http://127.0.0.1:" + cmp.Or(getenv("PORT"), "8080")
	case "BROADCAST_QUEUE_URL":
		return strings.TrimRight(getenv("AWS_ENDPOINT_URL"), "/") + "/123456789012/solidarity-broadcasts"
	}
	return ""
}

// Settings reads the staff tool's settings: what getenv (the environment) says, else
// the stack's outputs (stack may be the zero Stack: no stack). Without a stack, against
// a local emulator, the settings `make dev` runs with are the defaults (localDefault);
// otherwise, without TABLE_NAME, an error says to name the stack.
func Settings(getenv func(string) string, stack Stack) (func(string) string, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		if out, ok := stackSettings[name]; ok {
			if v := stack.Output(out); v != "" {
				return v
			}
		}
		if stack.Name == "" && IsLocalEndpoint(getenv("AWS_ENDPOINT_URL")) {
			return localDefault(getenv, name)
		}
		return ""
	}
	if get("TABLE_NAME") == "" {
		if stack.Name != "" {
			return nil, fmt.Errorf("stack %q in %s has no TableName output: deploy the current template, or set TABLE_NAME", stack.Name, stack.Region)
		}
		return nil, errors.New("set SOLIDARITY_STACK to your stack's name, or give -stack NAME (or set TABLE_NAME to its table)")
	}
	return get, nil
}

// IsLocalEndpoint reports whether endpoint (AWS_ENDPOINT_URL) is an emulator on this
// machine, as under `make dev`.
func IsLocalEndpoint(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// GlobalFlags takes the options that come before the command (only -stack NAME, or
// -stack=NAME) off args, and returns the stack named and the command's arguments.
func GlobalFlags(args []string) (stack string, rest []string, err error) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-stack" || a == "--stack":
			if len(args) < 2 || args[1] == "" || strings.HasPrefix(args[1], "-") {
				return "", nil, fmt.Errorf("%w: -stack needs the stack's name", ErrUsage)
			}
			stack, args = args[1], args[2:]
		case strings.HasPrefix(a, "-stack=") || strings.HasPrefix(a, "--stack="):
			stack = a[strings.Index(a, "=")+1:]
			if stack == "" {
				return "", nil, fmt.Errorf("%w: -stack needs the stack's name", ErrUsage)
			}
			args = args[1:]
		default:
			return stack, args, nil
		}
	}
	return stack, args, nil
}

// usageError is a usage error (errors.Is(err, ErrUsage)) said in its own sentence, with
// no "usage:" before it.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// NeedsStack is the error of a command that works on the stack when no stack is named
// (nil for the other commands): doctor, and stripe connect unless -url and -param are
// both given. It is checked before the settings, so it is said whatever TABLE_NAME is.
func NeedsStack(args []string) error {
	var command string
	switch {
	case len(args) >= 1 && args[0] == "doctor":
		command = "doctor"
	case len(args) >= 2 && args[0] == "stripe" && args[1] == "connect" && !(hasFlag(args[2:], "url") && hasFlag(args[2:], "param")):
		command = "stripe connect"
	default:
		return nil
	}
	return usageError("doctor and stripe connect need the stack: set SOLIDARITY_STACK to your stack's name, or give -stack NAME (staff -stack NAME " + command + ")")
}

// hasFlag reports whether args give the flag name (-name V, --name V or -name=V).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "-"+name || a == "--"+name || strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"=") {
			return true
		}
	}
	return false
}

// CheckRegion says how to set the AWS region when there is none (region is the SDK's,
// from AWS_REGION, AWS_DEFAULT_REGION or the profile).
func CheckRegion(region string) error {
	if region == "" {
		return errors.New(`no AWS region: add region = ca-central-1 under your profile in ~/.aws/config, or set AWS_REGION (README, "The staff tool")`)
	}
	return nil
}

// credentialsError is the SDK's credential chain failing (CredentialsSentence).
type credentialsError struct{ err error }

func (e credentialsError) Error() string { return e.err.Error() }
func (e credentialsError) Unwrap() error { return e.err }

type sentenceCredentials struct{ p aws.CredentialsProvider }

func (s sentenceCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := s.p.Retrieve(ctx)
	if err != nil {
		return c, credentialsError{err}
	}
	return c, nil
}

// MarkCredentials wraps the SDK's credentials (aws.Config.Credentials) so that
// CredentialsSentence can tell their failure, however deep in an SDK error it is.
func MarkCredentials(p aws.CredentialsProvider) aws.CredentialsProvider {
	if p == nil {
		return nil
	}
	return aws.NewCredentialsCache(sentenceCredentials{p})
}

// CredentialsSentence is err, or, when the credentials MarkCredentials wrapped failed,
// one sentence saying how to give some (with the SDK's reason unless it is only that
// there is no EC2 instance role, the last place the SDK looks).
func CredentialsSentence(err error) error {
	var ce credentialsError
	if !errors.As(err, &ce) {
		return err
	}
	const sentence = `no AWS credentials: put your access key in ~/.aws/credentials and set AWS_PROFILE to its profile (README, "The staff tool")`
	if reason := ce.err.Error(); !strings.Contains(reason, "EC2 IMDS") {
		return fmt.Errorf("%s (%s)", sentence, reason)
	}
	return errors.New(sentence)
}

// UsageLine is the line of Usage of the command args name (after -stack), its spaces
// collapsed, or "" when args name no command of it.
func UsageLine(args []string) string {
	if _, rest, err := GlobalFlags(args); err == nil {
		args = rest
	}
	one, two := "", ""
	if len(args) >= 1 {
		one = args[0]
	}
	if len(args) >= 2 {
		two = args[0] + " " + args[1]
	}
	var byOne string
	for _, line := range strings.Split(Usage, "\n") {
		f := strings.Fields(line)
		if !strings.HasPrefix(line, "  staff ") || len(f) < 2 {
			continue
		}
		if len(f) >= 3 && subcommand(f[2]) {
			if two != "" && f[1]+" "+f[2] == two {
				return "  " + strings.Join(f, " ")
			}
		} else if one != "" && f[1] == one && byOne == "" {
			byOne = "  " + strings.Join(f, " ")
		}
	}
	return byOne
}

// subcommand reports whether a word of a usage line is a subcommand (lowercase).
func subcommand(w string) bool {
	for _, r := range w {
		if !(r >= 'a' && r <= 'z' || r == '-') {
			return false
		}
	}
	return w != ""
}
