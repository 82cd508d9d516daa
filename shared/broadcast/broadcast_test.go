package broadcast

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
)

func TestParseAudience(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Audience
		key  string // the refusal's catalogue key, when refused
	}{
		{"news", Audience{Kind: News}, ""},
		{"  subscribers ", Audience{Kind: Subscribers}, ""},
		{"dues", Audience{Kind: Dues}, ""},
		{"branches:montreal,laval", Audience{Kind: Branches, Values: []string{"montreal", "laval"}}, ""},
		{"branches: montreal , laval,montreal", Audience{Kind: Branches, Values: []string{"montreal", "laval"}}, ""},
		{"provinces:QC,on", Audience{Kind: Provinces, Values: []string{"QC", "ON"}}, ""},
		{"donors:autumn-2026", Audience{Kind: Donors, Values: []string{"autumn-2026"}}, ""},
		{"", Audience{}, "broadcast.audience.empty"},
		{"   ", Audience{}, "broadcast.audience.empty"},
		{"everyone", Audience{}, "broadcast.audience.unknown"},
		{"News", Audience{}, "broadcast.audience.unknown"},
		{"branch:montreal", Audience{}, "broadcast.audience.unknown"},
		{"news:all", Audience{}, "broadcast.audience.no_values"},
		{"news:", Audience{}, "broadcast.audience.no_values"},
		{"branches", Audience{}, "broadcast.audience.values_needed"},
		{"branches:", Audience{}, "broadcast.audience.values_needed"},
		{"branches: ", Audience{}, "broadcast.audience.values_needed"},
		{"branches:montreal,,laval", Audience{}, "broadcast.audience.empty_value"},
		{"branches:montreal,", Audience{}, "broadcast.audience.empty_value"},
		{"branches:Montréal", Audience{}, "broadcast.audience.bad_branch"},
		{"branches:mont real", Audience{}, "broadcast.audience.bad_branch"},
		{"branches:-montreal", Audience{}, "broadcast.audience.bad_branch"},
		{"provinces:QC,XX", Audience{}, "broadcast.audience.bad_province"},
		{"provinces:Quebec", Audience{}, "broadcast.audience.bad_province"},
		{"provinces:QC:ON", Audience{}, "broadcast.audience.bad_province"},
		{"donors:autumn-2026,spring", Audience{}, "broadcast.audience.one_campaign"},
		{"donors:Autumn", Audience{}, "broadcast.audience.bad_campaign"},
		{"donors", Audience{}, "broadcast.audience.values_needed"},
		{"branches:" + strings.Repeat("a,", 1500), Audience{}, "broadcast.audience.too_long"},
		{"branches:" + strings.TrimSuffix(strings.Repeat("ab,", 101), ","), Audience{}, ""}, // the same slug, once
		{"provinces:\xff", Audience{}, "broadcast.audience.too_long"},
	} {
		got, err := ParseAudience(tt.in)
		var refused *Error
		switch {
		case tt.key == "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.key == "" && tt.want.Kind != "" && !reflect.DeepEqual(got, tt.want):
			t.Errorf("%q: %+v, want %+v", tt.in, got, tt.want)
		case tt.key != "" && (!errors.As(err, &refused) || refused.Key != tt.key):
			t.Errorf("%q: %v (%+v), want refused %s", tt.in, err, got, tt.key)
		}
		if tt.key != "" && err != nil {
			for _, l := range []i18n.Lang{i18n.EN, i18n.FR} {
				if msg := i18n.Text(l, refused.Message()); msg == refused.Key || strings.Contains(msg, "%!") {
					t.Errorf("%q: no %s words for %s: %q", tt.in, l, refused.Key, msg)
				}
			}
		}
		if err == nil {
			again, err := ParseAudience(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("%q: read back from %q as %+v, %v", tt.in, got.String(), again, err)
			}
		}
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("b%d", i)
	}
	if _, err := ParseAudience("branches:" + strings.Join(many, ",")); err == nil || !strings.Contains(err.Error(), "100") {
		t.Errorf("101 branches: %v", err)
	}
}

func FuzzParseAudience(f *testing.F) {
	for _, s := range []string{"news", "branches:a,b", "provinces:QC,ON", "donors:x", "dues", "subscribers:", "branches:,", "provinces:qc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAudience(s)
		if err != nil {
			var refused *Error
			if !errors.As(err, &refused) {
				t.Fatalf("%q: an error that is not a refusal: %v", s, err)
			}
			return
		}
		switch a.Kind {
		case News, Subscribers, Dues:
			if len(a.Values) != 0 {
				t.Fatalf("%q: %+v", s, a)
			}
		case Branches, Provinces, Donors:
			if len(a.Values) == 0 || len(a.Values) > MaxValues || (a.Kind == Donors && len(a.Values) != 1) {
				t.Fatalf("%q: %+v", s, a)
			}
		default:
			t.Fatalf("%q: kind %q", s, a.Kind)
		}
		again, err := ParseAudience(a.String())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("%q: %+v reads back as %+v, %v", s, a, again, err)
		}
	})
}

func TestParseMessage(t *testing.T) {
	for _, tt := range []struct {
		name, in      string
		subject, body string
		key           string
	}{
		{"plain", "# Rally on Saturday\n\nCome to the park at noon.\n", "Rally on Saturday", "Come to the park at noon.", ""},
		{"windows and bom", "\uFEFF# Rally\r\n\r\nLine one\r\nLine two\r\n\r\n", "Rally", "Line one\nLine two", ""},
		{"spaces", "  #   Rally   \nBody", "Rally", "Body", ""},
		{"french", "# Manif samedi : venez !\n\nÀ midi, au parc — « tous ensemble ».", "Manif samedi : venez !", "À midi, au parc — « tous ensemble ».", ""},
		{"tabs kept", "# S\n\n\tindented", "S", "\tindented", ""},
		{"no hash", "Rally\n\nBody", "", "", "broadcast.message.no_subject"},
		{"heading two", "## Rally\n\nBody", "", "", "broadcast.message.no_subject"},
		{"empty subject", "#   \n\nBody", "", "", "broadcast.message.no_subject"},
		{"blank first line", "\n# Rally\n\nBody", "", "", "broadcast.message.no_subject"},
		{"empty", "", "", "", "broadcast.message.no_subject"},
		{"no body", "# Rally\n\n  \n", "", "", "broadcast.message.empty_body"},
		{"only subject", "# Rally", "", "", "broadcast.message.empty_body"},
		{"http link", "# Rally\n\nSee [the map](http://example.org/map).", "", "", "broadcast.message.link"},
		{"mailto link", "# Rally\n\n[Write](mailto:a@example.org) or [read](https://example.org).", "", "", "broadcast.message.link"},
		{"relative link", "# Rally\n\n[Join](/join.html)", "", "", "broadcast.message.link"},
		{"second link dropped", "# Rally\n\n[ok](https://example.org) and [not](javascript:alert(1))", "", "", "broadcast.message.link"},
		{"escaped bracket: no link", "# Rally\n\n\\[x](mailto:a@example.org)", "Rally", "\\[x](mailto:a@example.org)", ""},
		{"link text across lines: no link", "# Rally\n\nBring [your own\nsign](http://example.org)", "Rally", "Bring [your own\nsign](http://example.org)", ""},
		{"unsafe link inside an address, after a line break", "# Rally\n\n[a\nb](https://example.org/[c](http://example.org))", "", "", "broadcast.message.link"},
		{"https links kept", "# Rally\n\n[a](https://example.org/a) [b](https://example.org/b(1)) [not a link] (x)", "Rally",
			"[a](https://example.org/a) [b](https://example.org/b(1)) [not a link] (x)", ""},
		{"long subject", "# " + strings.Repeat("é", MaxSubject+1) + "\n\nBody", "", "", "broadcast.message.subject_too_long"},
		{"longest subject", "# " + strings.Repeat("é", MaxSubject) + "\n\nBody", strings.Repeat("é", MaxSubject), "Body", ""},
		{"latin-1", "# Rally\n\nCaf\xe9", "", "", "broadcast.message.not_utf8"},
		{"nul", "# Rally\n\nBo\x00dy", "", "", "broadcast.message.control"},
		{"escape", "# Rally\n\n\x1b[31mred", "", "", "broadcast.message.control"},
		{"lone cr", "# Rally\n\nBody\rmore", "", "", "broadcast.message.control"},
		{"bidi override", "# Rally\n\nevil\u202Etxt.exe", "", "", "broadcast.message.control"},
		{"line separator", "# Ral\u2028ly\n\nBody", "", "", "broadcast.message.control"},
		{"too large", "# Rally\n\n" + strings.Repeat("a", MaxFile), "", "", "broadcast.message.too_large"},
	} {
		subject, body, err := ParseMessage([]byte(tt.in))
		var refused *Error
		switch {
		case tt.key == "" && (err != nil || subject != tt.subject || body != tt.body):
			t.Errorf("%s: %q %q %v, want %q %q", tt.name, subject, body, err, tt.subject, tt.body)
		case tt.key != "" && (!errors.As(err, &refused) || refused.Key != tt.key):
			t.Errorf("%s: %q %q %v, want refused %s", tt.name, subject, body, err, tt.key)
		case tt.key != "":
			for _, l := range []i18n.Lang{i18n.EN, i18n.FR} {
				if msg := i18n.Text(l, refused.Message()); msg == refused.Key || strings.Contains(msg, "%!") {
					t.Errorf("%s: no %s words for %s: %q", tt.name, l, refused.Key, msg)
				}
			}
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{"# S\n\nBody", "\uFEFF# S\r\nB", "S", "# \n", "#S\n\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		subject, body, err := ParseMessage(src)
		if err != nil {
			var refused *Error
			if !errors.As(err, &refused) {
				t.Fatalf("an error that is not a refusal: %v", err)
			}
			return
		}
		if subject == "" || strings.TrimSpace(body) == "" || strings.ContainsAny(subject, "\n\r") ||
			len([]rune(subject)) > MaxSubject || strings.ContainsRune(body, '\r') {
			t.Fatalf("%q → %q %q", src, subject, body)
		}
		for _, r := range subject + body {
			if r != '\n' && forbidden(r) {
				t.Fatalf("%q kept %U", src, r)
			}
		}
	})
}
