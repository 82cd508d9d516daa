package broadcast

import (
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

func one(body string) Broadcast {
	return Broadcast{SubjectEN: "Subject", SubjectFR: "Objet", BodyEN: body, BodyFR: body}
}

func TestRender(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		html, text string // the English div's inside, and the English text
	}{
		{"paragraphs", "One\ntwo\n\nThree", "<p>One<br>\ntwo</p>\n<p>Three</p>\n", "One\ntwo\n\nThree\n"},
		{"bold and italic", "A **bold** and *italic* word", "<p>A <strong>bold</strong> and <em>italic</em> word</p>\n", "A bold and italic word\n"},
		{"italic in bold", "**very *much* so**", "<p><strong>very <em>much</em> so</strong></p>\n", "very much so\n"},
		{"unclosed", "**not bold and *not italic", "<p>**not bold and *not italic</p>\n", "**not bold and *not italic\n"},
		{"arithmetic", "2 * 3 * 4", "<p>2 * 3 * 4</p>\n", "2 * 3 * 4\n"},
		{"escapes", `\*literal\* and \[x\]`, "<p>*literal* and [x]</p>\n", "*literal* and [x]\n"},
		{"link", "See [our page](https://example.org/a?b=1&c=2).", `<p>See <a href="https://example.org/a?b=1&amp;c=2">our page</a>.</p>` + "\n",
			"See our page (https://example.org/a?b=1&c=2).\n"},
		{"link to itself", "[https://example.org](https://example.org)", `<p><a href="https://example.org">https://example.org</a></p>` + "\n", "https://example.org\n"},
		{"parens in a link", "[wiki](https://en.wikipedia.org/wiki/Union_(labour))", `<p><a href="https://en.wikipedia.org/wiki/Union_(labour)">wiki</a></p>` + "\n",
			"wiki (https://en.wikipedia.org/wiki/Union_(labour))\n"},
		{"bold link", "[**Donate**](https://example.org/d)", `<p><a href="https://example.org/d"><strong>Donate</strong></a></p>` + "\n", "Donate (https://example.org/d)\n"},
		{"javascript", "[click](javascript:alert(1))", "<p>click</p>\n", "click\n"},
		{"javascript upper", "[click](JavaScript:alert(1))", "<p>click</p>\n", "click\n"},
		{"data", "[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>\n", "x\n"},
		{"http", "[x](http://example.org)", "<p>x</p>\n", "x\n"},
		{"mailto", "[x](mailto:a@example.org)", "<p>x</p>\n", "x\n"},
		{"no host", "[x](https:///path)", "<p>x</p>\n", "x\n"},
		{"user info", "[x](https://evil@example.org)", "<p>x</p>\n", "x\n"},
		{"quote in url", `[x](https://example.org/"onmouseover="alert(1))`, "<p>x</p>\n", "x\n"},
		{"space in url", "[x](https://example.org/a b)", "<p>[x](https://example.org/a b)</p>\n", "[x](https://example.org/a b)\n"},
		{"raw html", `<script>alert("x")</script> <b onclick=1>hi</b>`,
			"<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &lt;b onclick=1&gt;hi&lt;/b&gt;</p>\n", `<script>alert("x")</script> <b onclick=1>hi</b>` + "\n"},
		{"html in a link's text", `[<img src=x onerror=alert(1)>](https://example.org)`,
			`<p><a href="https://example.org">&lt;img src=x onerror=alert(1)&gt;</a></p>` + "\n", "<img src=x onerror=alert(1)> (https://example.org)\n"},
		{"entities", "Tom & Jerry &amp; co", "<p>Tom &amp; Jerry &amp;amp; co</p>\n", "Tom & Jerry &amp; co\n"},
		{"headings", "## Why\n### When\n# Where\nText", "<h2>Why</h2>\n<h3>When</h3>\n<h2>Where</h2>\n<p>Text</p>\n", "Why\n\nWhen\n\nWhere\n\nText\n"},
		{"no heading without a space", "#hashtag", "<p>#hashtag</p>\n", "#hashtag\n"},
		{"list", "Bring:\n- water\n* a **sign**\n+ friends\n  and family\n\nThanks", "<p>Bring:</p>\n<ul>\n<li>water</li>\n<li>a <strong>sign</strong></li>\n<li>friends and family</li>\n</ul>\n<p>Thanks</p>\n",
			"Bring:\n\n- water\n- a sign\n- friends and family\n\nThanks\n"},
		{"org", "From {org}, with *thanks*", "<p>From Solidarity &amp; Co, with <em>thanks</em></p>\n", "From Solidarity & Co, with thanks\n"},
		{"empty", "", "", "\n"},
	} {
		org := organization.Default()
		org.Name.EN, org.Name.FR = "Solidarity & Co", "Solidarité & Cie"
		subject, text, html := Render(one(tt.body), "en", org)
		if subject != "Subject" {
			t.Errorf("%s: subject %q", tt.name, subject)
		}
		if want := `<div lang="en">` + "\n" + tt.html + "</div>\n"; html != want {
			t.Errorf("%s: html\n%q\nwant\n%q", tt.name, html, want)
		}
		if text != tt.text {
			t.Errorf("%s: text\n%q\nwant\n%q", tt.name, text, tt.text)
		}
	}
}

// TestRenderLanguages: a person's language gets that language only; a person without
// one gets English then French, each marked with its lang.
func TestRenderLanguages(t *testing.T) {
	b := Broadcast{SubjectEN: "Rally for {org}", SubjectFR: "Manif pour {org}", BodyEN: "Come **now**.", BodyFR: "Venez **maintenant**."}
	org := organization.Default()
	org.Name.EN, org.Name.FR = "Solidarity", "Solidarité"
	subject, text, html := Render(b, "fr", org)
	if subject != "Manif pour Solidarité" || text != "Venez maintenant.\n" ||
		html != "<div lang=\"fr\">\n<p>Venez <strong>maintenant</strong>.</p>\n</div>\n" {
		t.Errorf("fr: %q %q %q", subject, text, html)
	}
	subject, text, html = Render(b, "", org)
	if subject != "Rally for Solidarity / Manif pour Solidarité" {
		t.Errorf("both: subject %q", subject)
	}
	if text != "Come now.\n\n----------\n\nVenez maintenant.\n" {
		t.Errorf("both: text %q", text)
	}
	if html != "<div lang=\"en\">\n<p>Come <strong>now</strong>.</p>\n</div>\n<hr>\n<div lang=\"fr\">\n<p>Venez <strong>maintenant</strong>.</p>\n</div>\n" {
		t.Errorf("both: html %q", html)
	}
	if s, _, _ := Render(Broadcast{SubjectEN: "Same", SubjectFR: "Same"}, "xx", org); s != "Same" {
		t.Errorf("the same subject twice: %q", s)
	}
	if s, _, _ := Render(b, "EN", organization.Identity{}); s != "Rally for "+organization.Default().Name.In(i18n.EN) {
		t.Errorf("the default organization: %q", s)
	}
}

var (
	tagRE  = regexp.MustCompile(`<(/?)([a-zA-Z0-9]*)([^>]*)>`)
	allow  = map[string]bool{"h2": true, "h3": true, "p": true, "br": true, "ul": true, "li": true, "strong": true, "em": true, "a": true, "div": true, "hr": true}
	attrRE = regexp.MustCompile(`^(?: href="https://[^"<>]*"| lang="(?:en|fr)")?$`)
)

func FuzzRender(f *testing.F) {
	for _, s := range []string{"**a** *b* [c](https://d)", "<script>x</script>", "[x](javascript:alert(1))", "- a\n- b\n\n## h",
		"[[[[](((", "***", `\\*`, "[a](https://x/\"onload=\"y)", "{org}", "[x](https://a.b/(c)"} {
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, body, lang string) {
		b := Broadcast{SubjectEN: body, SubjectFR: body, BodyEN: body, BodyFR: body}
		subject, _, html := Render(b, lang, organization.Identity{})
		if strings.ContainsAny(subject, "\n\r") {
			t.Fatalf("subject %q", subject)
		}
		if strings.Contains(strings.ToLower(html), "<script") {
			t.Fatalf("%q → %q", body, html)
		}
		// Every < starts a tag this package writes; every attribute is a lang or an
		// https:// link (so no javascript: nor an event handler).
		if strings.Count(html, "<") != len(tagRE.FindAllString(html, -1)) {
			t.Fatalf("%q: a < that starts no tag in %q", body, html)
		}
		for _, m := range tagRE.FindAllStringSubmatch(html, -1) {
			if !allow[m[2]] || (m[1] == "/" && m[3] != "") || !attrRE.MatchString(m[3]) {
				t.Fatalf("%q: tag %q in %q", body, m[0], html)
			}
		}
		if strings.Contains(strings.ToLower(html), `href="javascript:`) || strings.Contains(strings.ToLower(html), `href="data:`) {
			t.Fatalf("%q → %q", body, html)
		}
	})
}
