// Package webforms holds the forms of web/ rendered for an organization, in English and
// in French: each page (*.html) is one html/template, written once with each text in both
// languages ({{t "First name" "Prénom"}}), and rendered once per language — index.html in
// English, index.fr.html in French — each showing its language only, with a link to the
// other. With the shared parts of the *.tmpl files, a page names the organization in its
// title and header and ends with its identification (name, mailing address, contact,
// website, privacy policy) in the page's language, with its logo and accent colour. The
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
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"

	"github.com/solidarity/solidarity/shared/donation"
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
// index.html), and lets the browser's language pick the first page: a GET of "/" or of an
// English page ("/join.html") that has a French one goes to it (302 to
// "/join.fr.html", the query kept) when the request prefers French (Accept-Language)
// and made no choice of its own. A link followed from one of the forms' pages (a Referer
// on the same host: the language switch, a link between forms) is a choice, and so is
// "?lang=en" or "?lang=fr".
func (f Files) Handler() http.Handler {
	m := fstest.MapFS{}
	for n, b := range f {
		m[n] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	static := http.FileServerFS(m)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := strings.TrimPrefix(r.URL.Path, "/")
		if page == "" {
			page = "index.html"
		}
		fr := FileName(page, i18n.FR)
		if _, ok := f[fr]; !ok || page == fr || strings.Contains(page, "/") || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			static.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Language, Referer")
		accept := r.Header.Get("Accept-Language")
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host != "" && ref.Host == r.Host {
			accept = "" // a link followed on the forms' own site
		}
		if i18n.Negotiate(r.URL.Query().Get("lang"), accept) == i18n.FR {
			to := "/" + fr
			if r.URL.RawQuery != "" {
				to += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		static.ServeHTTP(w, r)
	})
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

// Page is what a page's template is given: one language's page. The template says each
// text in both languages, {{t "First name" "Prénom"}}, and the page shows the one of its
// language; {{page "join.html"}} is the file of another form in the page's language.
type Page struct {
	Org    organization.Identity
	Lang   i18n.Lang // the page's language: <html lang>, and the form's language field
	Name   string    // the organization's name in Lang
	Footer Footer    // the organization's identification in Lang
	Accent string    // the accent colour, #rrggbb
	Switch Link      // the same page in the other language
	Fees   Fees      // the card fees a donor may cover, in Lang (DefaultFees unless RenderFees)
}

// Link is a link to a page in a language.
type Link struct {
	Href  string    // the link: the page's file, "index.fr.html", and ?lang=en to English
	File  string    // the page's file alone (its rel=alternate)
	Lang  i18n.Lang // the language of the page and of Label
	Label string    // the language's own name: "Français", "English"
}

// Footer is the organization's identification in one language.
type Footer struct{ Name, Address, Email, Phone, Website, Privacy string }

// Langs are the languages each page is rendered in, English first.
var Langs = []i18n.Lang{i18n.EN, i18n.FR}

// FileName is the file of page ("join.html") in lang: the page's own name in English,
// "join.fr.html" in French. The files stay in one folder, so a page's links to its
// stylesheet and script are the same in both.
func FileName(page string, lang i18n.Lang) string {
	if lang == i18n.EN {
		return page
	}
	return strings.TrimSuffix(page, ".html") + "." + string(lang) + ".html"
}

// other is the language that is not lang, and its name as it writes it.
func other(lang i18n.Lang) (i18n.Lang, string) {
	if lang == i18n.FR {
		return i18n.EN, "English"
	}
	return i18n.FR, "Français"
}

// NewPage is the data of page ("index.html") in lang for id.
func NewPage(id organization.Identity, page string, lang i18n.Lang) Page {
	o, label := other(lang)
	href := FileName(page, o)
	if o == i18n.EN {
		href += "?lang=en" // the choice sticks where the host picks by the browser's language, Referer or not
	}
	return Page{
		Org: id, Lang: lang, Name: id.Name.In(lang), Accent: id.Accent(),
		Footer: Footer{Name: id.Name.In(lang), Address: id.MailingAddress.In(lang), Email: id.Email,
			Phone: id.Phone, Website: id.Website.In(lang), Privacy: id.PrivacyURL.In(lang)},
		Switch: Link{Href: href, File: FileName(page, o), Lang: o, Label: label},
		Fees:   NewFees(DefaultFees, lang),
	}
}

// Render renders the forms of src (the web/ folder) for id, which must be a complete
// identity (organization.Identity.Check): every *.html page executed with the *.tmpl
// parts once per language (index.html and index.fr.html), every other file but the
// *.tmpl as it is. Files in subfolders are not forms and are left out.
func Render(src fs.FS, id organization.Identity) (Files, error) {
	return renderFees(src, id, DefaultFees)
}

func renderFees(src fs.FS, id organization.Identity, fees donation.Fees) (Files, error) {
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
	pages := map[string]bool{}
	for _, e := range entries {
		if name := e.Name(); !e.IsDir() && path.Ext(name) == ".html" {
			pages[name] = true
		}
	}
	for name := range pages {
		for _, lang := range Langs[1:] {
			if base := strings.TrimSuffix(name, "."+string(lang)+".html"); base != name {
				return nil, fmt.Errorf("webforms: %s: write each page once, with {{t \"English\" \"Français\"}} texts; its %s file is rendered from %s.html", name, lang, base)
			}
		}
	}
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
		if !pages[name] {
			out[name] = b
			continue
		}
		for _, lang := range Langs {
			data := NewPage(id, name, lang)
			data.Fees = NewFees(fees, lang)
			page, err := renderPage(src, name, b, parts, pages, data)
			if err != nil {
				return nil, err
			}
			out[FileName(name, lang)] = page
		}
	}
	if len(out) == 0 {
		return nil, errors.New("webforms: no forms in the folder")
	}
	return out, nil
}

// funcs are the template functions of a page in lang: t picks the text of the page's
// language, page names another form's file in that language (a form that is not in the
// folder is an error, not a dead link).
func funcs(lang i18n.Lang, pages map[string]bool) template.FuncMap {
	return template.FuncMap{
		"t": func(en, fr string) string {
			if lang == i18n.FR {
				return fr
			}
			return en
		},
		"page": func(name string) (string, error) {
			if !pages[name] {
				return "", fmt.Errorf("no page %s", name)
			}
			return FileName(name, lang), nil
		},
	}
}

func renderPage(src fs.FS, name string, page []byte, parts []string, pages map[string]bool, data Page) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs(data.Lang, pages)).Parse(string(page))
	if err == nil && len(parts) > 0 {
		t, err = t.ParseFS(src, parts...)
	}
	if err != nil {
		return nil, fmt.Errorf("webforms: %w", err)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("webforms: %s: %w", FileName(name, data.Lang), err)
	}
	return buf.Bytes(), nil
}
