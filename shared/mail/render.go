package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

//go:embed templates/*.txt templates/layout.html
var templateFS embed.FS

// Message is a rendered email.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

func funcs(lang i18n.Lang) template.FuncMap {
	return template.FuncMap{
		"money": func(cents string) string {
			n, _ := strconv.ParseInt(cents, 10, 64)
			return i18n.FormatCents(lang, n)
		},
		"date": func(s string) string {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return s
			}
			return i18n.FormatDate(lang, t)
		},
	}
}

// The templates are parsed on the first email, not at every cold start: a mailer
// invocation with nothing to send (a record to skip) never pays for them.
var (
	textTemplates = sync.OnceValue(func() map[i18n.Lang]*template.Template {
		return map[i18n.Lang]*template.Template{
			i18n.EN: template.Must(template.New("").Funcs(funcs(i18n.EN)).ParseFS(templateFS, "templates/*.en.txt")),
			i18n.FR: template.Must(template.New("").Funcs(funcs(i18n.FR)).ParseFS(templateFS, "templates/*.fr.txt")),
		}
	})
	layout = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html"))
	})
)

// Render writes e in its language, naming org (the zero Identity: the compiled-in one).
// A template's first line is the subject; the rest is the plain-text body, whose
// paragraphs also make the HTML body. The templates read the organization's name in the
// message's language as org_name, added here and never stored in the outbox. Every email
// ends with the unsubscribe line (news only) and then the organization's identification
// (name, mailing address, contact, website, privacy policy). The HTML carries no remote content, not
// even the logo: an image fetched on opening would tell its host who read the email,
// where and when (an open tracker); it shows the accent colour instead.
func Render(e outbox.Email, org organization.Identity) (Message, error) {
	org = org.Or()
	lang, _ := i18n.Parse(e.Language)
	t := textTemplates()[lang].Lookup(e.Template + "." + string(lang) + ".txt")
	if t == nil {
		return Message{}, fmt.Errorf("no template %q in %s", e.Template, lang)
	}
	data := make(map[string]string, len(e.Data)+1)
	for k, v := range e.Data {
		data[k] = v
	}
	data[OrgNameKey] = org.Name.In(lang)
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", e.Template, err)
	}
	subject, body, _ := strings.Cut(buf.String(), "\n")
	body = strings.TrimSpace(body)
	if u := e.Data["unsubscribe_url"]; u != "" {
		body += "\n\n" + org.Fill(lang, i18n.Text(lang, i18n.M("mail.unsubscribe", u)))
	}
	paragraphs := strings.Split(body, "\n\n")
	accent := org.Accent()
	if !organization.Colour(accent) {
		accent = organization.DefaultAccent
	}
	html := make([]htmltemplate.HTML, len(paragraphs))
	for i, p := range paragraphs {
		html[i] = linkify(p, e.Data, accent)
	}
	var footer []string
	for _, line := range org.Footer(lang) {
		if line != "" {
			footer = append(footer, line)
		}
	}
	privacy := org.PrivacyURL.In(lang)
	if privacy != "" {
		footer = append(footer, i18n.Text(lang, i18n.M("org.privacy_line", privacy)))
	}
	if len(footer) > 0 {
		body += "\n\n--\n" + strings.Join(footer, "\n")
	}
	body += "\n"
	var out bytes.Buffer
	err := layout().Execute(&out, map[string]any{"Lang": lang, "Subject": subject, "Paragraphs": html,
		"Name": org.Name.In(lang), "Address": org.MailingAddress.In(lang), "Contact": org.Contact(),
		"Accent": htmltemplate.CSS(accent), "Links": footerLinks(org, []i18n.Lang{lang}, lang)})
	if err != nil {
		return Message{}, fmt.Errorf("render layout: %w", err)
	}
	return Message{Subject: strings.TrimSpace(subject), Text: body, HTML: out.String()}, nil
}

// OrgNameKey is the template data key of the organization's name in the message's
// language, set by Render.
const OrgNameKey = "org_name"

// linkify escapes a paragraph for HTML and makes the email's own links (the data values
// whose keys end in _url) clickable, in the accent colour (a checked #rrggbb). Addresses
// a person typed (in a message to the organizer, say) stay plain text.
func linkify(p string, data map[string]string, accent string) htmltemplate.HTML {
	var urls []string
	for k, v := range data {
		if strings.HasSuffix(k, "_url") && strings.HasPrefix(v, "http") {
			urls = append(urls, v)
		}
	}
	// Longest first, so a link that extends another is matched whole.
	sort.Slice(urls, func(i, j int) bool { return len(urls[i]) > len(urls[j]) })
	var b strings.Builder
	for len(p) > 0 {
		at, which := len(p), ""
		for _, u := range urls {
			if i := strings.Index(p, u); i >= 0 && i < at {
				at, which = i, u
			}
		}
		b.WriteString(htmltemplate.HTMLEscapeString(p[:at]))
		if which == "" {
			break
		}
		esc := htmltemplate.HTMLEscapeString(which)
		fmt.Fprintf(&b, `<a href="%s" style="color:%s">%s</a>`, esc, accent, esc)
		p = p[at+len(which):]
	}
	return htmltemplate.HTML(b.String())
}

// footerLink is a link of an email's footer: the organization's website or its privacy
// policy, in a language (Lang set when it is not the email's own).
type footerLink struct{ kind, URL, Text, Lang string }

// footerLinks are the website and the privacy policy links of org in each of langs, for
// an email in lang: a website, then a policy, per address; languages sharing an address
// share its link, their texts joined ("Privacy policy / Politique de confidentialité").
// A policy at the website's own address is still its own link.
func footerLinks(org organization.Identity, langs []i18n.Lang, lang i18n.Lang) []footerLink {
	var links []footerLink
	add := func(kind, url, text string, l i18n.Lang) {
		if url == "" {
			return
		}
		for i := range links {
			if links[i].kind == kind && links[i].URL == url {
				if !strings.Contains(links[i].Text, text) {
					links[i].Text += " / " + text
				}
				links[i].Lang = "" // of two languages now
				return
			}
		}
		f := footerLink{kind: kind, URL: url, Text: text}
		if l != lang {
			f.Lang = string(l)
		}
		links = append(links, f)
	}
	for _, l := range langs {
		add("website", org.Website.In(l), org.Website.In(l), l)
	}
	for _, l := range langs {
		add("privacy", org.PrivacyURL.In(l), i18n.Text(l, i18n.M("org.privacy")), l)
	}
	return links
}
