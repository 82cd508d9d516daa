package consent_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/consent"
)

func TestGrant(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	from := consent.Origin{FormURL: "https://solidarity.example/adherer", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}
	for _, c := range []struct {
		name, lang, wording string
	}{
		{"a yes in English records the English words", "en", "Yes, send me news and calls to action by email. I can unsubscribe at any time."},
		{"a yes in French records the French words", "fr", "Oui, envoyez-moi des nouvelles et des appels à l’action par courriel. Je peux me désabonner en tout temps."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := consent.Grant("elise@example.org", c.lang, "membership_form", "mem_1", from, at)
			want := consent.Record{Email: "elise@example.org", Purpose: "news", Granted: true, Version: "news-2024-01",
				Wording: c.wording, Language: c.lang, Source: "membership_form", SourceID: "mem_1",
				FormURL: from.FormURL, IP: from.IP, UserAgent: from.UserAgent, At: at}
			if got != want {
				t.Errorf("Grant =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
	t.Run("both languages have wording for the current version", func(t *testing.T) {
		for _, lang := range []string{"en", "fr"} {
			if strings.TrimSpace(consent.Wording[lang]) == "" {
				t.Errorf("no %s wording", lang)
			}
		}
	})
}

func TestOriginOf(t *testing.T) {
	request := func(referer, ua, remote string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/members", nil)
		r.Header.Set("Referer", referer)
		r.Header.Set("User-Agent", ua)
		r.Header.Set("X-Forwarded-For", "192.0.2.99")
		r.RemoteAddr = remote
		return r
	}
	t.Run("the form's page is the Referer, the browser its User-Agent, the address the caller's", func(t *testing.T) {
		got := consent.OriginOf(request("https://solidarity.example/don", "Mozilla/5.0 (X11)", "203.0.113.7:51234"))
		want := consent.Origin{FormURL: "https://solidarity.example/don", IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11)"}
		if got != want {
			t.Errorf("OriginOf = %+v, want %+v", got, want)
		}
	})
	t.Run("a request without headers has an empty page and browser", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/members", nil)
		r.RemoteAddr = "198.51.100.23"
		if got := consent.OriginOf(r); got != (consent.Origin{IP: "198.51.100.23"}) {
			t.Errorf("OriginOf = %+v", got)
		}
	})
	t.Run("a long Referer is clipped to 2048 bytes", func(t *testing.T) {
		long := "https://solidarity.example/?q=" + strings.Repeat("x", 5000)
		if got := consent.OriginOf(request(long, "ua", "203.0.113.7:1")).FormURL; got != long[:2048] {
			t.Errorf("FormURL is %d bytes", len(got))
		}
	})
	t.Run("a long User-Agent is clipped to 512 bytes", func(t *testing.T) {
		long := strings.Repeat("Mozilla ", 200)
		if got := consent.OriginOf(request("", long, "203.0.113.7:1")).UserAgent; got != long[:512] {
			t.Errorf("UserAgent is %d bytes", len(got))
		}
	})
	t.Run("clipping inside a character drops the partial character", func(t *testing.T) {
		ua := strings.Repeat("a", 511) + "é and more" // é is 2 bytes: the 512th byte is its first half
		got := consent.OriginOf(request("", ua, "203.0.113.7:1")).UserAgent
		if got != strings.Repeat("a", 511) || !utf8.ValidString(got) {
			t.Errorf("UserAgent %q (%d bytes)", got[len(got)-5:], len(got))
		}
	})
	t.Run("invalid UTF-8 in a header is removed", func(t *testing.T) {
		got := consent.OriginOf(request("https://solidarity.example/\xff\xfe/don", "Bot\xc3", "203.0.113.7:1"))
		if got.FormURL != "https://solidarity.example//don" || got.UserAgent != "Bot" {
			t.Errorf("OriginOf = %q %q", got.FormURL, got.UserAgent)
		}
	})
}
