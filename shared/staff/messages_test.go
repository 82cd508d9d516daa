package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// rawGo is text of Go's, package flag's or the AWS SDK's that must never reach a staff
// member unexplained.
var rawGo = []string{"usage:", "flag provided but not defined", "flag needs an argument", "invalid value", "lstat",
	"no such file or directory", "operation error", "json: cannot unmarshal", "https response error"}

// commandsInUsage are the commands Usage lists ("campaign create", "doctor", "report").
func commandsInUsage() []string {
	var cmds []string
	seen := map[string]bool{}
	for _, line := range strings.Split(Usage, "\n") {
		f := strings.Fields(line)
		if !strings.HasPrefix(line, "  staff ") || len(f) < 2 || strings.HasPrefix(f[1], "[") {
			continue
		}
		cmd := f[1]
		if len(f) >= 3 && subcommand(f[2]) {
			cmd += " " + f[2]
		}
		if !seen[cmd] {
			seen[cmd] = true
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// TestUsageErrorsSayOneSentence: every command, with an option it does not have, with
// what it requires missing, with a bad value or a word too many, fails with exit status
// 2 and says exactly one sentence and the command's one line of usage, in the tool's
// words (never package flag's "usage:" or "flag provided but not defined"). Every
// command of Usage is tried.
func TestUsageErrorsSayOneSentence(t *testing.T) {
	store, _ := onTable(t)
	env := emulator.Get(t)
	wrong := map[string][]string{ // the command's arguments that are wrong, besides an unknown option
		"doctor":                {"now"},
		"stripe connect":        {"-url"},
		"reconcile":             {"-days", "many"},
		"report":                {"appeal"},
		"campaign create":       {"-slug", "winter"},
		"campaign show":         {},
		"offline add":           {"-amount", "250"},
		"offline void":          {},
		"branches import":       {},
		"branches list":         {"everything"},
		"members list":          {"-status", "gone"},
		"members move":          {"-email", "a@example.org"},
		"subscriptions mailing": {"-date", "tomorrow"},
		"subscriptions lapsing": {"-days", "0"},
		"export start":          {},
		"mail redrive":          {"-settle", "soon"},
		"mail failed":           {"-from", "yesterday"},
		"mail resend":           {"-since", "last week"},
		"mail unsuppress":       {},
		"privacy find":          {},
		"privacy erase":         {"-email", "a@example.org"}, // without -confirm
		"restore copy":          {},
		"broadcast create":      {"-en", "news-en.md"},
		"broadcast preview":     {},
		"broadcast test":        {"-id", "bc_1", "-to", "not an address"},
		"broadcast send":        {"-id", "bc_1"}, // without -confirm
		"broadcast cancel":      {},
		"broadcast report":      {"-id", "two\nlines"},
	}
	for _, cmd := range commandsInUsage() {
		if _, ok := wrong[cmd]; !ok {
			t.Errorf("command %q of Usage is not tried here: add its wrong arguments", cmd)
		}
	}
	for cmd, bad := range wrong {
		words := strings.Fields(cmd)
		for _, args := range [][]string{append(words, "-frobnicate"), append(append([]string{}, words...), bad...),
			append(append([]string{}, words...), "-frobnicate=3")} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var out bytes.Buffer
				err := Run(context.Background(), store, Sources{DB: env.DB(), Table: store.Table}, args, &out)
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("not a usage error: %v", err)
				}
				msg, code := Explain(args, err)
				t.Logf("%s", msg)
				lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
				if code != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "staff: ") || len(lines[0]) < len("staff: ")+10 ||
					!strings.HasPrefix(lines[1], "  staff "+words[0]) {
					t.Fatalf("exit %d, want one sentence and the usage line of %s:\n%s", code, cmd, msg)
				}
				if strings.Count(strings.TrimSuffix(lines[0], "."), ". ") > 0 {
					t.Errorf("more than one sentence: %q", lines[0])
				}
				for _, raw := range rawGo {
					if strings.Contains(msg, raw) {
						t.Errorf("%q reaches the screen:\n%s", raw, msg)
					}
				}
				if out.Len() > 0 {
					t.Errorf("a usage error wrote output: %q", out.String())
				}
				// Check, before any AWS setting is read, refuses it in the same sentence,
				// except what only the stack's settings can tell (export start's bucket).
				if cerr := Check(args); (cerr == nil || cerr.Error() != err.Error()) && !(cmd == "export start" && cerr == nil) {
					t.Errorf("Check: %v, want %v", cerr, err)
				}
			})
		}
	}
}

// TestFlagErrors: what package flag refuses, said in the tool's words.
func TestFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "campaign show has no option -x"},
		{[]string{"--x=1"}, "campaign show has no option -x"},
		{[]string{"-slug"}, "-slug needs a value after it"},
		{[]string{"-days", "many"}, `-days cannot be "many": give it a whole number, such as 30`},
		{[]string{"-all=maybe"}, `-all cannot be "maybe": give it no value (or =true, =false)`},
		{[]string{"extra"}, `campaign show takes only options (words that start with -), not "extra"`},
		{[]string{"-slug", "a", "b"}, `campaign show takes only options (words that start with -), not "b": put a value of several words in quotes, such as -slug "a b"`},
		{[]string{"-days", "3", "b"}, `campaign show takes only options (words that start with -), not "b"`},
		{[]string{"-all", "b"}, `campaign show takes only options (words that start with -), not "b"`},
		{[]string{"---x"}, `"---x" is not an option: write options as -name value`},
		{[]string{"-h"}, "how to write campaign show:"},
	} {
		fs := newFlags("campaign show")
		fs.String("slug", "", "")
		fs.Int("days", 0, "")
		fs.Bool("all", false, "")
		err := fs.Parse(tt.args)
		if !errors.Is(err, ErrUsage) || err.Error() != tt.want {
			t.Errorf("%q: %v, want %s", tt.args, err, tt.want)
		}
	}
	fs := newFlags("privacy find")
	fs.words = 1
	lang := fs.String("lang", "", "")
	if err := fs.Parse([]string{"a@example.org", "-lang", "fr"}); err != nil || *lang != "fr" || len(fs.Words()) != 1 || fs.Words()[0] != "a@example.org" {
		t.Errorf("a word before an option: %v %q %q", err, *lang, fs.Words())
	}
	if err := fs.Parse([]string{"a@example.org", "b@example.org"}); err == nil || err.Error() != `privacy find takes 1 word besides its options: "b@example.org" is one too many` {
		t.Errorf("two words: %v", err)
	}
}

// apiError is an AWS service's refusal, as the SDK returns it.
type apiError struct{ code, msg string }

func (e apiError) Error() string                 { return "api error " + e.code + ": " + e.msg }
func (e apiError) ErrorCode() string             { return e.code }
func (e apiError) ErrorMessage() string          { return e.msg }
func (e apiError) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// TestSentences: Go's and the SDK's errors are said as what happened and what to do.
func TestSentences(t *testing.T) {
	op := func(err error) error {
		return fmt.Errorf("scan: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "Scan", Err: err})
	}
	_, openErr := os.Open("/nonexistent/branches.csv")
	for _, tt := range []struct {
		err  error
		want []string
	}{
		{openErr, []string{"there is no file /nonexistent/branches.csv", "check its name and folder"}},
		{op(apiError{"ResourceNotFoundException", "Requested resource not found"}), []string{"AWS has no such resource (DynamoDB Scan", "SOLIDARITY_STACK", "staff doctor"}},
		{op(apiError{"AccessDeniedException", "not authorized"}), []string{"AWS refused DynamoDB Scan", "ask your administrator", "StaffPolicyArn"}},
		{op(apiError{"ExpiredTokenException", "expired"}), []string{"did not accept your credentials", "~/.aws/credentials", "ask your administrator for a new key"}},
		{op(apiError{"ThrottlingException", "slow down"}), []string{"AWS is busy", "wait a minute"}},
		{op(apiError{"ValidationException", "bad key"}), []string{"AWS refused DynamoDB Scan (ValidationException: bad key)", "staff doctor"}},
		{op(&netError{}), []string{"AWS could not be reached (DynamoDB Scan)", "network connection"}},
		{op(errors.New("something odd")), []string{"AWS DynamoDB Scan failed: try again"}},
		{errors.New("decode: json: cannot unmarshal number into Go value of type string"), []string{"did not expect", "send its output"}},
		{errors.New("no campaign \"x\""), []string{`no campaign "x"`}},
	} {
		got := Sentence(tt.err)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: %q does not say %q", tt.err, got, w)
			}
		}
		for _, raw := range rawGo {
			if strings.Contains(got, raw) {
				t.Errorf("%v: %q says %q", tt.err, got, raw)
			}
		}
		if msg, code := Explain([]string{"branches", "import"}, tt.err); code != 1 || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", tt.err, code, msg)
		}
	}
}

type netError struct{}

func (netError) Error() string   { return "dial tcp: connection refused" }
func (netError) Timeout() bool   { return false }
func (netError) Temporary() bool { return false }

// TestBranchesImportMissingFile: a file that is not there is said so, with the path.
func TestBranchesImportMissingFile(t *testing.T) {
	_, run := onTable(t)
	for _, args := range [][]string{{"branches", "import", "/nonexistent.csv"}, {"branches", "import", "-file", "/nonexistent.csv"}} {
		_, err := run(args...)
		msg, code := Explain(args, err)
		if code != 1 || msg != "staff: there is no file /nonexistent.csv: check its name and folder (a relative path starts in "+workingDir()+")\n" {
			t.Errorf("%q: exit %d, %q", args, code, msg)
		}
	}
}
