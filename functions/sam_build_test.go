package functions_test

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/solidarity/solidarity/shared/emulator"
)

// TestSAMBuildTargets runs the Makefile targets SAM calls (BuildMethod: makefile) and
// checks each writes a stripped arm64 Linux bootstrap into ARTIFACTS_DIR.
func TestSAMBuildTargets(t *testing.T) {
	for _, id := range []string{"DonateFunction", "CampaignFunction", "StripeWebhookFunction", "MailerFunction"} {
		t.Run(id, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("make", "--no-print-directory", "build-"+id, "ARTIFACTS_DIR="+dir)
			cmd.Dir = emulator.Root()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
			f, err := elf.Open(filepath.Join(dir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
				t.Fatalf("machine %v, OS ABI %v", f.Machine, f.OSABI)
			}
			if f.Section(".symtab") != nil {
				t.Fatal("not stripped: -ldflags='-s -w' missing")
			}
		})
	}
}
