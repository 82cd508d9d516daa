// Package webforms holds the forms of web/ rendered for an organization: each page
// (*.html) is an html/template that, with the shared parts of the *.tmpl files, names the
// organization in its title and header and ends with its identification (name, mailing
// address, contact, website) in both languages, with its logo and accent colour. The
// names are in the HTML itself, so the forms work without JavaScript. The other files
// (forms.css, forms.js) are copied as they are. `go run ./cmd/forms` writes the rendered
// forms for a deployer to upload; the local system serves them from memory.
package webforms

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// Files are the rendered forms by name ("index.html", "forms.css").
type Files map[string][]byte

// Names are the file names, sorted.
func (f Files) Names() []string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Handler serves the files as a static site, as http.FileServer does a folder ("/" is
// index.html).
func (f Files) Handler() http.Handler {
	m := fstest.MapFS{}
	for n, b := range f {
		m[n] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	return http.FileServerFS(m)
}

// Write writes the files into dir, creating it if need be (files already there with
// other names are left alone).
func (f Files) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range f.Names() {
		if err := os.WriteFile(filepath.Join(dir, n), f[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Page is what a page's template is given.
type Page struct {
	Org     organization.Identity
	Names   []Text   // the name in each language, or once when both are the same
	Footers []Footer // the identification in each language, or once when both are the same
	Accent  string   // the accent colour, #rrggbb
}

// Text is a text and its language ("" when it stands for both).
type Text struct{ Lang, Text string }

// Footer is the organization's identification in one language ("" when it stands for
// both).
type Footer struct{ Lang, Name, Address, Email, Phone, Website string }

// NewPage is the page data for id.
func NewPage(id organization.Identity) Page {
	p := Page{Org: id, Accent: id.Accent()}
	if id.Name.EN == id.Name.FR {
		p.Names = []Text{{Text: id.Name.EN}}
	} else {
		p.Names = []Text{{"en", id.Name.EN}, {"fr", id.Name.FR}}
	}
	footer := func(lang i18n.Lang, attr string) Footer {
		return Footer{Lang: attr, Name: id.Name.In(lang), Address: id.MailingAddress.In(lang),
			Email: id.Email, Phone: id.Phone, Website: id.Website.In(lang)}
	}
	en, fr := footer(i18n.EN, "en"), footer(i18n.FR, "fr")
	if en.Name == fr.Name && en.Address == fr.Address && en.Website == fr.Website {
		en.Lang = ""
		p.Footers = []Footer{en}
	} else {
		p.Footers = []Footer{en, fr}
	}
	return p
}

// Render renders the forms of src (the web/ folder) for id, which must be a complete
// identity (organization.Identity.Check): every *.html page executed with the *.tmpl
// parts, every other file but the *.tmpl as it is. Files in subfolders are not forms
// and are left out.
func Render(src fs.FS, id organization.Identity) (Files, error) {
	if err := id.Check(); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	parts, err := fs.Glob(src, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	data := NewPage(id)
	out := Files{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || path.Ext(name) == ".tmpl" {
			continue
		}
		b, err := fs.ReadFile(src, name)
		if err != nil {
			return nil, fmt.Errorf("webforms: %w", err)
		}
		if path.Ext(name) == ".html" {
			if b, err = renderPage(src, name, b, parts, data); err != nil {
				return nil, err
			}
		}
		out[name] = b
	}
	if len(out) == 0 {
		return nil, errors.New("webforms: no forms in the folder")
	}
	return out, nil
}

func renderPage(src fs.FS, name string, page []byte, parts []string, data Page) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(string(page))
	if err == nil && len(parts) > 0 {
		t, err = t.ParseFS(src, parts...)
	}
	if err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	return buf.Bytes(), nil
}
