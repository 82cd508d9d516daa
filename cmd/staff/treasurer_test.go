package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// TestTreasurersPath is the README's path for a treasurer, with the built tool alone (no
// Go, no clone, no AWS setting but the profile their administrator gave them and the
// stack's name): the profile in ~/.aws (here it points at moto, as endpoint_url), then
// SOLIDARITY_STACK, then a campaign and a cheque, a mistyped cheque voided, the donations
// in dollars, and the appeal's picture — in French,
// for a computer set to French, in the zone it is set to.
func TestTreasurersPath(t *testing.T) {
	env := emulator.Get(t)
	stack, _ := stackWithTable(t, env)
	home := t.TempDir()
	awsDir := filepath.Join(home, ".aws")
	if err := os.MkdirAll(awsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(awsDir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("config", "[profile solidarity]\nregion = ca-central-1\nendpoint_url = "+env.Moto.URL+"\n")
	write("credentials", "[solidarity]\naws_access_key_id = AKIDTREASURER\naws_secret_access_key = test\n")
	shell := map[string]string{"HOME": home, "AWS_CONFIG_FILE": filepath.Join(awsDir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(awsDir, "credentials"),
		"AWS_PROFILE":                 "solidarity", "SOLIDARITY_STACK": stack, "LANG": "fr_CA.UTF-8", "TZ": "America/Toronto"}
	staffDo := func(args ...string) string {
		t.Helper()
		code, out, errs := runStaff(t, shell, args...)
		if code != 0 {
			t.Fatalf("staff %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}

	if out := staffDo("version"); !strings.HasPrefix(out, "staff ") {
		t.Fatalf("staff version: %q", out)
	}
	staffDo("campaign", "create", "-slug", "appel-hiver", "-title-en", "Winter appeal", "-title-fr", "Campagne d’hiver", "-goal", "1000.00")
	staffDo("offline", "add", "-campaign", "appel-hiver", "-amount", "250.00", "-method", "cheque", "-received-on", "2026-11-20", "-id", "cheque-1042")
	// A second cheque typed wrongly, voided: out of the totals, kept in the donations.
	staffDo("offline", "add", "-campaign", "appel-hiver", "-amount", "2500.00", "-method", "cheque", "-received-on", "2026-11-21", "-id", "cheque-1043")
	staffDo("offline", "void", "-id", "cheque-1043", "-reason", "typed 2500 for 25", "-by", "Trésorière")
	csvFile := filepath.Join(t.TempDir(), "dons.csv")
	staffDo("report", "donations", "-live", "-o", csvFile)
	if b, err := os.ReadFile(csvFile); err != nil || !strings.Contains(string(b), "2\u00a0500,00\u00a0$") || !strings.Contains(string(b), "typed 2500 for 25") {
		t.Errorf("the donations in French, the voided cheque among them: %v\n%s", err, b)
	}
	page := filepath.Join(t.TempDir(), "appel.html")
	staffDo("report", "appeal", "-live", "-campaign", "appel-hiver", "-format", "html", "-o", page)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{`lang="fr"`, "Campagne d’hiver", "250,00\u00a0$ recueillis sur 1\u00a0000,00\u00a0$"} {
		if !strings.Contains(html, want) {
			t.Errorf("the appeal's page has no %q:\n%.3000s", want, html)
		}
	}
}
