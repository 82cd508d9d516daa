package httpapi_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// orgPage is one page the functions render, written for r in lang.
type orgPage struct {
	name  string
	write func(w http.ResponseWriter, r *http.Request, lang i18n.Lang)
}

// pageArgs are as many arguments as the catalogue entry key formats ("%s", "%d").
func pageArgs(key string) []any {
	args := make([]any, strings.Count(i18n.Text(i18n.EN, i18n.M(key)), "(MISSING)"))
	for i := range args {
		args[i] = "Ottawa Centre"
	}
	return args
}

// everyPage is every page the functions render: each page.<name> of the catalogue with a
// title and a body as a message page, each with a button as an action page, and the
// error page of a validation failure and of a refusal, with and without the form.
func everyPage(t *testing.T) []orgPage {
	t.Helper()
	has := map[string]bool{}
	for _, k := range i18n.Keys("page.") {
		has[k] = true
	}
	var out []orgPage
	for _, k := range i18n.Keys("page.") {
		name, ok := strings.CutSuffix(strings.TrimPrefix(k, "page."), ".title")
		if !ok || !has["page."+name+".body"] {
			continue
		}
		args := pageArgs("page." + name + ".body")
		out = append(out, orgPage{"message " + name, func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
			httpapi.WriteMessage(w, r, http.StatusOK, lang, name, args...)
		}})
		if has["page."+name+".button"] {
			out = append(out, orgPage{"action " + name, func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
				httpapi.WriteActionPage(w, r, http.StatusOK, lang, name, httpapi.Action{Path: "x", Token: "t",
					RedirectTo: []string{"https://billing.stripe.com"}, Details: []string{"First name: Ana"}}, args...)
			}})
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d pages found in the catalogue", len(out))
	}
	invalid := problems(map[string]string{"email": "field.email"})
	refused := httpapi.Fail(http.StatusForbidden, httpapi.CodeForbiddenOrigin)
	out = append(out,
		orgPage{"errors: validation with the form", func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
			httpapi.WriteFormError(w, r, lang, typed, invalid)
		}},
		orgPage{"errors: refusal with the form", func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
			httpapi.WriteFormError(w, r, lang, typed, refused)
		}},
		orgPage{"errors: validation", func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
			httpapi.WriteError(w, r, lang, true, invalid)
		}},
		orgPage{"errors: refusal", func(w http.ResponseWriter, r *http.Request, lang i18n.Lang) {
			httpapi.WriteError(w, r, lang, true, refused)
		}},
	)
	return out
}

// imgSources is the img-src directive of a Content-Security-Policy, or "" if it has none.
func imgSources(csp string) string {
	for _, d := range strings.Split(csp, ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "img-src") {
			return d
		}
	}
	return ""
}

// TestPagesNameTheOrganization: every page, in both languages, names the organization of
// the request's context in the page's language, in its header (the logo, its colour) and
// its footer (name, mailing address, contact, website), and never the sample's name.
func TestPagesNameTheOrganization(t *testing.T) {
	captureLogs(t)
	other := otherorg.Identity
	words := otherorg.Words()
	for _, p := range everyPage(t) {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			t.Run(p.name+" "+string(lang), func(t *testing.T) {
				r := httptest.NewRequest(http.MethodPost, "/x", nil)
				r = r.WithContext(organization.With(r.Context(), other))
				w := httptest.NewRecorder()
				p.write(w, r, lang)
				body := html.UnescapeString(w.Body.String()) // as a browser shows it ("&#43;1 613…")
				name, otherName, otherPrivacy := other.Name.In(lang), other.Name.EN, other.PrivacyURL.EN
				if lang == i18n.EN {
					otherName, otherPrivacy = other.Name.FR, other.PrivacyURL.FR
				}
				wants := append([]string{
					`<html lang="` + string(lang) + `">`,
					`<header><img src="https://cdn.fightback.example/logo.png" alt="">` + name + `</header>`,
					"header{background:#1b5e20;",
					"<footer><p><strong>" + name + "</strong></p>",
					`<a href="mailto:contact@fightback.example">`, "+1 613-555-0142",
					`<a href="` + other.Website.In(lang) + `">`,
					map[i18n.Lang]string{
						i18n.EN: `<p><a href="https://fightback.example/privacy">Privacy policy</a></p></footer>`,
						i18n.FR: `<p><a href="https://riposte.example/confidentialite">Politique de confidentialité</a></p></footer>`,
					}[lang],
				}, words[string(lang)]...)
				for _, want := range wants {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q:\n%s", want, body)
					}
				}
				for _, not := range []string{"Solidarity", "Solidarité", organization.DefaultAccent, otherName, otherPrivacy, organization.Placeholder, "%!"} {
					if strings.Contains(body, not) {
						t.Errorf("page has %q:\n%s", not, body)
					}
				}
				csp := w.Header().Get("Content-Security-Policy")
				if !strings.HasPrefix(csp, "default-src 'none';") || imgSources(csp) != "img-src https://cdn.fightback.example" ||
					strings.Count(csp, "img-src") != 1 {
					t.Errorf("Content-Security-Policy %q", csp)
				}
			})
		}
	}
}

// TestPagesNameTheSample: a request whose context carries no identity gets the
// compiled-in one (the sample's, "Solidarity", with no logo, so no image is allowed,
// unless the deployer changed infra/organization.json).
func TestPagesNameTheSample(t *testing.T) {
	captureLogs(t)
	sample := organization.Default()
	if sample.LogoURL != "" {
		sample.LogoURL = "" // the header and CSP with a logo are TestPagesNameTheOrganization's
	}
	for _, p := range everyPage(t) {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			t.Run(p.name+" "+string(lang), func(t *testing.T) {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "/x", nil)
				if organization.Default().LogoURL != "" {
					r = r.WithContext(organization.With(r.Context(), sample))
				}
				p.write(w, r, lang)
				body := w.Body.String()
				for _, want := range []string{"<header>" + sample.Name.In(lang) + "</header>",
					"<footer><p><strong>" + sample.Name.In(lang) + "</strong></p><p>" + sample.MailingAddress.In(lang) + "</p>",
					"header{background:" + sample.Accent() + ";"} {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q:\n%s", want, body)
					}
				}
				if strings.Contains(body, "<img") || strings.Contains(body, organization.Placeholder) {
					t.Errorf("page:\n%s", body)
				}
				if csp := w.Header().Get("Content-Security-Policy"); strings.Contains(csp, "img-src") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
			})
		}
	}
}

// TestSitesHandlerNamesTheOrganization: Sites.Handler puts its Org in the request's
// context, and a real handler's page names it; without one, the sample's.
func TestSitesHandlerNamesTheOrganization(t *testing.T) {
	for _, c := range []struct {
		org        organization.Identity
		want, logo string
	}{
		{otherorg.Identity, "Riposte ouvrière", "img-src https://cdn.fightback.example"},
		{organization.Identity{}, organization.Default().Name.FR, cspImages(organization.Default().LogoURL)},
	} {
		h := httpapi.Sites{Own: "https://api.example", Org: c.org}.Handler(httpapi.MessagePage("thanks"))
		r := httptest.NewRequest(http.MethodGet, "/donations/thanks?lang=fr", nil).WithContext(context.Background())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<footer><p><strong>"+c.want+"</strong>") ||
			!strings.Contains(w.Body.String(), "<h1>Merci\u202f!</h1>") {
			t.Errorf("%s: %d\n%s", c.want, w.Code, w.Body)
		}
		if got := imgSources(w.Header().Get("Content-Security-Policy")); got != c.logo {
			t.Errorf("%s: img-src %q, want %q", c.want, got, c.logo)
		}
	}
}

// logoSources is the compiled-in organization's img-src directive with its "; ", as the
// pages' CSP carries it, or "" without a logo.
func logoSources() string {
	if d := cspImages(organization.Default().LogoURL); d != "" {
		return d + "; "
	}
	return ""
}

// cspImages is the img-src directive a page with logo allows, or "".
func cspImages(logo string) string {
	if logo == "" {
		return ""
	}
	u, _ := url.Parse(logo)
	return "img-src " + u.Scheme + "://" + u.Host
}

// TestInLanguage: a French page links to the French page `make forms` writes.
func TestInLanguage(t *testing.T) {
	for _, c := range []struct {
		u    string
		lang i18n.Lang
		want string
	}{
		{"https://f.example/join.html", i18n.FR, "https://f.example/join.fr.html"},
		{"https://f.example/join.html?x=1", i18n.FR, "https://f.example/join.fr.html?x=1"},
		{"https://f.example/join.fr.html", i18n.FR, "https://f.example/join.fr.html"},
		{"https://f.example/join.html", i18n.EN, "https://f.example/join.html"},
		{"https://f.example/adherer/", i18n.FR, "https://f.example/adherer/"},
		{"", i18n.FR, ""},
	} {
		if got := httpapi.InLanguage(c.u, c.lang); got != c.want {
			t.Errorf("%q in %s: %q, want %q", c.u, c.lang, got, c.want)
		}
	}
}
