package staff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/broadcast"
)

// TestBroadcastSendAgainOnlyWithinItsTime: a broadcast still being sent can be sent again
// (to resume it) until ResendWithin after its making; later, when the emails it sent
// are being forgotten, a send is refused, since it could reach people a second time.
func TestBroadcastSendAgainOnlyWithinItsTime(t *testing.T) {
	made := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	clock := made
	store, run := onTableAt(t, func() time.Time { return clock })
	dir := t.TempDir()
	for name, body := range map[string]string{"en.md": "# Rally Saturday\n\nJoin us.\n", "fr.md": "# Manifestation samedi\n\nJoignez-vous à nous.\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run("broadcast", "create", "-en", filepath.Join(dir, "en.md"), "-fr", filepath.Join(dir, "fr.md"), "-audience", "news")
	if err != nil {
		t.Fatalf("create: %v %s", err, out)
	}
	id := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if err := store.SetBroadcastState(context.Background(), id, broadcast.StateDraft, broadcast.StateSending); err != nil {
		t.Fatalf("%q: %v", id, err)
	}

	clock = made.Add(ResendWithin - time.Hour)
	if out, err := run("broadcast", "send", "-id", id, "-confirm"); err != nil && strings.Contains(err.Error(), "days ago") {
		t.Fatalf("within its time: %v %s", err, out)
	}
	clock = made.Add(ResendWithin + time.Hour)
	if _, err := run("broadcast", "send", "-id", id, "-confirm"); err == nil || !strings.Contains(err.Error(), "over 25 days ago") ||
		!strings.Contains(err.Error(), "2026-11-02") {
		t.Fatalf("after its time: %v", err)
	}
}
