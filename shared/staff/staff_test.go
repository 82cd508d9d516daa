package staff

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

func TestParseDollars(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"250.00", 25000, true}, {"250", 25000, true}, {"90,000.00", 9000000, true}, {"0.05", 5, true},
		{"1.5", 0, false}, {"-5", 0, false}, {"abc", 0, false}, {"", 0, false}, {"1e3", 0, false}, {"10.005", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDollars(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDollars(%q) = %d, %v", tt.in, got, err)
		}
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
