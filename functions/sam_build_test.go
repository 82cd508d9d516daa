package functions_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// serverlessFunctions are the logical ids of template.yaml's functions.
func serverlessFunctions(t *testing.T) []string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(emulator.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`(?m)^  (\w+):\n    Type: AWS::Serverless::Function$`).FindAllSubmatch(tmpl, -1) {
		ids = append(ids, string(m[1]))
	}
	if len(ids) != len(functions) {
		t.Fatalf("template.yaml has functions %v; the tests know %v", ids, functions)
	}
	return ids
}

// TestSAMBuildTargets runs the Makefile targets SAM calls (BuildMethod: makefile) for each
// function of template.yaml and checks each writes a stripped arm64 Linux bootstrap into
// ARTIFACTS_DIR.
func TestSAMBuildTargets(t *testing.T) {
	for _, id := range serverlessFunctions(t) {
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
