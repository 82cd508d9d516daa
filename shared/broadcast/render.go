package broadcast

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// Render writes the message part of b in lang: "en" or "fr", or anything else (the
// empty language of a person who never said) for both in one message, English then
// French. It returns:
//
//   - subject: plain text, one line ("SubjectEN / SubjectFR" for both, one of them if
//     they are the same);
//   - text: the plain-text body (paragraphs and list items as written, headings on a
//     line of their own, **bold** and *italic* without their stars, a link as "text
//     (https://…)"); for both languages, English, a line "----------", then French;
//   - html: an HTML fragment, one <div lang="en"> (or "fr") per language, separated by
//     <hr> when both, holding only <h2>, <h3>, <p>, <br>, <ul>, <li>, <strong>, <em> and
//     <a href="https://…">: every other character of the source is escaped, so raw HTML
//     in it shows as text and never reaches the reader as markup.
//
// The source is a safe subset of Markdown: paragraphs (blank lines between them; a line
// break inside one is kept), headings (## and ###; # reads as ##), bullet lists (lines
// starting "- ", "* " or "+ "), **bold**, *italic*, [links](https://…) and backslash
// escapes. A link to anything but an https:// address (javascript:, data:, http:, mailto:)
// is refused: its text stays, without the link. The organization's placeholder {org}
// becomes its name in the language. No footer, unsubscribe line or layout: the mailer
// adds those around it.
func Render(b Broadcast, lang string, org organization.Identity) (subject, text, htmlOut string) {
	org = org.Or()
	langs := []i18n.Lang{i18n.EN, i18n.FR}
	if l, ok := i18n.Parse(lang); ok {
		langs = []i18n.Lang{l}
	}
	var subjects, texts, htmls []string
	for _, l := range langs {
		name := org.Name.In(l)
		s := strings.Join(strings.Fields(org.Fill(l, b.Subject(l))), " ")
		if len(subjects) == 0 || subjects[0] != s {
			subjects = append(subjects, s)
		}
		h, t := renderBody(b.Body(l))
		texts = append(texts, strings.ReplaceAll(t, organization.Placeholder, name))
		htmls = append(htmls, `<div lang="`+string(l)+`">`+"\n"+
			strings.ReplaceAll(h, organization.Placeholder, html.EscapeString(name))+"</div>\n")
	}
	return strings.Join(subjects, " / "), strings.Join(texts, "\n\n----------\n\n") + "\n", strings.Join(htmls, "<hr>\n")
}

// Kinds of block.
const (
	paragraph = iota
	heading2
	heading3
	list
)

type block struct {
	kind  int
	lines []string // a paragraph's lines, a heading's one, a list's items
}

var (
	headingLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(#{1,3})[ \t]+(.*?)[ \t#]*$`) })
	itemLine    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-*+][ \t]+(.*)$`) })
)

// blocks splits a body into its paragraphs, headings and lists.
func blocks(src string) []block {
	var out []block
	var cur *block
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		switch m := headingLine().FindStringSubmatch(trimmed); {
		case trimmed == "":
			flush()
		case m != nil && m[2] != "":
			flush()
			kind := heading2
			if m[1] == "###" {
				kind = heading3
			}
			out = append(out, block{kind: kind, lines: []string{m[2]}})
		case itemLine().MatchString(trimmed):
			if cur == nil || cur.kind != list {
				flush()
				cur = &block{kind: list}
			}
			cur.lines = append(cur.lines, strings.TrimSpace(itemLine().FindStringSubmatch(trimmed)[1]))
		case cur != nil && cur.kind == list && trimmed != line: // an indented line continues the item
			cur.lines[len(cur.lines)-1] += " " + trimmed
		default:
			if cur == nil || cur.kind != paragraph {
				flush()
				cur = &block{kind: paragraph}
			}
			cur.lines = append(cur.lines, trimmed)
		}
	}
	flush()
	return out
}

// renderBody is a body's HTML and plain text.
func renderBody(src string) (h, t string) {
	var hs, ts []string
	for _, b := range blocks(src) {
		switch b.kind {
		case heading2, heading3:
			tag := "h2"
			if b.kind == heading3 {
				tag = "h3"
			}
			ih, it := inline(b.lines[0], 0)
			hs = append(hs, "<"+tag+">"+ih+"</"+tag+">")
			ts = append(ts, it)
		case list:
			var hl, tl []string
			for _, item := range b.lines {
				ih, it := inline(item, 0)
				hl = append(hl, "<li>"+ih+"</li>")
				tl = append(tl, "- "+it)
			}
			hs = append(hs, "<ul>\n"+strings.Join(hl, "\n")+"\n</ul>")
			ts = append(ts, strings.Join(tl, "\n"))
		default:
			var hl, tl []string
			for _, line := range b.lines {
				ih, it := inline(line, 0)
				hl, tl = append(hl, ih), append(tl, it)
			}
			hs = append(hs, "<p>"+strings.Join(hl, "<br>\n")+"</p>")
			ts = append(ts, strings.Join(tl, "\n"))
		}
	}
	if len(hs) == 0 {
		return "", ""
	}
	return strings.Join(hs, "\n") + "\n", strings.Join(ts, "\n\n")
}

// What an inline span may still hold: a bold span holds no bold, an italic one neither
// bold nor italic, a link's text no link.
const (
	noBold = 1 << iota
	noItalic
	noLink
)

// Bounds of a link, so that a line of unclosed brackets stays linear.
const (
	maxLinkText = 1000
	maxLinkURL  = 2000
)

const escapable = "\\*_[]()#-+!`"

// inline renders one line's spans: its HTML, every character escaped but the markup
// made here, and its plain text.
func inline(s string, not int) (string, string) { return inlineDropping(s, not, nil) }

// inlineDropping is inline, adding to dropped (if not nil) the address of each link it
// keeps only the text of.
func inlineDropping(s string, not int, dropped *[]string) (string, string) {
	var h, t strings.Builder
	// failed[x] is the position from which a search for the closer x found none: a
	// search from further on finds none either.
	failed := map[string]int{}
	find := func(closer string, from int) int {
		if f, ok := failed[closer]; ok && from >= f {
			return -1
		}
		i := strings.Index(s[from:], closer)
		if i < 0 {
			failed[closer] = from
			return -1
		}
		return from + i
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte(escapable, s[i+1]) >= 0:
			h.WriteString(html.EscapeString(s[i+1 : i+2]))
			t.WriteByte(s[i+1])
			i += 2
			continue
		case strings.HasPrefix(s[i:], "**") && not&noBold == 0:
			if j := find("**", i+2); j > i+2 && spanOK(s[i+2:j]) {
				ih, it := inlineDropping(s[i+2:j], not|noBold, dropped)
				h.WriteString("<strong>" + ih + "</strong>")
				t.WriteString(it)
				i = j + 2
				continue
			}
			h.WriteString("**")
			t.WriteString("**")
			i += 2
			continue
		case c == '*' && not&noItalic == 0:
			if j := find("*", i+1); j > i+1 && spanOK(s[i+1:j]) {
				ih, it := inlineDropping(s[i+1:j], not|noBold|noItalic, dropped)
				h.WriteString("<em>" + ih + "</em>")
				t.WriteString(it)
				i = j + 1
				continue
			}
		case c == '[' && not&noLink == 0:
			if label, target, end, ok := link(s, i, find); ok {
				ih, it := inlineDropping(label, not|noLink, dropped)
				if u, safe := safeURL(target); safe {
					h.WriteString(`<a href="` + html.EscapeString(u) + `">` + ih + "</a>")
					if it == u {
						t.WriteString(u)
					} else {
						t.WriteString(it + " (" + u + ")")
					}
				} else { // refused: the text stays, the address goes
					h.WriteString(ih)
					t.WriteString(it)
					if dropped != nil {
						*dropped = append(*dropped, target)
					}
				}
				i = end
				continue
			}
		}
		h.WriteString(html.EscapeString(s[i : i+1]))
		t.WriteByte(c)
		i++
	}
	return h.String(), t.String()
}

// spanOK reports whether the inside of a bold or italic span is one: not empty, and not
// starting or ending with a space ("2 * 3 * 4" is no italic).
func spanOK(in string) bool {
	return strings.TrimSpace(in) == in && in != ""
}

// link reads a link [label](target) at s[i], which is '[': its parts and the position
// just after it.
func link(s string, i int, find func(string, int) int) (label, target string, end int, ok bool) {
	mid := find("](", i+1)
	if mid < 0 || mid-i-1 > maxLinkText || mid == i+1 {
		return "", "", 0, false
	}
	depth := 0
	for j := mid + 2; j < len(s) && j-mid-2 <= maxLinkURL; j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return s[i+1 : mid], strings.TrimSpace(s[mid+2 : j]), j + 1, true
			}
			depth--
		case ' ', '\t':
			if strings.TrimSpace(s[mid+2:j]) != "" { // an address holds no space
				return "", "", 0, false
			}
		}
	}
	return "", "", 0, false
}

// safeURL reports whether target is an https:// address to a host, with nothing in it
// that could leave an HTML attribute, and returns it as it is linked.
func safeURL(target string) (string, bool) {
	if strings.ContainsAny(target, " \t\"'<>\\`") {
		return "", false
	}
	for _, r := range target {
		if r < 0x20 || r == 0x7f || forbidden(r) {
			return "", false
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if !strings.HasPrefix(target, "https://") { // no "HTTPS:" nor "https:/x"
		return "", false
	}
	return target, true
}

// droppedLinks are the addresses of the links of body that Render keeps only the text of
// (not https://, or unsafe in an attribute), walked as Render walks it.
func droppedLinks(body string) []string {
	var dropped []string
	for _, b := range blocks(body) {
		for _, line := range b.lines {
			inlineDropping(line, 0, &dropped)
		}
	}
	return dropped
}
