package main

import (
	"strings"
	"testing"
)

// TestTyposBeforeAWS: with no AWS settings at all, as on a treasurer's new computer, a
// mistyped command, report or option is said as what it is (exit status 2, one sentence
// and the usage line), never hidden behind the region or credentials it lacks.
func TestTyposBeforeAWS(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		first string // the sentence
		usage string // the start of the usage line
	}{
		{[]string{"report", "appeal", "-x"}, "staff: report appeal has no option -x", "  staff report NAME "},
		{[]string{"report", "apeal"}, `staff: there is no report "apeal": name one of appeal, donations, `, "  staff report NAME "},
		{[]string{"offline", "void"}, "staff: -id is required: the offline gift's id, as offline add printed it", "  staff offline void -id "},
		{[]string{"offline", "void", "-id", "cheque-1", "-reason", "two", "words"},
			`staff: offline void takes only options (words that start with -), not "words": put a value of several words in quotes, such as -reason "two words"`,
			"  staff offline void -id "},
		{[]string{"privacy", "find"}, "staff: the person's email address is required, such as privacy find -email someone@example.org", "  staff privacy find -email "},
		{[]string{"frobnicate"}, `staff: unknown command "frobnicate"`, "  staff help lists the commands"},
		{[]string{"-stack", "solidarity", "doctor", "now"}, `staff: doctor takes only options (words that start with -), not "now"`, "  staff doctor "},
		{[]string{"offline", "add", "-campaign", "w", "-amount", "12.5.0", "-method", "cash", "-received-on", "2026-11-20"}, `staff: -amount "12.5.0": `, "  staff offline add "},
	} {
		code, stdout, stderr := runStaff(t, nil, tt.args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || stdout != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], tt.first) || !strings.HasPrefix(lines[1], tt.usage) {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 2, %q… and the usage line %q…", tt.args, code, stdout, stderr, tt.first, tt.usage)
		}
		if s := strings.TrimSuffix(lines[0], "."); strings.Contains(s, ". ") || strings.HasSuffix(lines[0], ".") {
			t.Errorf("%q: not one sentence: %q", tt.args, lines[0])
		}
		for _, aws := range []string{"aws", "region", "credential"} {
			if strings.Contains(strings.ToLower(stderr), aws) {
				t.Errorf("%q: says %q:\n%s", tt.args, aws, stderr)
			}
		}
	}
}

// TestNoSuchProfile: an AWS_PROFILE that ~/.aws/config does not have is said as what to
// check, not as the SDK's "failed to get shared config profile".
func TestNoSuchProfile(t *testing.T) {
	code, stdout, stderr := runStaff(t, map[string]string{"AWS_PROFILE": "nope", "SOLIDARITY_STACK": "solidarity"}, "doctor")
	want := "staff: there is no AWS profile named \"nope\" in ~/.aws/config: check AWS_PROFILE and the file (README, \"The staff tool\")\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 1:\n%s", code, stdout, stderr, want)
	}
}
