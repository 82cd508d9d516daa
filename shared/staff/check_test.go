package staff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/solidarity/solidarity/shared/campaign"
)

// TestCheckReadsNothing: Check passes every command of Usage written right, on no store
// and no sources (a command that read the table, AWS or a file would panic or fail here),
// and writes nothing (-o names a folder that does not exist).
func TestCheckReadsNothing(t *testing.T) {
	right := map[string][]string{
		"doctor":                {},
		"stripe connect":        {"-dry-run", "-url", "https://api.example.org/webhooks/stripe"},
		"reconcile":             {"-days", "3"},
		"report":                {"appeal", "-campaign", "winter", "-export", "s3://bucket/exports/2026-11-27/", "-format", "html", "-o", "/nonexistent/appeal.html", "-lang", "fr", "-tz", "America/Toronto"},
		"campaign create":       {"-slug", "winter", "-title-en", "Winter", "-title-fr", "Hiver", "-goal", "1000"},
		"campaign show":         {"-slug", "winter"},
		"offline add":           {"-campaign", "winter", "-amount", "250.00", "-method", "cheque", "-received-on", "2026-11-20", "-id", "cheque-1042"},
		"offline void":          {"-id", "cheque-1042", "-reason", "cheque returned by the bank", "-by", "ana"},
		"branches import":       {"-file", "/nonexistent/branches.csv"},
		"branches list":         {},
		"members list":          {"-status", "active"},
		"members move":          {"-email", "a@example.org", "-branch", "plateau"},
		"subscriptions mailing": {"-date", "2026-12-01"},
		"subscriptions lapsing": {"-days", "30"},
		"export start":          {"-wait"},
		"mail redrive":          {"-settle", "1m"},
		"mail failed":           {"-from", "2026-11-01"},
		"mail resend":           {"-since", "2026-11-01", "-confirm"},
		"mail unsuppress":       {"-email", "a@example.org"},
		"privacy find":          {"a@example.org", "-lang", "fr"},
		"privacy erase":         {"-email", "a@example.org", "-confirm"},
		"restore copy":          {"-from", "solidarity-restored"},
		"broadcast create":      {"-en", "/nonexistent/news-en.md", "-fr", "/nonexistent/news-fr.md", "-audience", "news"},
		"broadcast preview":     {"-id", "b1"},
		"broadcast test":        {"-id", "b1", "-to", "a@example.org"},
		"broadcast send":        {"-id", "b1", "-confirm"},
		"broadcast cancel":      {"-id", "b1"},
		"broadcast report":      {"-id", "b1"},
	}
	for _, cmd := range commandsInUsage() {
		if _, ok := right[cmd]; !ok {
			t.Errorf("command %q of Usage is not checked here: add its arguments written right", cmd)
		}
	}
	for cmd, rest := range right {
		args := append(strings.Fields(cmd), rest...)
		if read, err := check(args); read || err != nil {
			t.Errorf("%q: %v; went on past its checks (add `if checking(ctx) { return nil }` where it first reads): %v", args, err, read)
		}
	}
}

// TestCheckSaysTypos: a mistyped command, report or option, or a command without what it
// requires, is refused by Check as a usage error in the sentence Run says.
func TestCheckSaysTypos(t *testing.T) {
	reports := "appeal, donations, failed-emails, failed-payments, members, members-by-branch, new-members, new-members-by-week, " +
		"payments, subscriptions, subscriptions-due, subscriptions-lapsed"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "appeal", "-x"}, "report appeal has no option -x"},
		{[]string{"report", "apeal"}, `there is no report "apeal": name one of ` + reports},
		{[]string{"report", "apeal", "-live"}, `there is no report "apeal": name one of ` + reports},
		{[]string{"report", "donations", "-live", "-format", "pdf"}, `format "pdf": choose csv, json or html`},
		{[]string{"report", "donations"}, "read from -export FOLDER|s3://bucket/prefix, or -live"},
		{[]string{"offline", "void"}, "-id is required: the offline gift's id, as offline add printed it"},
		{[]string{"privacy", "find"}, "the person's email address is required, such as privacy find -email someone@example.org"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"campaign"}, "a command and a subcommand are needed"},
		{[]string{"campaign", "frobnicate"}, `unknown command "campaign frobnicate"`},
		{[]string{"offline", "add", "-campaign", "w", "-amount", "1.250", "-method", "cash", "-received-on", "2026-11-20"},
			`-amount "1.250": this amount can be read two ways: write the dollars without a thousands separator and at most two digits of cents, such as 1250 or 1.25`},
		{[]string{"offline", "add", "-campaign", "w", "-amount", "1,250", "-method", "cash", "-received-on", "2026-11-20", "-lang", "fr"},
			`-amount "1,250": ce montant peut se lire de deux façons : écrivez les dollars sans séparateur de milliers et au plus deux chiffres de cents, comme 1250 ou 1,25`},
		{[]string{"offline", "add", "-campaign", "w", "-amount", "1", "-method", "cash", "-received-on", "2026-11-20", "-id", "cheque\t9"},
			"-id must be one line of at most 200 characters"},
	} {
		err := Check(tt.args)
		if !errors.Is(err, ErrUsage) || usageSentence(err) != tt.want {
			t.Errorf("%q: %v\nwant the usage error %s", tt.args, err, tt.want)
		}
	}
}

// TestQuoteHint: words after an option that takes text (-reason cheque returned) are
// refused with how to write them: in quotes; not after an option that takes no text.
func TestQuoteHint(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"offline", "void", "-id", "X", "-reason", "two", "words"},
			`offline void takes only options (words that start with -), not "words": put a value of several words in quotes, such as -reason "two words"`},
		{[]string{"offline", "void", "-id", "X", "-reason=cheque", "returned"},
			`offline void takes only options (words that start with -), not "returned": put a value of several words in quotes, such as -reason "cheque returned"`},
		{[]string{"privacy", "find", "a@example.org", "-name", "Ana", "Roy"},
			`privacy find takes 1 word besides its options: "Roy" is one too many: put a value of several words in quotes, such as -name "Ana Roy"`},
		{[]string{"mail", "resend", "-confirm", "now"}, `mail resend takes only options (words that start with -), not "now"`},
		{[]string{"subscriptions", "lapsing", "-days", "30", "days"}, `subscriptions lapsing takes only options (words that start with -), not "days"`},
	} {
		err := Check(tt.args)
		if !errors.Is(err, ErrUsage) || usageSentence(err) != tt.want {
			t.Errorf("%q: %v\nwant %s", tt.args, err, tt.want)
		}
		if msg, code := Explain(tt.args, err); code != 2 || strings.Count(msg, "\n") != 2 {
			t.Errorf("%q: exit %d, %q", tt.args, code, msg)
		}
	}
}

// TestOfflineAddTrimsID: offline add reads -id as offline void does, trimmed, so a gift
// recorded with a space after its id can be voided by the id.
func TestOfflineAddTrimsID(t *testing.T) {
	ctx := context.Background()
	store, run := onTable(t)
	if err := store.CreateCampaign(ctx, campaign.Campaign{Slug: "winter", TitleEN: "Winter", TitleFR: "Hiver", GoalCents: 100000,
		MinCents: 100, MaxCents: 100000, Currency: "cad", Open: true}); err != nil {
		t.Fatal(err)
	}
	out, err := run("offline", "add", "-campaign", "winter", "-amount", "25", "-method", "cash", "-received-on", "2026-11-20", "-id", " cash-9 ")
	if err != nil || !strings.Contains(out, "recorded offline gift cash-9: ") {
		t.Fatalf("add: %v %q", err, out)
	}
	if out, err := run("offline", "void", "-id", "cash-9", "-reason", "counted twice", "-by", "ana"); err != nil || !strings.Contains(out, "voided offline gift cash-9 ") {
		t.Fatalf("void: %v %q", err, out)
	}
	if _, err := run("offline", "add", "-campaign", "winter", "-amount", "25", "-method", "cash", "-received-on", "2026-11-20", "-id", "cash\n10"); !errors.Is(err, ErrUsage) {
		t.Fatalf("an id of two lines: %v", err)
	}
	if gs, err := store.OfflineGifts(ctx, "winter"); err != nil || len(gs) != 1 || gs[0].ID != "cash-9" {
		t.Fatalf("gifts %+v %v", gs, err)
	}
}

// TestNoExportThere: a folder without an export says where to point -export instead.
func TestNoExportThere(t *testing.T) {
	dir := t.TempDir()
	args := []string{"report", "donations", "-export", dir}
	err := Run(context.Background(), nil, Sources{Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }}, args, &strings.Builder{})
	want := dir + " holds no export data files: point -export at a dated export folder, such as s3://BUCKET/exports/2026-11-27/, or use -live"
	if msg, code := Explain(args, err); code != 1 || msg != "staff: "+want+"\n" {
		t.Fatalf("exit %d, %q\nwant %s", code, msg, want)
	}
}

// TestNoSuchProfile: the SDK's refusal of an AWS_PROFILE that ~/.aws/config lacks is said
// as what to check.
func TestNoSuchProfile(t *testing.T) {
	err := fmt.Errorf("aws config: %w", awsconfig.SharedConfigProfileNotExistError{Profile: "nope", Err: errors.New("section not found")})
	want := `there is no AWS profile named "nope" in ~/.aws/config: check AWS_PROFILE and the file (README, "The staff tool")`
	if got := Sentence(err); got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
}
