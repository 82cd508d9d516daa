package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
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
	body = strings.TrimSpace(body) + "\n"
	var html bytes.Buffer
	err := layout.Execute(&html, map[string]any{
		"Lang": lang, "Subject": subject, "Paragraphs": strings.Split(strings.TrimSpace(body), "\n\n"),
	})
	if err != nil {
		return Message{}, fmt.Errorf("render layout: %w", err)
	}
	return Message{Subject: strings.TrimSpace(subject), Text: body, HTML: html.String()}, nil
}
