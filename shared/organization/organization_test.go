package organization

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/infra"
	"github.com/solidarity/solidarity/shared/i18n"
)

// TestShippedIdentity: infra/organization.json loads (`sam build` runs this first).
func TestShippedIdentity(t *testing.T) {
	id, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(infra.OrganizationJSON); err != nil {
		t.Fatal(err)
	}
	if Default() != id {
		t.Errorf("Default is not the file: %+v", Default().Name)
	}
	if _, err := Load(); err != nil {
		t.Fatal(err)
	}
}

const good = `{"name":{"en":"Fightback","fr":"Riposte"},"sender":{"en":"Fightback","fr":"Riposte"},
"mailing_address":{"en":"PO Box 1, Ottawa ON","fr":"C.P. 1, Ottawa (Ontario)"},"email":"a@b.example","phone":"",
"website":{"en":"https://f.example","fr":"https://f.example/fr"},
"privacy_url":{"en":"https://f.example/privacy","fr":"https://f.example/fr/confidentialite"}}`

func with(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	return b
}

// TestParse: what an edited file can get wrong is refused, saying which field.
func TestParse(t *testing.T) {
	if _, err := Parse([]byte(good)); err != nil {
		t.Fatalf("good: %v", err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"no French name", with(t, func(m map[string]any) { m["name"] = map[string]any{"en": "Fightback"} }), "name.fr is missing"},
		{"blank French name", with(t, func(m map[string]any) { m["name"] = map[string]any{"en": "F", "fr": "  "} }), "name.fr is missing"},
		{"no sender", with(t, func(m map[string]any) { delete(m, "sender") }), "sender.en is missing"},
		{"no address", with(t, func(m map[string]any) { delete(m, "mailing_address") }), "mailing_address.en is missing"},
		{"no contact", with(t, func(m map[string]any) { m["email"] = "" }), "give a contact"},
		{"phone only", with(t, func(m map[string]any) { m["email"], m["phone"] = "", "+1 613-555-0100" }), ""},
		{"bad phone", with(t, func(m map[string]any) { m["phone"] = "call us" }), "is not a phone number"},
		{"named email", with(t, func(m map[string]any) { m["email"] = "Us <a@b.example>" }), "not a bare email"},
		{"bad email", with(t, func(m map[string]any) { m["email"] = "nobody" }), "not a bare email"},
		{"http website", with(t, func(m map[string]any) {
			m["website"] = map[string]any{"en": "http://f.example", "fr": "https://f.example"}
		}), "website.en"},
		{"script website", with(t, func(m map[string]any) {
			m["website"] = map[string]any{"en": "javascript:alert(1)", "fr": "https://f.example"}
		}), "website.en"},
		{"quote in website", with(t, func(m map[string]any) {
			m["website"] = map[string]any{"en": `https://f.example/"x`, "fr": "https://f.example"}
		}), "website.en"},
		{"no privacy policy", with(t, func(m map[string]any) { delete(m, "privacy_url") }), "privacy_url.en is missing"},
		{"no French privacy policy", with(t, func(m map[string]any) {
			m["privacy_url"] = map[string]any{"en": "https://f.example/privacy"}
		}), "privacy_url.fr is missing"},
		{"http privacy policy", with(t, func(m map[string]any) {
			m["privacy_url"] = map[string]any{"en": "https://f.example/privacy", "fr": "http://f.example/confidentialite"}
		}), "privacy_url.fr"},
		{"quote in privacy policy", with(t, func(m map[string]any) {
			m["privacy_url"] = map[string]any{"en": `https://f.example/"><script>`, "fr": "https://f.example/c"}
		}), "privacy_url.en"},
		{"http logo", with(t, func(m map[string]any) { m["logo_url"] = "http://f.example/l.png" }), "logo_url"},
		{"policy in the logo's host", with(t, func(m map[string]any) { m["logo_url"] = "https://cdn.example;script-src*;img-src*/logo.png" }), "logo_url"},
		{"comma in the logo's host", with(t, func(m map[string]any) { m["logo_url"] = "https://cdn.example,x/l.png" }), "logo_url"},
		{"star host", with(t, func(m map[string]any) { m["logo_url"] = "https://*.example/l.png" }), "logo_url"},
		{"bad port", with(t, func(m map[string]any) { m["logo_url"] = "https://cdn.example:x/l.png" }), "logo_url"},
		{"logo with port", with(t, func(m map[string]any) { m["logo_url"] = "https://cdn.example:8443/l.png?v=2" }), ""},
		{"website with a semicolon", with(t, func(m map[string]any) {
			m["website"] = map[string]any{"en": "https://f.example/a;b", "fr": "https://f.example"}
		}), "website.en"},
		{"logo", with(t, func(m map[string]any) { m["logo_url"] = "https://f.example/l.png" }), ""},
		{"named colour", with(t, func(m map[string]any) { m["accent_color"] = "red" }), "accent_color"},
		{"css in colour", with(t, func(m map[string]any) { m["accent_color"] = "#fff;background:url(x)" }), "accent_color"},
		{"colour", with(t, func(m map[string]any) { m["accent_color"] = "#1B5E20" }), ""},
		{"misspelt key", with(t, func(m map[string]any) { m["adress"] = "x" }), "unknown field"},
		{"control character", with(t, func(m map[string]any) { m["name"] = map[string]any{"en": "F\nX", "fr": "R"} }), "control character"},
		{"not an object", []byte(`[]`), "cannot unmarshal"},
		{"two values", []byte(good + "{}"), "more than one"},
		{"trailing comma", []byte("{\n\"name\": {\"en\": \"F\", \"fr\": \"R\"},\n}"), "line 3: invalid character '}'"},
		{"empty", nil, "EOF"},
	}
	for _, c := range cases {
		_, err := Parse(c.data)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// TestFrom: the display name is quoted when plain, RFC 2047-encoded when not, and reads
// back as it was.
func TestFrom(t *testing.T) {
	id, _ := Parse([]byte(good))
	id.Sender = Texts{EN: "Fightback, Ottawa", FR: "Riposte — Québec"}
	if got := id.From(i18n.EN, "appeal@f.example"); got != `"Fightback, Ottawa" <appeal@f.example>` {
		t.Errorf("en: %s", got)
	}
	fr := id.From(i18n.FR, "appeal@f.example")
	if !strings.HasPrefix(fr, "=?utf-8?") || strings.ContainsFunc(fr, func(r rune) bool { return r > 127 }) {
		t.Errorf("fr is not RFC 2047 ASCII: %s", fr)
	}
	name, addr, err := DecodeFrom(fr)
	if err != nil || name != "Riposte — Québec" || addr != "appeal@f.example" {
		t.Errorf("fr reads back as %q %q %v", name, addr, err)
	}
}

// TestFillAndContext: the placeholder takes the name of the language; a context without
// an identity is the compiled-in one.
func TestFillAndContext(t *testing.T) {
	id, _ := Parse([]byte(good))
	if got := id.Fill(i18n.FR, "Bienvenue à {org} !"); got != "Bienvenue à Riposte !" {
		t.Error(got)
	}
	if FromContext(context.Background()) != Default() || FromContext(With(context.Background(), id)) != id ||
		FromContext(With(context.Background(), Identity{})) != Default() {
		t.Error("context")
	}
	if id.Accent() != DefaultAccent || strings.Join(id.Footer(i18n.FR), "|") != "Riposte|C.P. 1, Ottawa (Ontario)|a@b.example|https://f.example/fr" {
		t.Errorf("footer %q", id.Footer(i18n.FR))
	}
}

// TestLogoOrigin: the logo's origin, lower-cased, or nothing for a URL that would write
// policy syntax, even in an Identity that skipped Check.
func TestLogoOrigin(t *testing.T) {
	for logo, want := range map[string]string{
		"https://CDN.Example.org/l.png": "https://cdn.example.org", "https://cdn.example:8443/l.png": "https://cdn.example:8443",
		"": "", "http://cdn.example/l.png": "", "https://cdn.example;script-src*/l.png": "", "https://cdn.example/l.png;x": "",
		"https://a b.example/": "", "https://[::1]/l.png": "", "javascript:alert(1)": "",
	} {
		if got := (Identity{LogoURL: logo}).LogoOrigin(); got != want {
			t.Errorf("%q: %q, want %q", logo, got, want)
		}
	}
}

// TestReadmeExample: the README's example identity loads as it is written.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### The organization's identity")
	_, block, ok := strings.Cut(section, "```json\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("the README's identity section has no JSON example")
	}
	id, err := Parse([]byte(block))
	if err != nil || id.Name.FR != "Riposte ouvrière" {
		t.Fatalf("the README's example: %v %+v", err, id.Name)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"name":{"en":"a"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever loads names both languages and makes a From header that reads back.
		if id.Name.EN == "" || id.Name.FR == "" || id.Check() != nil ||
			!strings.HasPrefix(id.PrivacyURL.EN, "https://") || !strings.HasPrefix(id.PrivacyURL.FR, "https://") {
			t.Fatalf("loaded %+v", id)
		}
		if name, _, err := DecodeFrom(id.From(i18n.FR, "a@b.example")); err != nil || name != id.Sender.FR {
			t.Fatalf("from %q: %q %v", id.Sender.FR, name, err)
		}
		// A logo that loads gives a policy source of no syntax of its own.
		if o := id.LogoOrigin(); id.LogoURL != "" && (o == "" || strings.ContainsAny(o, " ;,*'\"")) {
			t.Fatalf("logo %q: origin %q", id.LogoURL, o)
		}
	})
}
