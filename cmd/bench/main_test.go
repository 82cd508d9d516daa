package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFigures: the figures replace what is between a page's markers and nothing
// else; a page without them is an error, and is left as it was.
func TestWriteFigures(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "README.md")
	before := "# Title\n\n" + start + "\nold table\n" + end + "\n\n## Next\n"
	if err := os.WriteFile(page, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFigures(page, "| new | table |\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(page)
	if want := "# Title\n\n" + start + "\n| new | table |\n" + end + "\n\n## Next\n"; string(b) != want {
		t.Errorf("page:\n%s\nwant:\n%s", b, want)
	}
	bare := filepath.Join(dir, "bare.md")
	if err := os.WriteFile(bare, []byte("no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFigures(bare, "x"); err == nil || !strings.Contains(err.Error(), start) {
		t.Errorf("a page without markers: %v", err)
	}
	if b, _ := os.ReadFile(bare); string(b) != "no markers\n" {
		t.Errorf("the page changed: %q", b)
	}
}

// TestHotAppealTable reads the benchmark's lines as go test prints them.
func TestHotAppealTable(t *testing.T) {
	out := "BenchmarkHotAppeal/shards=1/rate=50-2   1  9000 ns/op  55.00 5xx  790.0 conflicts/1000  120.0 p50-ms  900.0 p99-ms  46.70 payments/s  1500 retries/1000\n" +
		"BenchmarkHotAppeal/shards=200/rate=50-2 1  9000 ns/op  0 5xx  5.000 conflicts/1000  20.00 p50-ms  80.00 p99-ms  48.30 payments/s  5.000 retries/1000\n"
	got := hotAppealTable(out)
	for _, row := range []string{"| before: one item | 1 | 50 | 46.70 | 790.0 | 1500 | 120.0 | 900.0 | 55.00 | yes |",
		"| after: spread | 200 | 50 | 48.30 | 5.000 | 5.000 | 20.00 | 80.00 | 0 | yes |"} {
		if !strings.Contains(got, row) {
			t.Errorf("no row %q in\n%s", row, got)
		}
	}
}

// TestColdPattern reads the cold-start lines as the benchmark prints them.
func TestColdPattern(t *testing.T) {
	out := "BenchmarkColdStart/stripe-webhook-2 \t      25\t 113524813 ns/op\t        31.96 hello-ms-median\t        64.93 ms-median\t         2.032 x-hello\n" +
		"BenchmarkColdStart/campaign-read-2  \t      25\t 88742013 ns/op\t        25.68 hello-ms-median\t        53.27 ms-median\t         2.075 x-hello\n"
	cold := parse(out, coldPattern)
	if m := cold["stripe-webhook"]; len(m) != 3 || m[0] != "31.96" || m[1] != "64.93" || m[2] != "2.032" {
		t.Errorf("stripe-webhook: %q", m)
	}
	if m := cold["campaign-read"]; len(m) != 3 || m[1] != "53.27" {
		t.Errorf("campaign-read: %q", m)
	}
}
