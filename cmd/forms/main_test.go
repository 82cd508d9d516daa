package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webforms"
)

var src = filepath.Join("..", "..", "web")

// TestWritesTheRenderedForms: the command writes exactly the forms webforms renders with
// infra/organization.json, file for file and byte for byte — each form in English and in
// French (index.html, index.fr.html) — and lists them.
func TestWritesTheRenderedForms(t *testing.T) {
	want, err := webforms.Render(os.DirFS(src), organization.Default())
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist", "web")
	var listed strings.Builder
	if err := run([]string{"-src", src, "-out", out}, &listed); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Fatalf("wrote %d files, want %d", len(entries), len(want))
	}
	for _, n := range want.Names() {
		b, err := os.ReadFile(filepath.Join(out, n))
		if err != nil || string(b) != string(want[n]) {
			t.Errorf("%s differs from the rendered form (%v)", n, err)
		}
		if !strings.Contains(listed.String(), filepath.Join(out, n)+"\n") {
			t.Errorf("%s not listed: %s", n, listed.String())
		}
	}
	org := organization.Default()
	for file, name := range map[string]string{"index.html": org.Name.EN, "index.fr.html": org.Name.FR, "join.fr.html": org.Name.FR} {
		if !strings.Contains(string(want[file]), name) {
			t.Errorf("%s does not say %s", file, name)
		}
	}
	if len(want) != 10 {
		t.Errorf("%d files, want the four forms in English and in French, forms.css and forms.js: %v", len(want), want.Names())
	}
}

// TestRefuses: without -out, with a stray argument, or over the templates themselves,
// the command writes nothing.
func TestRefuses(t *testing.T) {
	before, err := os.ReadFile(filepath.Join(src, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"no -out":        {"-src", src},
		"stray argument": {"-src", src, "-out", t.TempDir(), "extra"},
		"over web/":      {"-src", src, "-out", src},
		"over web/, too": {"-src", src, "-out", src + string(filepath.Separator)},
		"no templates":   {"-src", filepath.Join(t.TempDir(), "missing"), "-out", filepath.Join(t.TempDir(), "o")},
	} {
		var out strings.Builder
		if err := run(args, &out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	after, _ := os.ReadFile(filepath.Join(src, "index.html"))
	if string(after) != string(before) {
		t.Fatal("web/index.html was overwritten")
	}
}
