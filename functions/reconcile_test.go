package functions_test

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"
)

// TestReconcileUnderTheEmulator invokes the reconcile bootstrap with a recorded schedule
// event against stripe-mock (strict about the list requests it is sent) and moto: it
// reads Stripe's events and charges of the last three days through the stack's Stripe
// key and answers with its summary. stripe-mock's fixtures are no payment of ours: its
// charge is "not ours", and nothing differs.
func TestReconcileUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	out := startRIE(t, filepath.Join(bootstraps(t), "reconcile", "bootstrap"), s.vars).invoke(t, recorded(t, "schedule.json"))
	var summary string
	if err := json.Unmarshal(out, &summary); err != nil {
		t.Fatalf("reconcile answered %s", out)
	}
	if !regexp.MustCompile(`^reconcile \S+ to \S+: \d+ events: 0 applied, .*; [1-9]\d* charges: 0 compared, [1-9]\d* not ours, 0 unpaid; 0 differences$`).MatchString(summary) {
		t.Fatalf("summary %q", summary)
	}
}
