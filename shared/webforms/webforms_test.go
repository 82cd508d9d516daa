package webforms

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/organization"
)

var web = os.DirFS(filepath.Join("..", "..", "web"))

var pages = []string{"index.html", "join.html", "manage.html", "subscribe.html"}

func render(t *testing.T, id organization.Identity) Files {
	t.Helper()
	f, err := Render(web, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var tags = regexp.MustCompile(`<[^>]*>`)

// part is the text of the first element named tag of page ("title", "header", "footer"),
// tags removed and entities decoded.
func part(t *testing.T, page []byte, tag string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<` + tag + `[ >].*?</` + tag + `>`).Find(page)
	if m == nil {
		t.Fatalf("no <%s> in\n%s", tag, page)
	}
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(string(m), " "))), " ")
}

// TestRenderOtherOrganization: every form, rendered for an organization that is not the
// sample, names it in both languages in its title and header, ends with its
// identification in both languages, shows its logo and colour, and says "Solidarity"
// nowhere (nor does any other file written).
func TestRenderOtherOrganization(t *testing.T) {
	f := render(t, otherorg.Identity)
	want := append(slices.Clone(pages), "forms.css", "forms.js")
	slices.Sort(want)
	if got := f.Names(); !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v (no layout.tmpl)", got, want)
	}
	for _, name := range pages {
		page := f[name]
		if title := part(t, page, "title"); !strings.Contains(title, "Fightback") || !strings.Contains(title, "Riposte ouvrière") {
			t.Errorf("%s: title %q", name, title)
		}
		if header := part(t, page, "header"); header != "Fightback · Riposte ouvrière" {
			t.Errorf("%s: header %q", name, header)
		}
		footer := part(t, page, "footer")
		for lang, words := range otherorg.Words() {
			for _, w := range words {
				if !strings.Contains(footer, w) {
					t.Errorf("%s: the footer lacks %s %q: %q", name, lang, w, footer)
				}
			}
		}
		for _, w := range []string{`<p lang="en">Fightback<br>`, `<p lang="fr">Riposte ouvrière<br>`,
			`<img class="logo" src="https://cdn.fightback.example/logo.png" alt="">`,
			`<style>:root{--accent:#1b5e20}</style>`, `<a href="mailto:contact@fightback.example">`,
			`<a href="https://riposte.example">`, `613-555-0142`} {
			if !strings.Contains(string(page), w) {
				t.Errorf("%s lacks %s", name, w)
			}
		}
	}
	for name, b := range f {
		for _, w := range []string{"Solidarity", "Solidarité", "{{", "8e0015"} {
			if name != "forms.css" || w != "8e0015" { // the stylesheet's fallback colour
				if strings.Contains(string(b), w) {
					t.Errorf("%s says %q", name, w)
				}
			}
		}
	}
	if title := part(t, f["join.html"], "title"); title != "Join Fightback · Adhérer à Riposte ouvrière" {
		t.Errorf("join.html: title %q", title)
	}
}

// TestRenderSample: with infra/organization.json (the sample, "Solidarity · Solidarité",
// unless the deployer changed it) the forms carry its names, its two footers and its
// colour.
func TestRenderSample(t *testing.T) {
	org := organization.Default()
	f := render(t, org)
	names := org.Name.EN + " · " + org.Name.FR
	if org.Name.EN == org.Name.FR {
		names = org.Name.EN
	}
	for _, name := range pages {
		page := f[name]
		if header := part(t, page, "header"); header != names {
			t.Errorf("%s: header %q", name, header)
		}
		if title := part(t, page, "title"); !strings.HasSuffix(title, names) && name != "join.html" {
			t.Errorf("%s: title %q", name, title)
		}
		footer := part(t, page, "footer")
		for _, w := range []string{org.Name.EN + " " + org.MailingAddress.EN, org.Name.FR + " " + org.MailingAddress.FR,
			org.Contact(), org.Website.FR} {
			if w = strings.Join(strings.Fields(w), " "); !strings.Contains(footer, w) {
				t.Errorf("%s: the footer lacks %q: %q", name, w, footer)
			}
		}
		if !strings.Contains(string(page), `--accent:`+org.Accent()) || strings.Contains(string(page), "<img") != (org.LogoURL != "") {
			t.Errorf("%s: colour or logo wrong", name)
		}
	}
	if title := part(t, f["join.html"], "title"); title != "Join "+org.Name.EN+" · Adhérer à "+org.Name.FR {
		t.Errorf("join.html: title %q", title)
	}
	css, err := os.ReadFile(filepath.Join("..", "..", "web", "forms.css"))
	if err != nil || string(f["forms.css"]) != string(css) {
		t.Errorf("forms.css is not copied as it is (%v)", err)
	}
}

// TestRenderOneName: an organization with one name for both languages is named once, and
// identified once when its address and website are the same in both.
func TestRenderOneName(t *testing.T) {
	id := otherorg.Identity
	id.Name = organization.Texts{EN: "Unifor Local 1", FR: "Unifor Local 1"}
	id.MailingAddress = organization.Texts{EN: "1 Main St, Ottawa ON", FR: "1 Main St, Ottawa ON"}
	id.Website = organization.Texts{EN: "https://unifor.example", FR: "https://unifor.example"}
	id.Phone = ""
	f := render(t, id)
	for _, name := range pages {
		page := f[name]
		if header := part(t, page, "header"); header != "Unifor Local 1" {
			t.Errorf("%s: header %q", name, header)
		}
		if footer := part(t, page, "footer"); footer != "Unifor Local 1 1 Main St, Ottawa ON contact@fightback.example https://unifor.example" {
			t.Errorf("%s: footer %q", name, footer)
		}
		if n := strings.Count(string(page), "<p lang="); n != 0 {
			t.Errorf("%s: %d footers in a language", name, n)
		}
	}
	if title := part(t, f["manage.html"], "title"); title != "Manage your subscription · Gérer votre abonnement — Unifor Local 1" {
		t.Errorf("manage.html: title %q", title)
	}
}

// TestRenderEscapes: a name is text, never markup, wherever the page shows it.
func TestRenderEscapes(t *testing.T) {
	id := otherorg.Identity
	id.Name = organization.Texts{EN: `Fight<script>alert(1)</script>"back`, FR: `Riposte & <b>co</b>`}
	f := render(t, id)
	for _, name := range pages {
		page := string(f[name])
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>co") {
			t.Errorf("%s: a name's markup came through", name)
		}
		if !strings.Contains(page, "Fight&lt;script&gt;alert(1)&lt;/script&gt;&#34;back") || !strings.Contains(page, "Riposte &amp; &lt;b&gt;co&lt;/b&gt;") {
			t.Errorf("%s: the names are not there, escaped", name)
		}
	}
}

// TestRenderRefuses: an incomplete identity, a page that names what a page is not
// given, or a folder without forms is an error, not a page with a hole in it.
func TestRenderRefuses(t *testing.T) {
	bad := otherorg.Identity
	bad.Name.FR = ""
	if _, err := Render(web, bad); err == nil || !strings.Contains(err.Error(), "name.fr is missing") {
		t.Errorf("no French name: %v", err)
	}
	if _, err := Render(web, organization.Identity{}); err == nil {
		t.Error("the zero identity was rendered")
	}
	for name, src := range map[string]fstest.MapFS{
		"unknown field":    {"a.html": {Data: []byte(`<p>{{.Org.Slogan}}</p>`)}},
		"unknown template": {"a.html": {Data: []byte(`{{template "nav" .}}`)}},
		"broken template":  {"a.html": {Data: []byte(`{{if}}`)}},
		"no forms":         {"sub/a.html": {Data: []byte(`x`)}},
	} {
		if _, err := Render(src, otherorg.Identity); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// TestHandler: the rendered forms are served as the folder was: "/" is the donation
// page, the stylesheet is CSS, the layout is not served.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(render(t, otherorg.Identity).Handler())
	defer srv.Close()
	for path, want := range map[string]string{"/": "text/html", "/join.html": "text/html", "/forms.css": "text/css", "/layout.tmpl": "404"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case want == "404":
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", path, res.StatusCode)
			}
		case res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), want):
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		case path == "/" && !strings.Contains(string(b), `data-campaign="appeal-2024"`):
			t.Errorf("/ is not the donation page")
		}
	}
}

// TestWrite: Write puts every file in the folder, byte for byte.
func TestWrite(t *testing.T) {
	f := render(t, otherorg.Identity)
	dir := filepath.Join(t.TempDir(), "dist", "web")
	if err := f.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.Names() {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil || string(b) != string(f[n]) {
			t.Errorf("%s: %v", n, err)
		}
	}
}
