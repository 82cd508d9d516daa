package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/suppression"
)

// TestOrganizersBroadcastPath walks the README's path through the staff tool's own
// commands, on moto: create from two Markdown files (refused for an audience naming a
// branch or a campaign that does not exist), preview (both languages, the count
// by language), test to the organizer's address (and a refusal, not "sent", for a
// suppressed one), send (refused without -confirm, and over BROADCAST_CONFIRM_ABOVE
// without -confirm-large), the sender started through the queue message and an
// unsubscribe arriving after queueing honoured, report, a second send queueing no one,
// and cancel (refused once sent; a draft cancelled).
func TestOrganizersBroadcastPath(t *testing.T) {
	bs := newBCSystem(t, faults.Rates{}, 1)
	people := bcPeople("org", 9, 2, 2, 2) // 3 English, 3 French, 3 without a language
	bs.seedStates(t, people)
	bs.turnAway(t, people)
	made := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	late := people[0] // unsubscribes after queueing, before the sender reaches them
	var posted []staff.BroadcastMessage
	src := staff.Sources{Mailer: &bs.m, Now: func() time.Time { return made }, User: func() string { return "ana" },
		BroadcastQueue: func(ctx context.Context, body string) error {
			var m staff.BroadcastMessage
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				return err
			}
			posted = append(posted, m)
			rec := consent.Grant(late.email, late.lang, "unsubscribe_link", "test", consent.Origin{}, made)
			rec.Granted = false
			if _, err := bs.store.Withdraw(ctx, rec); err != nil {
				return err
			}
			bs.runUntilDone(t, bs.sender(50), m.Broadcast)
			return nil
		}}
	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := staff.Run(context.Background(), bs.store, src, args, &out)
		return out.String(), err
	}
	dir := t.TempDir()
	en, fr := filepath.Join(dir, "rally-en.md"), filepath.Join(dir, "rally-fr.md")
	for path, body := range map[string]string{
		en: "# Rally on Saturday\n\nJoin us at **noon** at [the square](https://example.org/rally).\n",
		fr: "# Manifestation samedi\n\nRejoignez-nous à **midi** sur [la place](https://example.org/manif).\n",
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A typo in the audience would reach no one: refused at create.
	for spec, want := range map[string]string{"branches:nowhere": `there is no branch "nowhere"`, "donors:nope": `there is no campaign "nope"`} {
		if out, err := run("broadcast", "create", "-en", en, "-fr", fr, "-audience", spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("create for %s: %v\n%s", spec, err, out)
		}
	}
	out, err := run("broadcast", "create", "-en", en, "-fr", fr, "-audience", "news")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	id := strings.TrimSpace(out)

	out, err = run("broadcast", "preview", "-id", id)
	for _, want := range []string{"Subject: Rally on Saturday", "Subject: Manifestation samedi", "the square (https://example.org/rally)",
		"\n9 people\n", "English  3\n", "French   3\n", "both (no language known)  3\n", "created by ana on 2026-11-20"} {
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("preview lacks %q (%v):\n%s", want, err, out)
		}
	}

	out, err = run("broadcast", "test", "-id", id, "-to", "organizer@example.org")
	if err != nil || strings.Count(out, "marked [TEST]") != 2 {
		t.Fatalf("test: %v\n%s", err, out)
	}
	sent := sentByAddress(t, bs.env.Moto.URL)["organizer@example.org"]
	if len(sent) != 2 || sent[0].Subject+"|"+sent[1].Subject != "[TEST] Rally on Saturday|[TEST] Manifestation samedi" {
		t.Fatalf("the tests in moto: %+v", sent)
	}
	for _, m := range sent { // no working unsubscribe link: its undo would sign the address up
		if strings.Contains(m.Body, "token=") || !strings.Contains(m.Body, "A test") && !strings.Contains(m.Body, "Un test") {
			t.Fatalf("a test email's unsubscribe line: %s", m.Body)
		}
	}
	if _, err := bs.store.Suppress(context.Background(), suppression.Record{Address: "bounced@example.org", Reason: suppression.ReasonBounce, MessageID: "m", At: made}); err != nil {
		t.Fatal(err)
	}
	if out, err := run("broadcast", "test", "-id", id, "-to", "bounced@example.org"); err == nil || strings.Contains(out, "sent the") ||
		!strings.Contains(err.Error(), "suppression list") {
		t.Fatalf("a test to a suppressed address: %v\n%s", err, out)
	}
	if n := len(sentByAddress(t, bs.env.Moto.URL)["bounced@example.org"]); n != 0 {
		t.Fatalf("%d sent to the suppressed address", n)
	}
	bs.ses.reset()

	if _, err := run("broadcast", "send", "-id", id); err == nil || !strings.Contains(err.Error(), "-confirm is required") {
		t.Fatalf("send without -confirm: %v", err)
	}
	t.Setenv("BROADCAST_CONFIRM_ABOVE", "5")
	if _, err := run("broadcast", "send", "-id", id, "-confirm"); err == nil || !strings.Contains(err.Error(), "add -confirm-large 9") {
		t.Fatalf("send over the limit: %v", err)
	}
	if _, err := run("broadcast", "send", "-id", id, "-confirm", "-confirm-large", "8"); err == nil || !strings.Contains(err.Error(), "add -confirm-large 9") {
		t.Fatalf("send with the wrong size: %v", err)
	}
	if len(posted) != 0 || bs.ses.total() != 0 {
		t.Fatalf("refused sends reached the sender: %v, %d sent", posted, bs.ses.total())
	}
	out, err = run("broadcast", "send", "-id", id, "-confirm", "-confirm-large", "9")
	if err != nil || !strings.Contains(out, "queued 9 emails (0 were queued already)") || len(posted) != 1 || posted[0].Broadcast != id {
		t.Fatalf("send: %v %v\n%s", err, posted, out)
	}
	// The 9 queued: 8 sent once each in their language, the late one skipped; the 6
	// turned away before (never subscribed, unsubscribed, bounced) were never queued.
	queued := append([]bcPerson{{email: late.email, lang: late.lang, state: "unsubscribed"}}, people[1:9]...)
	bs.checkSentOnce(t, id, queued)
	moto := sentByAddress(t, bs.env.Moto.URL)
	for _, p := range people[9:] {
		if p.state == "subscribed" || bs.ses.sends(p.email) != 0 || len(moto[p.email]) != 0 {
			t.Fatalf("%+v: %d sent", p, bs.ses.sends(p.email))
		}
	}

	out, err = run("broadcast", "report", "-id", id)
	for _, want := range []string{"sent, audience news", "queued ", "skipped: unsubscribed 1"} {
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("report lacks %q (%v):\n%s", want, err, out)
		}
	}
	if row := reportRow(out, "sent"); row != "8 2 3 3" { // all, English, French, both
		t.Fatalf("report's sent row %q:\n%s", row, out)
	}
	if _, err := run("broadcast", "send", "-id", id, "-confirm", "-confirm-large", "8"); err == nil || !strings.Contains(err.Error(), "nothing more to send") {
		t.Fatalf("sent again: %v", err)
	}
	if _, err := run("broadcast", "cancel", "-id", id); err == nil || !strings.Contains(err.Error(), "is sent already") {
		t.Fatalf("cancel once sent: %v", err)
	}

	out, err = run("broadcast", "create", "-en", en, "-fr", fr, "-audience", "news")
	if err != nil {
		t.Fatal(err)
	}
	draft := strings.TrimSpace(out)
	if out, err := run("broadcast", "cancel", "-id", draft); err != nil || !strings.Contains(out, "cancelled broadcast "+draft) {
		t.Fatalf("cancel a draft: %v\n%s", err, out)
	}
	if _, err := run("broadcast", "send", "-id", draft, "-confirm", "-confirm-large", "8"); err == nil || !strings.Contains(err.Error(), "is cancelled") {
		t.Fatalf("send a cancelled one: %v", err)
	}
	if got := bs.ses.total(); got != 8 {
		t.Fatalf("%d sent in all, want the 8 still subscribed", got)
	}
}

// reportRow is a row of broadcast report's table, its figures joined by single spaces.
func reportRow(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == name {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}
