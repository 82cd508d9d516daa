package staff

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// TestAmountsReadLikeTheForm: the staff tool reads dollars with the donation form's
// parser. "25,50" is $25.50 (never $2,550.00); "1,250" is $1,250.00 in English and refused
// with -lang fr; an amount that reads two ways is refused, says why, and records nothing.
func TestAmountsReadLikeTheForm(t *testing.T) {
	ctx := context.Background()
	store, run := onTable(t)
	if _, err := run("campaign", "create", "-slug", "autumn-2026", "-title-en", "Autumn", "-title-fr", "Automne",
		"-goal", "1 250,50", "-min", "0,50", "-max", "$1,000.00", "-counter-shards", "16"); err != nil {
		t.Fatal(err)
	}
	if c, err := store.Campaign(ctx, "autumn-2026"); err != nil || c.GoalCents != 125_050 || c.MinCents != 50 || c.MaxCents != 100_000 || c.Shards() != 16 {
		t.Fatalf("campaign %+v %v", c, err)
	}
	offline := func(amount string, more ...string) (string, error) {
		return run(append([]string{"offline", "add", "-campaign", "autumn-2026", "-amount", amount, "-method", "cheque",
			"-received-on", "2026-11-20"}, more...)...)
	}
	total := int64(0)
	for _, tt := range []struct {
		amount string
		lang   string
		cents  int64
	}{
		{"25,50", "", 2550},
		{"25,50", "fr", 2550},
		{"1,250", "", 125_000},
		{"1 250,50", "fr", 125_050},
		{"1 250,50 $", "fr", 125_050},
		{"$1,250.00", "en", 125_000},
		{"25.5", "", 2550},
	} {
		var more []string
		if tt.lang != "" {
			more = []string{"-lang", tt.lang}
		}
		out, err := offline(tt.amount, more...)
		if err != nil {
			t.Fatalf("%q %v: %v", tt.amount, more, err)
		}
		total += tt.cents
		c, err := store.Campaign(ctx, "autumn-2026")
		if err != nil || c.OfflineCents != total {
			t.Fatalf("after %q %v: offline %d, want %d (%v)", tt.amount, more, c.OfflineCents, total, err)
		}
		said := i18n.EN // the gift is said as the -lang it was typed in writes it
		if tt.lang == "fr" {
			said = i18n.FR
		}
		if !strings.Contains(out, i18n.FormatCents(said, tt.cents)) {
			t.Errorf("%q %v said %q", tt.amount, more, out)
		}
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"1,250", "-lang", "fr"}, "deux façons"},
		{[]string{"1.250"}, "two ways"},
		{[]string{"1.250,00"}, "two ways"},
		{[]string{"25.555"}, "two ways"},
		{[]string{"25.5555"}, "two digits"},
		{[]string{"-25"}, "negative"},
		{[]string{"1e3"}, "amount in dollars"},
		{[]string{"25", "-lang", "de"}, "-lang must be en or fr"},
		{[]string{"0"}, "positive"},
	} {
		_, err := offline(tt.args[0], tt.args[1:]...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: %v; want a usage error saying %q", tt.args, err, tt.says)
		}
	}
	if c, _ := store.Campaign(ctx, "autumn-2026"); c.OfflineCents != total {
		t.Fatalf("a refused amount changed the total: %d, want %d", c.OfflineCents, total)
	}
	for _, bad := range [][]string{{"-goal", "1,250", "-lang", "fr"}, {"-goal", "100", "-min", "0.505"}, {"-goal", "100", "-max", "10.000"},
		{"-goal", "100", "-counter-shards", "0"}, {"-goal", "100", "-counter-shards", "1001"}} {
		args := append([]string{"campaign", "create", "-slug", "winter-2026", "-title-en", "W", "-title-fr", "H"}, bad...)
		if _, err := run(args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := store.Campaign(ctx, "winter-2026"); !errors.Is(err, campaign.ErrNotFound) {
		t.Fatalf("a refused campaign was created: %v", err)
	}
}

// onTable returns a fresh table's store and a function that runs a staff command on it.
func onTable(t *testing.T) (*dynamo.Store, func(args ...string) (string, error)) {
	t.Helper()
	return onTableAt(t, nil)
}

// onTableAt is onTable with the commands' clock set (nil: the real one).
func onTableAt(t *testing.T, now func() time.Time) (*dynamo.Store, func(args ...string) (string, error)) {
	t.Helper()
	env := emulator.Get(t)
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(env.DB(), table)
	return store, func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), store, Sources{DB: env.DB(), Table: table, Now: now}, args, &out)
		return out.String(), err
	}
}

func TestCommandsOnTheTable(t *testing.T) {
	ctx := context.Background()
	store, run := onTable(t)
	if _, err := run("campaign", "create", "-slug", "spring-2025", "-title-en", "Spring appeal", "-title-fr", "Campagne du printemps", "-goal", "50,000"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("campaign", "create", "-slug", "spring-2025", "-title-en", "x", "-title-fr", "y", "-goal", "1"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second create: %v", err)
	}
	for i := 0; i < 2; i++ { // the same cheque twice counts once
		out, err := run("offline", "add", "-campaign", "spring-2025", "-amount", "250.00", "-method", "cheque", "-received-on", "2026-11-20", "-id", "cheque-1042")
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && !strings.Contains(out, "nothing changed") {
			t.Fatalf("second add said %q", out)
		}
	}
	if _, err := run("offline", "add", "-campaign", "spring-2025", "-amount", "40", "-method", "cash", "-received-on", "2026-11-21"); err != nil {
		t.Fatal(err)
	}
	c, err := store.Campaign(ctx, "spring-2025")
	if err != nil || c.OfflineCents != 29000 || c.GoalCents != 5_000_000 || c.RaisedCents() != 29000 || c.MinCents != 100 {
		t.Fatalf("campaign %+v %v", c, err)
	}
	out, err := run("campaign", "show", "-slug", "spring-2025", "-lang", "fr")
	if err != nil || !strings.Contains(out, `"title": "Campagne du printemps"`) || !strings.Contains(out, `"raised_cents": 29000`) {
		t.Fatalf("show: %s %v", out, err)
	}
	bad := [][]string{
		{"offline", "add", "-campaign", "nope", "-amount", "1", "-method", "cash", "-received-on", "2026-11-21"},
		{"offline", "add", "-campaign", "spring-2025", "-amount", "0", "-method", "cash", "-received-on", "2026-11-21"},
		{"offline", "add", "-campaign", "spring-2025", "-amount", "1", "-method", "bitcoin", "-received-on", "2026-11-21"},
		{"offline", "add", "-campaign", "spring-2025", "-amount", "1", "-method", "cash", "-received-on", "yesterday"},
		{"campaign", "create", "-slug", "Bad Slug", "-title-en", "x", "-title-fr", "y", "-goal", "1"},
		{"campaign", "delete"},
		{"campaign"},
	}
	for _, args := range bad {
		if _, err := run(args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
	if _, err := run("campaign", "explode"); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown command: %v", err)
	}
	if c2, _ := store.Campaign(ctx, "spring-2025"); c2.OfflineCents != 29000 {
		t.Fatalf("a refused command changed the total: %d", c2.OfflineCents)
	}
}
