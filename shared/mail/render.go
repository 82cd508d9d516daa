package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
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

var (
	textTemplates = map[i18n.Lang]*template.Template{
		i18n.EN: template.Must(template.New("").Funcs(funcs(i18n.EN)).ParseFS(templateFS, "templates/*.en.txt")),
		i18n.FR: template.Must(template.New("").Funcs(funcs(i18n.FR)).ParseFS(templateFS, "templates/*.fr.txt")),
	}
	layout = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html"))
)

// Render writes e in its language. A template's first line is the subject; the rest is
// the plain-text body, whose paragraphs also make the HTML body.
func Render(e outbox.Email) (Message, error) {
	lang, _ := i18n.Parse(e.Language)
	t := textTemplates[lang].Lookup(e.Template + "." + string(lang) + ".txt")
	if t == nil {
		return Message{}, fmt.Errorf("no template %q in %s", e.Template, lang)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, e.Data); err != nil {
		return Message{}, fmt.Errorf("render %s: %w", e.Template, err)
	}
	subject, body, _ := strings.Cut(buf.String(), "\n")
	body = strings.TrimSpace(body)
	if u := e.Data["unsubscribe_url"]; u != "" {
		body += "\n\n" + i18n.Text(lang, i18n.M("mail.unsubscribe", u))
	}
	body += "\n"
	paragraphs := strings.Split(strings.TrimSpace(body), "\n\n")
	html := make([]htmltemplate.HTML, len(paragraphs))
	for i, p := range paragraphs {
		html[i] = linkify(p, e.Data)
	}
	var out bytes.Buffer
	err := layout.Execute(&out, map[string]any{"Lang": lang, "Subject": subject, "Paragraphs": html})
	if err != nil {
		return Message{}, fmt.Errorf("render layout: %w", err)
	}
	return Message{Subject: strings.TrimSpace(subject), Text: body, HTML: out.String()}, nil
}

// linkify escapes a paragraph for HTML and makes the email's own links (the data values
// whose keys end in _url) clickable. Addresses a person typed (in a message to the
// organizer, say) stay plain text.
func linkify(p string, data map[string]string) htmltemplate.HTML {
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
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, esc, esc)
		p = p[at+len(which):]
	}
	return htmltemplate.HTML(b.String())
}
