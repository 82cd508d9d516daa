package staff

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// flagSet is a command's flags: silent (package flag prints nothing), its errors said
// in one sentence that names the command, and words after the options refused unless
// the command takes them (words).
type flagSet struct {
	*flag.FlagSet
	name  string
	words int      // how many words the command takes besides its options
	got   []string // those words, once parsed
}

// Parse reads args: the options, and up to f.words other words anywhere among them
// (`privacy find ADDRESS -lang fr` as well as `privacy find -lang fr ADDRESS`). Its errors
// are usage errors (errors.Is(err, ErrUsage)) in one sentence.
func (f *flagSet) Parse(args []string) error {
	f.got = nil
	for {
		if err := f.FlagSet.Parse(args); err != nil {
			return f.flagError(err)
		}
		if f.NArg() == 0 {
			return nil
		}
		word := f.Arg(0)
		if len(f.got) == f.words {
			hint := f.quoteHint(args, len(args)-f.NArg())
			if f.words == 0 {
				return usageError(fmt.Sprintf("%s takes only options (words that start with -), not %q%s", f.name, word, hint))
			}
			return usageError(fmt.Sprintf("%s takes %d word besides its options: %q is one too many%s", f.name, f.words, word, hint))
		}
		f.got = append(f.got, word)
		args = f.Args()[1:]
	}
}

// quoteHint is what to add when the word at args[i] that the command does not take
// follows the value of an option that takes text (-reason cheque returned, -amount
// 1 250,00): that a value of several words goes in quotes; else "".
func (f *flagSet) quoteHint(args []string, i int) string {
	if i < 1 || i >= len(args) {
		return ""
	}
	name, value, inline := strings.Cut(strings.TrimLeft(args[i-1], "-"), "=")
	if !inline || !strings.HasPrefix(args[i-1], "-") {
		if i < 2 || !strings.HasPrefix(args[i-2], "-") || strings.Contains(args[i-2], "=") {
			return ""
		}
		name, value = strings.TrimLeft(args[i-2], "-"), args[i-1]
	}
	fl := f.Lookup(name)
	if fl == nil {
		return ""
	}
	if _, text := fl.Value.(*names); !text {
		g, ok := fl.Value.(flag.Getter)
		if !ok {
			return ""
		}
		if _, text = g.Get().(string); !text {
			return ""
		}
	}
	return fmt.Sprintf(": put a value of several words in quotes, such as -%s %q", name, value+" "+args[i])
}

// Words are the words besides the options that Parse read.
func (f *flagSet) Words() []string { return f.got }

// flagError says an error of package flag in one sentence.
func (f *flagSet) flagError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, flag.ErrHelp):
		return usageError("how to write " + f.name + ":")
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		name := strings.TrimPrefix(msg, "flag provided but not defined: ")
		return usageError(fmt.Sprintf("%s has no option %s", f.name, name))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		name := strings.TrimPrefix(msg, "flag needs an argument: ")
		return usageError(fmt.Sprintf("%s needs a value after it", name))
	case strings.HasPrefix(msg, "bad flag syntax: "):
		return usageError(fmt.Sprintf("%q is not an option: write options as -name value", strings.TrimPrefix(msg, "bad flag syntax: ")))
	}
	// invalid value "x" for flag -days: … / invalid boolean value "x" for -confirm: …
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		want := "another value"
		if fl := f.Lookup(strings.TrimLeft(m[2], "-")); fl != nil {
			if g, ok := fl.Value.(flag.Getter); ok {
				switch g.Get().(type) {
				case int, int64, uint, uint64:
					want = "a whole number, such as 30"
				case bool:
					want = "no value (or =true, =false)"
				case float64:
					want = "a number"
				case time.Duration:
					want = "a duration, such as 5m or 90s"
				}
			}
		}
		return usageError(fmt.Sprintf("%s cannot be %s: give it %s", m[2], m[1], want))
	}
	return usageError(f.name + ": " + msg)
}

var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value ("(?:[^"\\]|\\.)*") for (?:flag )?(-[^:]+): `)

// Explain is what the staff tool prints when a command fails, and its exit status: a
// usage error is its sentence and the command's one line of usage (exit status 2); any
// other error one sentence saying what went wrong and what to do, never the bare text of
// a Go or AWS error (exit status 1).
func Explain(args []string, err error) (string, int) {
	if errors.Is(err, ErrUsage) {
		line := UsageLine(args)
		if line == "" {
			line = commandsOf(args)
		}
		return "staff: " + usageSentence(err) + "\n" + line + "\n", 2
	}
	return "staff: " + Sentence(err) + "\n", 1
}

// usageSentence is a usage error's message without the "usage: " that wrapping ErrUsage
// puts before it.
func usageSentence(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, ErrUsage.Error()+": ")
	return strings.Replace(msg, ": "+ErrUsage.Error()+": ", ": ", 1)
}

// commandsOf is the line said after a usage error that names no command of Usage: the
// subcommands of its first word, or where the commands are listed.
func commandsOf(args []string) string {
	if _, rest, err := GlobalFlags(args); err == nil {
		args = rest
	}
	if len(args) > 0 {
		var subs []string
		for _, line := range strings.Split(Usage, "\n") {
			f := strings.Fields(line)
			if strings.HasPrefix(line, "  staff ") && len(f) >= 3 && f[1] == args[0] && subcommand(f[2]) && !containsWord(subs, f[2]) {
				subs = append(subs, f[2])
			}
		}
		if len(subs) > 0 {
			return "  staff " + args[0] + " " + strings.Join(subs, "|") + " …   (staff help shows the options of each)"
		}
	}
	return "  staff help lists the commands"
}

func containsWord(ws []string, w string) bool {
	for _, x := range ws {
		if x == w {
			return true
		}
	}
	return false
}

// Sentence says err in one sentence a staff member can act on: a missing file, an AWS
// refusal or failure, a record that cannot be read are explained with what to do; other
// errors are the tool's own sentences already.
func Sentence(err error) string {
	var pathErr *iofs.PathError
	var opErr *smithy.OperationError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var noProfile awsconfig.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &noProfile):
		return fmt.Sprintf(`there is no AWS profile named %q in ~/.aws/config: check AWS_PROFILE and the file (README, "The staff tool")`, noProfile.Profile)
	case errors.As(err, &opErr):
		return awsSentence(opErr)
	case errors.As(err, &pathErr):
		switch {
		case errors.Is(pathErr.Err, iofs.ErrNotExist):
			return fmt.Sprintf("there is no file %s: check its name and folder (a relative path starts in %s)", pathErr.Path, workingDir())
		case errors.Is(pathErr.Err, iofs.ErrPermission):
			return fmt.Sprintf("%s cannot be opened: permission denied; choose a file or folder you may read and write", pathErr.Path)
		default:
			return fmt.Sprintf("%s cannot be opened (%v): check the path", pathErr.Path, pathErr.Err)
		}
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr):
		what := "it is not valid JSON"
		if typeErr != nil {
			what = fmt.Sprintf("its field %s holds a %s where a %v was expected", typeErr.Field, typeErr.Value, typeErr.Type)
		}
		return "a record could not be read (" + what + "): the table or export holds something this version of the tool " +
			"does not know; check that the tool is the same version as the stack, or ask the developers"
	}
	msg := err.Error()
	for _, raw := range []string{"operation error ", "lstat ", "no such file or directory", "json: cannot unmarshal"} {
		if strings.Contains(msg, raw) {
			return "the command failed on something it did not expect: try again; if it fails again, " +
				"run staff doctor and send its output and this command to the developers"
		}
	}
	return msg
}

// awsSentence says an AWS call's failure: what was refused or unreachable, and what to do.
func awsSentence(op *smithy.OperationError) string {
	call := op.Service() + " " + op.Operation()
	var api smithy.APIError
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.As(op.Err, &api):
		code := api.ErrorCode()
		switch {
		case code == "ResourceNotFoundException" || code == "NoSuchBucket" || code == "ParameterNotFound" ||
			code == "QueueDoesNotExist" || code == "AWS.SimpleQueueService.NonExistentQueue":
			return fmt.Sprintf("AWS has no such resource (%s: %s): check SOLIDARITY_STACK (or -stack) and AWS_REGION, then run staff doctor",
				call, api.ErrorMessage())
		case strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "AuthorizationError":
			return fmt.Sprintf("AWS refused %s: your AWS profile lacks the permission; ask your administrator for the stack's staff "+
				"policy (the StaffPolicyArn output)", call)
		case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "UnrecognizedClientException" ||
			code == "InvalidClientTokenId" || code == "InvalidSignatureException" || code == "SignatureDoesNotMatch":
			return fmt.Sprintf("AWS did not accept your credentials (%s): check the access key in ~/.aws/credentials and AWS_PROFILE, "+
				"or ask your administrator for a new key (README, \"The staff tool\")", code)
		case strings.Contains(code, "Throttl") || code == "ProvisionedThroughputExceededException" || code == "RequestLimitExceeded":
			return fmt.Sprintf("AWS is busy (%s, %s): wait a minute and run the command again", call, code)
		}
		return fmt.Sprintf("AWS refused %s (%s: %s): check the command; if it fails again, run staff doctor", call, code, api.ErrorMessage())
	case errors.As(op.Err, &dnsErr), errors.As(op.Err, &netErr):
		return fmt.Sprintf("AWS could not be reached (%s): check your network connection and AWS_REGION (and AWS_ENDPOINT_URL, if set), then try again", call)
	}
	return fmt.Sprintf("AWS %s failed: try again; if it fails again, run staff doctor", call)
}

func workingDir() string {
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "the folder you run staff in"
}
