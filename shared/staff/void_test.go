package staff

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
)

func TestCheckVoid(t *testing.T) {
	long := strings.Repeat("é", maxVoidReason+1)
	for _, c := range []struct {
		name, id, reason, by string
		says                 string // "" when accepted
	}{
		{"an id, a reason and a name", "cheque-1042", "cheque returned by the bank", "ana", ""},
		{"a reason of the longest length", "cheque-1042", long[:len(long)-len("é")], "ana", ""},
		{"a French reason", "chèque-12", "chèque retourné par la banque", "Félicité", ""},
		{"no id", "", "typo", "ana", "-id is required"},
		{"no reason", "cheque-1042", "", "ana", "-reason is required"},
		{"no name", "cheque-1042", "typo", "", "-by is required"},
		{"a reason too long", "cheque-1042", long, "ana", "at most 500"},
		{"a reason of two lines", "cheque-1042", "typo\nsecond line", "ana", "-reason must be one line"},
		{"a reason with a tab", "cheque-1042", "typo\tx", "ana", "-reason must be one line"},
		{"a reason that is not UTF-8", "cheque-1042", "typo \xff", "ana", "-reason must be one line"},
		{"a name too long", "cheque-1042", "typo", strings.Repeat("a", maxVoidBy+1), "-by must be one line of at most 100"},
		{"a name with a control character", "cheque-1042", "typo", "ana\x00", "-by must be one line"},
		{"an id of two lines", "cheque\n1042", "typo", "ana", "-id must be one line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkVoid(c.id, c.reason, c.by)
			if c.says == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("%v; want a usage error saying %q", err, c.says)
			}
		})
	}
}

func FuzzCheckVoid(f *testing.F) {
	f.Add("cheque-1042", "cheque returned", "ana")
	f.Add("", "", "")
	f.Add("x", "a\nb", "\xff")
	f.Fuzz(func(t *testing.T, id, reason, by string) {
		err := checkVoid(id, reason, by)
		if err != nil {
			if !errors.Is(err, ErrUsage) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("not a one-line usage error: %q", err)
			}
			return
		}
		for _, s := range []string{id, reason, by} {
			if s == "" || !oneLine(s) {
				t.Fatalf("accepted %q", s)
			}
		}
		if utf8.RuneCountInString(reason) > maxVoidReason || utf8.RuneCountInString(by) > maxVoidBy {
			t.Fatalf("accepted too long: %q %q", reason, by)
		}
	})
}

func TestOfflineTakenSentence(t *testing.T) {
	at := time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)
	live := dynamo.OfflineGift{ID: "cheque-1042", Campaign: "spring", AmountCents: 125_050, Method: "cheque", ReceivedOn: "2026-11-20"}
	voided := live
	voided.Voided, voided.VoidedAt, voided.VoidedBy, voided.VoidReason = true, &at, "ana", "wrong amount"
	for _, c := range []struct {
		name string
		g    dynamo.OfflineGift
		lang i18n.Lang
		says []string
	}{
		{"another gift holds the id: its amount, in English", live, i18n.EN,
			[]string{"already recorded, for $1,250.50 by cheque to spring", "nothing changed", "offline void -id cheque-1042"}},
		{"its amount in French with -lang fr", live, i18n.FR, []string{"1\u00a0250,50\u00a0$"}},
		{"a voided gift held the id: it is spent", voided, i18n.EN,
			[]string{"voided on 2026-11-21 14:03 UTC by ana (wrong amount)", "its id is spent", "new -id"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := offlineTaken(&dynamo.OfflineIDTaken{Existing: c.g}, c.lang).Error()
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("%q lacks %q", msg, s)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("not one line: %q", msg)
			}
		})
	}
}

// TestOfflineVoid: staff offline void keeps the gift, marked voided with who, when (the
// tool's clock) and why, takes it out of campaign show's totals and of the reports once,
// and lists it as voided; voiding again, an unknown id and re-using the id change nothing.
func TestOfflineVoid(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)
	store, run := onTableAt(t, func() time.Time { return clock })
	if _, err := run("campaign", "create", "-slug", "spring-2026", "-title-en", "Spring", "-title-fr", "Printemps", "-goal", "50000"); err != nil {
		t.Fatal(err)
	}
	add := func(id, amount string) (string, error) {
		return run("offline", "add", "-campaign", "spring-2026", "-amount", amount, "-method", "cheque", "-received-on", "2026-11-20", "-id", id)
	}
	for id, amount := range map[string]string{"cheque-1042": "250.00", "cheque-1043": "40.00"} {
		if _, err := add(id, amount); err != nil {
			t.Fatal(err)
		}
	}
	total := func() int64 {
		c, err := store.Campaign(ctx, "spring-2026")
		if err != nil {
			t.Fatal(err)
		}
		return c.OfflineCents
	}

	// Re-using an id with another amount is refused, naming the gift's amount.
	if _, err := add("cheque-1042", "2500.00"); err == nil || !strings.Contains(err.Error(), "$250.00") {
		t.Fatalf("another amount under a used id: %v", err)
	}
	if out, err := add("cheque-1042", "250"); err != nil || !strings.Contains(out, "nothing changed") {
		t.Fatalf("the same gift again: %q %v", out, err)
	}
	if got := total(); got != 29000 {
		t.Fatalf("total %d, want 29000", got)
	}

	out, err := run("offline", "void", "-id", "cheque-1042", "-reason", "cheque returned by the bank", "-by", "ana")
	if err != nil || !strings.Contains(out, "voided offline gift cheque-1042 ($250.00") || !strings.Contains(out, "total is now $40.00") {
		t.Fatalf("void: %q %v", out, err)
	}
	if got := total(); got != 4000 {
		t.Fatalf("total after the void %d, want 4000", got)
	}
	out, err = run("offline", "void", "-id", "cheque-1042", "-reason", "again", "-by", "marc")
	if err != nil || !strings.Contains(out, "already voided on 2026-11-21 14:03 UTC by ana (cheque returned by the bank); nothing changed") {
		t.Fatalf("second void: %q %v", out, err)
	}
	if got := total(); got != 4000 {
		t.Fatalf("total after the second void %d, want 4000", got)
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"-id", "cheque-404", "-reason", "typo", "-by", "ana"}, `no offline gift has the id "cheque-404"`},
		{[]string{"-id", "cheque-1043", "-by", "ana"}, "-reason is required"},
		{[]string{"-id", "cheque-1043", "-reason", "two", "words", "-by", "ana"}, `"words"`},
	} {
		if _, err := run(append([]string{"offline", "void"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v: %v; want %q", c.args, err, c.says)
		}
	}
	if _, err := add("cheque-1042", "250.00"); err == nil || !strings.Contains(err.Error(), "its id is spent") {
		t.Fatalf("re-adding the voided gift: %v", err)
	}
	if got := total(); got != 4000 {
		t.Fatalf("refused commands changed the total: %d", got)
	}

	// campaign show: out of the totals, listed as voided.
	out, err = run("campaign", "show", "-slug", "spring-2026")
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Raised  int64 `json:"raised_cents"`
		Offline int64 `json:"offline_cents"`
		Voided  int64 `json:"voided_offline_cents"`
		Gifts   []struct {
			ID       string    `json:"id"`
			Amount   int64     `json:"amount_cents"`
			VoidedAt time.Time `json:"voided_at"`
			By       string    `json:"voided_by"`
			Reason   string    `json:"reason"`
		} `json:"voided_offline_gifts"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if shown.Raised != 4000 || shown.Offline != 4000 || shown.Voided != 25000 || len(shown.Gifts) != 1 || shown.Gifts[0].ID != "cheque-1042" ||
		shown.Gifts[0].Amount != 25000 || !shown.Gifts[0].VoidedAt.Equal(clock) || shown.Gifts[0].By != "ana" || shown.Gifts[0].Reason != "cheque returned by the bank" {
		t.Fatalf("campaign show:\n%s", out)
	}

	// The reports read the table: the appeal counts the gift no more, the listing marks it.
	out, err = run("report", "appeal", "-live", "-format", "json", "-campaign", "spring-2026")
	if err != nil {
		t.Fatal(err)
	}
	var days []map[string]string
	if err := json.Unmarshal([]byte(out), &days); err != nil || len(days) != 2 {
		t.Fatalf("appeal: %v\n%s", err, out)
	}
	if last := days[len(days)-1]; last["day"] != "total" || last["offline_cents"] != "4000" || last["net_cents"] != "4000" || last["voided_cents"] != "25000" {
		t.Fatalf("appeal total %v", last)
	}
	out, err = run("report", "donations", "-live", "-format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("donations: %v\n%s", err, out)
	}
	for _, r := range rows {
		want := map[string]string{"status": "paid", "voided": "false", "voided_at": "", "voided_by": "", "void_reason": ""}
		if r["id"] == "cheque-1042" {
			want = map[string]string{"status": "voided", "voided": "true", "voided_at": "2026-11-21T14:03:00Z", "voided_by": "ana",
				"void_reason": "cheque returned by the bank"}
		}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("%s: %s = %q, want %q", r["id"], k, r[k], v)
			}
		}
	}
}

// TestOfflineVoidWithoutBy: without -by, the void is signed with who runs the tool.
func TestOfflineVoidWithoutBy(t *testing.T) {
	ctx := context.Background()
	store, _ := onTable(t)
	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := Run(ctx, store, Sources{User: func() string { return "treasurer" }, Now: func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) }}, args, &out)
		return out.String(), err
	}
	if _, err := run("campaign", "create", "-slug", "fall", "-title-en", "Fall", "-title-fr", "Automne", "-goal", "100"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("offline", "add", "-campaign", "fall", "-amount", "10", "-method", "cash", "-received-on", "2026-11-20", "-id", "cash-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("offline", "void", "-id", "cash-1", "-reason", "counted twice"); err != nil {
		t.Fatal(err)
	}
	g, err := store.FindOfflineGift(ctx, "cash-1", "")
	if err != nil || g.VoidedBy != "treasurer" || !g.Voided {
		t.Fatalf("%+v %v", g, err)
	}
	if UsageLine([]string{"offline", "void"}) == "" || !strings.Contains(UsageLine([]string{"offline", "void"}), "-reason") {
		t.Errorf("offline void has no usage line: %q", UsageLine([]string{"offline", "void"}))
	}
}
