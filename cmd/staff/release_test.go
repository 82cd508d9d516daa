package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// TestMakeStaffBuildsForEverySystem: `make staff` writes the staff tool for Linux, Intel
// and Apple Macs and Windows — each an executable of its system (ELF, Mach-O, PE), named
// for its version and system, listed with its SHA-256 in SHA256SUMS — and the one for
// this machine says its version.
func TestMakeStaffBuildsForEverySystem(t *testing.T) {
	dist := t.TempDir()
	const v = "v1.2.3-test"
	cmd := exec.Command("make", "--no-print-directory", "staff", "VERSION="+v, "STAFF_DIST="+dist)
	cmd.Dir = emulator.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make staff: %v\n%s", err, out)
	}
	magic := map[string][]byte{
		"linux-amd64":       {0x7f, 'E', 'L', 'F'},
		"darwin-amd64":      {0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64-bit, little-endian
		"darwin-arm64":      {0xcf, 0xfa, 0xed, 0xfe},
		"windows-amd64.exe": {'M', 'Z'},
	}
	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	for system, want := range magic {
		name := "staff-" + v + "-" + system
		b, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Errorf("no %s: %v", name, err)
			continue
		}
		if !bytes.HasPrefix(b, want) {
			t.Errorf("%s is not an executable of its system: starts % x", name, b[:min(8, len(b))])
		}
		sum := sha256.Sum256(b)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+name+"\n") {
			t.Errorf("SHA256SUMS has no line for %s:\n%s", name, sums)
		}
	}
	if entries, _ := os.ReadDir(dist); len(entries) != len(magic)+1 {
		t.Errorf("%d files in dist, want the %d systems' and SHA256SUMS", len(entries), len(magic))
	}
	// The build for this machine says its version.
	native := runtime.GOOS + "-" + runtime.GOARCH
	if runtime.GOOS == "windows" {
		native += ".exe"
	}
	if _, ok := magic[native]; !ok {
		t.Fatalf("make staff builds nothing for this machine (%s)", native)
	}
	out, err := exec.Command(filepath.Join(dist, "staff-"+v+"-"+native), "version").Output()
	if want := "staff " + v + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")\n"; err != nil || string(out) != want {
		t.Fatalf("staff version: %q %v, want %q", out, err, want)
	}
}
