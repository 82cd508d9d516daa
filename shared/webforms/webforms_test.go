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
	"github.com/solidarity/solidarity/shared/i18n"
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

// text is b's text: tags removed, entities decoded, spaces collapsed.
func text(b string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(b, " "))), " ")
}

// part is the text of the first element named tag of page ("title", "header", "footer").
func part(t *testing.T, page []byte, tag string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<` + tag + `[ >].*?</` + tag + `>`).Find(page)
	if m == nil {
		t.Fatalf("no <%s> in\n%s", tag, page)
	}
	return text(string(m))
}

// theSwitch is the language switch's link, the one place a page may show the other
// language.
var theSwitch = regexp.MustCompile(`<a class="switch" href="([^"]*)" lang="([^"]*)" hreflang="([^"]*)" data-switch>([^<]*)</a>`)

// withoutSwitch is page with its language switch taken out, entities decoded: the
// text, attributes and title a reader of the page's language meets.
func withoutSwitch(t *testing.T, page []byte) string {
	t.Helper()
	if n := len(theSwitch.FindAll(page, -1)); n != 1 {
		t.Fatalf("%d language switches in\n%s", n, page)
	}
	return html.UnescapeString(theSwitch.ReplaceAllString(string(page), ""))
}

func otherLang(lang string) string {
	if lang == "fr" {
		return "en"
	}
	return "fr"
}

// TestRenderOtherOrganization: every form, rendered for an organization that is not the
// sample, is written in English (index.html) and in French (index.fr.html); each names
// it in its own language only in its title and header, ends with its identification and
// privacy policy in that language, shows its logo and colour, and says "Solidarity"
// nowhere (nor does any other file written).
func TestRenderOtherOrganization(t *testing.T) {
	f := render(t, otherorg.Identity)
	want := []string{"forms.css", "forms.js"}
	for _, p := range pages {
		want = append(want, p, strings.TrimSuffix(p, ".html")+".fr.html")
	}
	slices.Sort(want)
	if got := f.Names(); !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v (no layout.tmpl)", got, want)
	}
	id := otherorg.Identity
	for _, name := range pages {
		for _, lang := range Langs {
			file := FileName(name, lang)
			page := f[file]
			own, other := id.Name.In(lang), id.Name.In(map[i18n.Lang]i18n.Lang{i18n.EN: i18n.FR, i18n.FR: i18n.EN}[lang])
			if title := part(t, page, "title"); !strings.Contains(title, own) || strings.Contains(title, other) {
				t.Errorf("%s: title %q", file, title)
			}
			label := map[i18n.Lang]string{i18n.EN: "Français", i18n.FR: "English"}[lang]
			if header := part(t, page, "header"); header != own+" "+label {
				t.Errorf("%s: header %q", file, header)
			}
			footer := part(t, page, "footer")
			for _, w := range otherorg.Words()[string(lang)] {
				if !strings.Contains(footer, w) {
					t.Errorf("%s: the footer lacks %q: %q", file, w, footer)
				}
			}
			rest := withoutSwitch(t, page)
			for _, w := range otherorg.Words()[otherLang(string(lang))] {
				if !slices.Contains(otherorg.Words()[string(lang)], w) && strings.Contains(rest, w) {
					t.Errorf("%s says the other language's %q", file, w)
				}
			}
			privacy := map[i18n.Lang]string{i18n.EN: "Privacy policy", i18n.FR: "Politique de confidentialité"}[lang]
			for _, w := range []string{`<html lang="` + string(lang) + `"`, `<p>` + html.EscapeString(own) + `<br>`,
				`<img class="logo" src="https://cdn.fightback.example/logo.png" alt="">`,
				`<style>:root{--accent:#1b5e20}</style>`, `<a href="mailto:contact@fightback.example">`,
				`<a href="` + id.Website.In(lang) + `">`, `613-555-0142`,
				`<a href="` + id.PrivacyURL.In(lang) + `">` + privacy + `</a>`} {
				if !strings.Contains(string(page), w) {
					t.Errorf("%s lacks %s", file, w)
				}
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
	for file, want := range map[string]string{"join.html": "Join Fightback", "join.fr.html": "Adhérer à Riposte ouvrière"} {
		if title := part(t, f[file], "title"); title != want {
			t.Errorf("%s: title %q, want %q", file, title, want)
		}
	}
}

// TestOneLanguageAtATime: each page shows its language only — no text of the other
// language's side of any {{t}} of the templates, in its text, attributes or title — but
// for the language switch, a link marked with the other language to the same form in
// it; its links to the other forms stay in its language; and the form's language is the
// page's, a hidden field (no language to choose).
func TestOneLanguageAtATime(t *testing.T) {
	ps, err := Pairs(web)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 60 || !slices.Contains(ps, Pair{"First name", "Prénom"}) || !slices.Contains(ps, Pair{"Privacy policy", "Politique de confidentialité"}) {
		t.Fatalf("the templates' texts: %d pairs, %v", len(ps), ps)
	}
	f := render(t, otherorg.Identity)
	href := regexp.MustCompile(`<a [^>]*href="([^"]*\.html)"`)
	for _, name := range pages {
		for _, lang := range Langs {
			file := FileName(name, lang)
			page := f[file]
			rest := withoutSwitch(t, page)
			for _, p := range ps {
				own, other := p.EN, p.FR
				if lang == i18n.FR {
					own, other = other, own
				}
				if other != own && strings.Contains(rest, other) {
					t.Errorf("%s shows %q, the other language's side of {{t %q %q}}", file, other, p.EN, p.FR)
				}
			}
			sw := theSwitch.FindSubmatch(page)
			o := otherLang(string(lang))
			wantHref := FileName(name, i18n.Lang(o))
			if o == "en" {
				wantHref += "?lang=en" // the choice of English sticks for a French browser
			}
			if string(sw[1]) != wantHref || string(sw[2]) != o || string(sw[3]) != o {
				t.Errorf("%s: the switch %s", file, sw[0])
			}
			for _, m := range href.FindAllStringSubmatch(rest, -1) {
				if isFR := strings.HasSuffix(m[1], ".fr.html"); isFR != (lang == i18n.FR) {
					t.Errorf("%s links to %s, a page in the other language", file, m[1])
				}
			}
			if alt := `<link rel="alternate" hreflang="` + o + `" href="` + FileName(name, i18n.Lang(o)) + `">`; !strings.Contains(rest, alt) {
				t.Errorf("%s lacks %s", file, alt)
			}
			if !strings.Contains(rest, `<input type="hidden" name="language" value="`+string(lang)+`">`) ||
				strings.Contains(rest, `type="radio" name="language"`) {
				t.Errorf("%s: the form's language is not the page's", file)
			}
		}
	}
}

// TestRenderSample: with infra/organization.json (the sample, "Solidarity" and
// "Solidarité", unless the deployer changed it) each page carries the name, the
// identification and the privacy policy of its language, and the colour.
func TestRenderSample(t *testing.T) {
	org := organization.Default()
	f := render(t, org)
	for _, name := range pages {
		for _, lang := range Langs {
			file := FileName(name, lang)
			page := f[file]
			if header := part(t, page, "header"); !strings.HasPrefix(header, org.Name.In(lang)+" ") {
				t.Errorf("%s: header %q", file, header)
			}
			if title := part(t, page, "title"); !strings.HasSuffix(title, org.Name.In(lang)) {
				t.Errorf("%s: title %q", file, title)
			}
			footer := part(t, page, "footer")
			for _, w := range []string{org.Name.In(lang) + " " + org.MailingAddress.In(lang), org.Contact(), org.Website.In(lang)} {
				if w = strings.Join(strings.Fields(w), " "); !strings.Contains(footer, w) {
					t.Errorf("%s: the footer lacks %q: %q", file, w, footer)
				}
			}
			if !strings.Contains(string(page), `href="`+html.EscapeString(org.PrivacyURL.In(lang))+`"`) {
				t.Errorf("%s: no link to the privacy policy", file)
			}
			if !strings.Contains(string(page), `--accent:`+org.Accent()) || strings.Contains(string(page), `<img class="logo"`) != (org.LogoURL != "") {
				t.Errorf("%s: colour or logo wrong", file)
			}
		}
	}
	css, err := os.ReadFile(filepath.Join("..", "..", "web", "forms.css"))
	if err != nil || string(f["forms.css"]) != string(css) {
		t.Errorf("forms.css is not copied as it is (%v)", err)
	}
}

// TestRenderEscapes: a name is text, never markup, wherever the page shows it.
func TestRenderEscapes(t *testing.T) {
	id := otherorg.Identity
	id.Name = organization.Texts{EN: `Fight<script>alert(1)</script>"back`, FR: `Riposte & <b>co</b>`}
	f := render(t, id)
	for _, name := range pages {
		for file, want := range map[string]string{name: "Fight&lt;script&gt;alert(1)&lt;/script&gt;&#34;back",
			FileName(name, i18n.FR): "Riposte &amp; &lt;b&gt;co&lt;/b&gt;"} {
			page := string(f[file])
			if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>co") {
				t.Errorf("%s: a name's markup came through", file)
			}
			if !strings.Contains(page, want) {
				t.Errorf("%s: the name is not there, escaped", file)
			}
		}
	}
}

// TestRenderRefuses: an incomplete identity, a page that names what a page is not
// given, a link to a form that is not there, a hand-written French page, or a folder
// without forms is an error, not a page with a hole in it.
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
		"unknown field":       {"a.html": {Data: []byte(`<p>{{.Org.Slogan}}</p>`)}},
		"unknown template":    {"a.html": {Data: []byte(`{{template "nav" .}}`)}},
		"broken template":     {"a.html": {Data: []byte(`{{if}}`)}},
		"one language":        {"a.html": {Data: []byte(`<p>{{t "Only English"}}</p>`)}},
		"no such form":        {"a.html": {Data: []byte(`<a href="{{page "b.html"}}">b</a>`)}},
		"a French copy":       {"a.html": {Data: []byte(`<p>a</p>`)}, "a.fr.html": {Data: []byte(`<p>b</p>`)}},
		"no forms":            {"sub/a.html": {Data: []byte(`x`)}},
		"unknown function":    {"a.html": {Data: []byte(`{{tr "a" "b"}}`)}},
		"broken in a part":    {"a.html": {Data: []byte(`x`)}, "l.tmpl": {Data: []byte(`{{define "x"}}{{end}`)}},
		"t of no text at all": {"a.html": {Data: []byte(`{{t}}`)}},
	} {
		if _, err := Render(src, otherorg.Identity); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// TestPairs: every {{t}} of the pages and parts with two quoted texts, wherever it
// stands (in a part, an if, a range, a with, an attribute, a pipeline), in order; a
// {{t}} of anything else is not a text to check.
func TestPairs(t *testing.T) {
	src := fstest.MapFS{
		"a.html":     {Data: []byte(`<p title="{{t "Hello" "Bonjour"}}">{{if .X}}{{t "Yes" "Oui"}}{{else}}{{t "No" "Non"}}{{end}}</p>{{t .A .B}}`)},
		"b.tmpl":     {Data: []byte(`{{define "x"}}{{range .L}}{{with .M}}{{t "In" "Dans" | printf "%s"}}{{end}}{{end}}{{end}}`)},
		"c.css":      {Data: []byte(`{{t "Not" "Pas"}}`)},
		"sub/d.html": {Data: []byte(`{{t "Not" "Pas"}}`)},
	}
	got, err := Pairs(src)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Pair{{"Hello", "Bonjour"}, {"Yes", "Oui"}, {"No", "Non"}, {"In", "Dans"}}; !slices.Equal(got, want) {
		t.Errorf("pairs %v, want %v", got, want)
	}
	if _, err := Pairs(fstest.MapFS{"a.html": {Data: []byte(`{{if}}`)}}); err == nil {
		t.Error("a broken page gave pairs")
	}
}

// TestHandler: the rendered forms are served as the folder was ("/" is the donation
// page, the stylesheet is CSS, the layout is not served), and a browser that prefers
// French and chose nothing goes to the French page: not when it came by a link of the
// forms' own site (the language switch), nor when the address says ?lang=en.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(render(t, otherorg.Identity).Handler())
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fr, en := "fr-CA,fr;q=0.9,en;q=0.8", "en-CA,en;q=0.9,fr;q=0.8"
	self := srv.URL + "/index.fr.html"
	for _, tt := range []struct {
		name, path, accept, referer string
		status                      int
		want                        string // the Location, the content type, or the page's lang
		vary                        bool
	}{
		{name: "the donation page", path: "/", accept: en, status: 200, want: `lang="en"`, vary: true},
		{name: "no Accept-Language", path: "/join.html", status: 200, want: `lang="en"`, vary: true},
		{name: "French first", path: "/", accept: fr, status: 302, want: "/index.fr.html", vary: true},
		{name: "French page of a form", path: "/join.html", accept: fr, status: 302, want: "/join.fr.html", vary: true},
		{name: "the query kept", path: "/join.html?utm_source=tract", accept: "fr", status: 302, want: "/join.fr.html?utm_source=tract", vary: true},
		{name: "French asked in the address", path: "/subscribe.html?lang=fr", accept: en, status: 302, want: "/subscribe.fr.html?lang=fr", vary: true},
		{name: "English asked in the address", path: "/join.html?lang=en", accept: fr, status: 200, want: `lang="en"`, vary: true},
		{name: "the switch from the French page", path: "/", accept: fr, referer: self, status: 200, want: `lang="en"`, vary: true},
		{name: "a link from another site", path: "/", accept: fr, referer: "https://elsewhere.example/", status: 302, want: "/index.fr.html", vary: true},
		{name: "the French page", path: "/index.fr.html", accept: en, status: 200, want: `lang="fr"`},
		{name: "French below English", path: "/", accept: "en;q=0.9,fr;q=0.8", status: 200, want: `lang="en"`, vary: true},
		{name: "French refused", path: "/", accept: "fr;q=0", status: 200, want: `lang="en"`, vary: true},
		{name: "the stylesheet", path: "/forms.css", accept: fr, status: 200, want: "text/css"},
		{name: "the layout", path: "/layout.tmpl", accept: fr, status: 404},
		{name: "no such page", path: "/nope.html", accept: fr, status: 404},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
		if tt.accept != "" {
			req.Header.Set("Accept-Language", tt.accept)
		}
		if tt.referer != "" {
			req.Header.Set("Referer", tt.referer)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got := ""
		switch {
		case res.StatusCode == http.StatusFound:
			got = res.Header.Get("Location")
		case tt.want == "text/css":
			got = res.Header.Get("Content-Type")
		case tt.want != "":
			got = regexp.MustCompile(`lang="[a-z]+"`).FindString(string(b))
		}
		if res.StatusCode != tt.status || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %s: %d %q, want %d %q", tt.name, tt.path, res.StatusCode, got, tt.status, tt.want)
		}
		if vary := strings.Contains(res.Header.Get("Vary"), "Accept-Language"); vary != tt.vary {
			t.Errorf("%s: Vary %q", tt.name, res.Header.Get("Vary"))
		}
		if tt.path == "/" && res.StatusCode == 200 && !strings.Contains(string(b), `data-campaign="appeal-2024"`) {
			t.Errorf("%s: / is not the donation page", tt.name)
		}
	}
}

// FuzzHandler: whatever the address, Accept-Language and Referer, the forms' server
// answers a page, a redirect to one of the French pages, or not found; never an error
// or a redirect elsewhere.
func FuzzHandler(f *testing.F) {
	files, err := Render(web, otherorg.Identity)
	if err != nil {
		f.Fatal(err)
	}
	h := files.Handler()
	f.Add("/", "fr", "")
	f.Add("/join.html?lang=fr", "en", "http://example.com/")
	f.Add("//evil.example/x.html", "fr;q=0.5", "http://example.com/index.fr.html")
	f.Fuzz(func(t *testing.T, target, accept, referer string) {
		req := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
		u, err := req.URL.Parse(target)
		if err != nil || u.Host != "example.com" {
			return // not an address on the forms' site
		}
		req.URL = u
		req.Header.Set("Accept-Language", accept)
		req.Header.Set("Referer", referer)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNotFound, http.StatusMovedPermanently:
		case http.StatusFound:
			loc := rec.Header().Get("Location")
			if !regexp.MustCompile(`^/[a-z]+\.fr\.html(\?|$)`).MatchString(loc) {
				t.Fatalf("%q redirected to %q", target, loc)
			}
		default:
			t.Fatalf("%q: %d", target, rec.Code)
		}
	})
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
