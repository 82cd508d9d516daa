package staff

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
)

func init() { emulator.Logs.Personal("Nadia", "Lefebvre", "Hyperlink") }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "branches.csv")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBranchesAndMembersCommands(t *testing.T) {
	ctx := context.Background()
	store, run := onTable(t)
	head := strings.Join(branch.CSVHeader, ",") + "\n"

	t.Run("a directory without a national at-large list is refused", func(t *testing.T) {
		_, err := run("branches", "import", "-file", writeFile(t, head+"montreal,M,M,Montréal,QC,H,a@example.org,fr,false\n"))
		if err == nil || !strings.Contains(err.Error(), "national at-large") {
			t.Fatalf("err = %v", err)
		}
	})
	sample := filepath.Join(emulator.Root(), "infra", "branches.csv")
	out, err := run("branches", "import", "-file", sample)
	if err != nil || out != "imported 27 branches (27 new, 0 replaced)\n" {
		t.Fatalf("import: %q %v", out, err)
	}
	t.Run("a file with a bad row imports nothing", func(t *testing.T) {
		_, err := run("branches", "import", "-file", writeFile(t, head+"ottawa,Ottawa,Ottawa,Ottawa,ON,K1,new@example.org,en,false\nbad slug,x,x,x,ON,K,x@example.org,en,false\n"))
		if err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Fatalf("err = %v", err)
		}
		if bs, _ := store.Branches(ctx); len(bs) != 27 || mustGet(t, bs, "ottawa").Organizers[0] != "ottawa@solidarity.example" {
			t.Fatalf("branches changed: %d", len(bs))
		}
	})
	t.Run("list round-trips through import", func(t *testing.T) {
		out, err := run("branches", "list")
		if err != nil {
			t.Fatal(err)
		}
		// A machine's file, as import reads it: no byte-order mark, "," whatever the
		// language (the reports' CSV, for people, has both: package report).
		if !strings.HasPrefix(out, head) {
			t.Errorf("branches list begins %.80q, want the plain header %q", out, head)
		}
		bs, err := branch.ParseCSV(strings.NewReader(out))
		if err != nil || len(bs) != 27 || mustGet(t, bs, "toronto").Organizers[1] != "toronto.outreach@solidarity.example" {
			t.Fatalf("%d branches, %v", len(bs), err)
		}
	})

	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	add := func(email, first, slug, status string) {
		m := member.Member{ID: "mem_" + strings.Split(email, "@")[0], Email: email, FirstName: first, LastName: "Lefebvre",
			Address: address.Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4", Country: "CA"},
			Branch:  slug, RoutedBy: branch.ByPostalCode, Language: "fr", Status: status, CreatedAt: now, NoticeSentAt: now, Notices: 1}
		if status == member.StatusActive {
			m.ConfirmedAt = &now
		}
		if err := store.CreateMember(ctx, m, outbox.Email{ID: "test_" + m.ID, Template: outbox.MemberConfirm, To: email}, nil); err != nil {
			t.Fatal(err)
		}
	}
	add("pending@example.org", "Nadia", "montreal", member.StatusPending)
	add("active@example.org", "=HYPERLINK(\"http://evil.example\")", "montreal", member.StatusActive)
	add("toronto@example.org", "Nadia", "toronto", member.StatusActive)

	rows := func(args ...string) [][]string {
		t.Helper()
		out, err := run(append([]string{"members", "list"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || strings.Join(recs[0], ",") != strings.Join(MemberColumns, ",") {
			t.Fatalf("%v %v", recs, err)
		}
		return recs[1:]
	}
	if got := rows("-branch", "montreal"); len(got) != 2 {
		t.Fatalf("montreal: %v", got)
	}
	if got := rows("-branch", "montreal", "-status", "active"); len(got) != 1 || got[0][0] != "active@example.org" || !strings.HasPrefix(got[0][1], "'=HYPERLINK") {
		t.Fatalf("montreal active: %v", got)
	}
	if got := rows("-status", "active"); len(got) != 2 {
		t.Fatalf("all active: %v", got)
	}
	if got := rows(); len(got) != 3 {
		t.Fatalf("all: %v", got)
	}
	if _, err := run("members", "list", "-status", "lapsed"); err == nil {
		t.Fatal("a bad status was accepted")
	}

	out, err = run("members", "move", "-email", "Active@Example.org", "-branch", "ottawa")
	if err != nil || !strings.Contains(out, "from montreal to ottawa; 1 organizer(s) notified") {
		t.Fatalf("move: %q %v", out, err)
	}
	if m, _ := store.Member(ctx, "active@example.org"); m.Branch != "ottawa" || m.RoutedBy != member.ByStaff {
		t.Fatalf("moved member %+v", m)
	}
	notices, err := store.DB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(store.Table),
		FilterExpression:          aws.String("#to = :to"),
		ExpressionAttributeNames:  map[string]string{"#to": "to"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":to": &types.AttributeValueMemberS{Value: "ottawa@solidarity.example"}}})
	if err != nil || len(notices.Items) != 1 {
		t.Fatalf("notices to the Ottawa organizer: %v %v", notices, err)
	}
	var notice outbox.Email
	if err := attributevalue.UnmarshalMap(notices.Items[0], &notice); err != nil || notice.Template != outbox.BranchNotice ||
		notice.Language != "en" || notice.Data["moved"] != "true" || notice.Data["email"] != "active@example.org" {
		t.Fatalf("notice %+v %v", notice, err)
	}
	if got := rows("-branch", "ottawa"); len(got) != 1 || got[0][10] != "staff" {
		t.Fatalf("ottawa: %v", got)
	}
	if got := rows("-branch", "montreal"); len(got) != 1 {
		t.Fatalf("montreal after the move: %v", got)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-email", "active@example.org", "-branch", "ottawa"}, "nothing changed"},
		{[]string{"-email", "pending@example.org", "-branch", "toronto"}, "0 organizer(s) notified"},
	} {
		if out, err := run(append([]string{"members", "move"}, tt.args...)...); err != nil || !strings.Contains(out, tt.want) {
			t.Fatalf("move %v: %q %v", tt.args, out, err)
		}
	}
	for _, args := range [][]string{{"-email", "active@example.org", "-branch", "atlantis"}, {"-email", "nobody@example.org", "-branch", "ottawa"}} {
		if _, err := run(append([]string{"members", "move"}, args...)...); err == nil {
			t.Fatalf("move %v succeeded", args)
		}
	}
}

func mustGet(t *testing.T, bs []branch.Branch, slug string) branch.Branch {
	t.Helper()
	b, ok := branch.NewDirectory(bs).Get(slug)
	if !ok {
		t.Fatalf("no branch %s", slug)
	}
	return b
}
