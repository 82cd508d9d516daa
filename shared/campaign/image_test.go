package campaign_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// svgImage is what the tests read back of a progress image.
type svgImage struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Width   string   `xml:"width,attr"`
	Lang    string   `xml:"lang,attr"`
	Title   string   `xml:"title"`
	Text    []string `xml:"text"`
	Rects   []struct {
		Width string `xml:"width,attr"`
		Fill  string `xml:"fill,attr"`
	} `xml:"rect"`
}

func readImage(t *testing.T, body []byte) svgImage {
	t.Helper()
	var img svgImage
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	dec.Strict = true
	if err := dec.Decode(&img); err != nil {
		t.Fatalf("not an SVG document: %v\n%s", err, body)
	}
	return img
}

func TestAmount(t *testing.T) {
	for _, c := range []struct {
		lang  i18n.Lang
		cents int64
		want  string
	}{
		{i18n.EN, 9_000_000, "$90,000"},
		{i18n.FR, 9_000_000, "90\u00a0000\u00a0$"},
		{i18n.EN, 10_000_000, "$100,000"},
		{i18n.FR, 10_000_000, "100\u00a0000\u00a0$"},
		{i18n.EN, 12_399, "$123"}, // the cents dropped, not rounded up
		{i18n.FR, 12_399, "123\u00a0$"},
		{i18n.EN, 99, "$0"},
		{i18n.EN, 0, "$0"},
		{i18n.FR, 0, "0\u00a0$"},
		{i18n.EN, -500, "$0"}, // refunds beyond the money raised: nothing raised
		{i18n.EN, 123_456_789_012, "$1,234,567,890"},
		{i18n.FR, 123_456_789_012, "1\u00a0234\u00a0567\u00a0890\u00a0$"},
	} {
		if got := campaign.Amount(c.lang, c.cents); got != c.want {
			t.Errorf("Amount(%s, %d) = %q, want %q", c.lang, c.cents, got, c.want)
		}
	}
}

func TestImage(t *testing.T) {
	campaigns := map[string]campaign.Campaign{
		"appeal-2024": {Slug: "appeal-2024", TitleEN: `<script>alert("en")</script>`, TitleFR: "Campagne & <b>2024</b>", Currency: "cad",
			GoalCents: 10_000_000, OfflineCents: 9_000_000, PaidCents: 2_599, RefundedCents: 500, Open: true, ClosesAt: &closes},
		"beyond":   {Slug: "beyond", Currency: "cad", GoalCents: 10_000, PaidCents: 15_050},
		"refunded": {Slug: "refunded", Currency: "cad", GoalCents: 10_000, PaidCents: 1_000, RefundedCents: 2_000},
		"nothing":  {Slug: "nothing", Currency: "cad", GoalCents: 500_000},
	}
	var asked []string
	mux := httpapi.Mux(campaign.Handler{Campaigns: store{campaign: func(_ context.Context, slug string) (campaign.Campaign, error) {
		asked = append(asked, slug)
		if slug == "broken" {
			return campaign.Campaign{}, errors.New("dynamodb: ProvisionedThroughputExceededException on CAMPAIGN#broken")
		}
		c, ok := campaigns[slug]
		if !ok {
			return c, campaign.ErrNotFound
		}
		return c, nil
	}}})
	get := func(t *testing.T, target, acceptLanguage string, org *organization.Identity) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if acceptLanguage != "" {
			r.Header.Set("Accept-Language", acceptLanguage)
		}
		if org != nil {
			r = r.WithContext(organization.With(r.Context(), *org))
		}
		w := httptest.NewRecorder()
		asked = nil
		mux.ServeHTTP(w, r)
		return w
	}

	for _, c := range []struct {
		lang i18n.Lang
		want string
	}{
		{i18n.EN, "$90,020 raised of $100,000"}, // 90,020.99: never rounded up
		{i18n.FR, "90\u00a0020\u00a0$ amassés sur 100\u00a0000\u00a0$"},
	} {
		t.Run("the progress in "+string(c.lang)+", the numbers of GET /campaigns/{slug}", func(t *testing.T) {
			w := get(t, "/campaigns/appeal-2024/progress.svg?lang="+string(c.lang), "", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if len(asked) != 1 || asked[0] != "appeal-2024" {
				t.Errorf("store asked for %q", asked)
			}
			for k, want := range map[string]string{
				"Content-Type": "image/svg+xml; charset=utf-8", "X-Content-Type-Options": "nosniff",
				"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
				"Cache-Control":           "public, max-age=30", "Vary": "Accept-Language",
			} {
				if got := w.Header().Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			img := readImage(t, w.Body.Bytes())
			if img.Title != c.want || len(img.Text) != 1 || img.Text[0] != c.want {
				t.Errorf("title %q, text %q, want %q", img.Title, img.Text, c.want)
			}
			if img.ViewBox != "0 0 360 52" || img.Width != "100%" || img.Lang != string(c.lang) {
				t.Errorf("viewBox %q width %q lang %q", img.ViewBox, img.Width, img.Lang)
			}
			// 90,020.99 of 100,000: 90 %, the bar 324 of 360 in the organization's colour.
			if len(img.Rects) != 2 || img.Rects[0].Width != "360" || img.Rects[1].Width != "324.0" || img.Rects[1].Fill != organization.Default().Accent() {
				t.Errorf("bar %+v", img.Rects)
			}
			// The same reading as GET /campaigns/{slug}, in the same language.
			jw := get(t, "/campaigns/appeal-2024?language="+string(c.lang), "", nil)
			var p campaign.Progress
			if err := json.Unmarshal(jw.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.RaisedCents != 9_002_099 || campaign.ProgressText(c.lang, p) != img.Title ||
				!strings.HasPrefix(img.Title, campaign.Amount(c.lang, p.RaisedCents)+" ") {
				t.Errorf("GET says %d raised, %q; the image %q", p.RaisedCents, campaign.ProgressText(c.lang, p), img.Title)
			}
			if jw.Header().Get("Cache-Control") != w.Header().Get("Cache-Control") || jw.Header().Get("Vary") != w.Header().Get("Vary") {
				t.Errorf("cached as %q %q, GET as %q %q", w.Header().Get("Cache-Control"), w.Header().Get("Vary"),
					jw.Header().Get("Cache-Control"), jw.Header().Get("Vary"))
			}
		})
	}

	t.Run("without lang, Accept-Language chooses; the JSON's language parameter is not this one's", func(t *testing.T) {
		if img := readImage(t, get(t, "/campaigns/appeal-2024/progress.svg", "fr-CA,fr;q=0.9", nil).Body.Bytes()); img.Lang != "fr" {
			t.Errorf("lang %q", img.Lang)
		}
		if img := readImage(t, get(t, "/campaigns/appeal-2024/progress.svg?language=fr", "", nil).Body.Bytes()); img.Lang != "en" {
			t.Errorf("lang %q", img.Lang)
		}
		if img := readImage(t, get(t, "/campaigns/appeal-2024/progress.svg?lang=fr", "en", nil).Body.Bytes()); img.Lang != "fr" {
			t.Errorf("lang %q", img.Lang)
		}
	})

	t.Run("only numbers are drawn: no campaign title, escaped or not", func(t *testing.T) {
		for _, lang := range []string{"en", "fr"} {
			body := get(t, "/campaigns/appeal-2024/progress.svg?lang="+lang, "", nil).Body.String()
			for _, not := range []string{"script", "alert", "Campagne", "&amp;", "<b>", "2024"} {
				if strings.Contains(body, not) {
					t.Errorf("%s: the image has %q:\n%s", lang, not, body)
				}
			}
		}
	})

	t.Run("the bar is in the accent colour of the request's organization", func(t *testing.T) {
		other := otherorg.Identity
		if img := readImage(t, get(t, "/campaigns/appeal-2024/progress.svg", "", &other).Body.Bytes()); img.Rects[1].Fill != "#1b5e20" {
			t.Errorf("fill %q", img.Rects[1].Fill)
		}
		// An identity handed over unchecked writes no markup: the default colour stands in.
		bad := otherorg.Identity
		bad.AccentColor = `#fff"/><script>alert(1)</script><rect fill="`
		w := get(t, "/campaigns/appeal-2024/progress.svg", "", &bad)
		if img := readImage(t, w.Body.Bytes()); img.Rects[1].Fill != organization.DefaultAccent || strings.Contains(w.Body.String(), "script") {
			t.Errorf("fill %q:\n%s", img.Rects[1].Fill, w.Body)
		}
	})

	t.Run("the bar is full past the goal, empty with nothing or less than nothing raised", func(t *testing.T) {
		for slug, want := range map[string][2]string{
			"beyond":   {"360.0", "$150 raised of $100"},
			"refunded": {"0.0", "$0 raised of $100"},
			"nothing":  {"0.0", "$0 raised of $5,000"},
		} {
			img := readImage(t, get(t, "/campaigns/"+slug+"/progress.svg?lang=en", "", nil).Body.Bytes())
			if img.Rects[1].Width != want[0] || img.Title != want[1] {
				t.Errorf("%s: bar %q, title %q, want %q", slug, img.Rects[1].Width, img.Title, want)
			}
		}
	})

	t.Run("an unknown campaign is a 404 image, not cached, in the language", func(t *testing.T) {
		for _, slug := range []string{"no-such-appeal", "Appeal-2024", strings.Repeat("a", 2000)} {
			w := get(t, "/campaigns/"+slug+"/progress.svg?lang=fr", "", nil)
			if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
				w.Header().Get("Cache-Control") != "" || w.Header().Get("Content-Security-Policy") != campaign.ImagePolicy ||
				w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%.20s: status %d, headers %v", slug, w.Code, w.Header())
			}
			if img := readImage(t, w.Body.Bytes()); img.Title != "Introuvable." || len(img.Rects) != 0 {
				t.Errorf("%.20s: %+v", slug, img)
			}
		}
		if len(asked) != 0 {
			t.Errorf("a malformed slug was looked up: %q", asked)
		}
	})

	t.Run("a store failure is an internal error that tells nothing of it", func(t *testing.T) {
		w := get(t, "/campaigns/broken/progress.svg", "", nil)
		if body := w.Body.String(); w.Code != http.StatusInternalServerError || !strings.Contains(body, `"error":"internal"`) ||
			strings.Contains(body, "Provisioned") || w.Header().Get("Cache-Control") != "" {
			t.Errorf("status %d, body %q", w.Code, body)
		}
	})

	t.Run("only GET is routed", func(t *testing.T) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/campaigns/appeal-2024/progress.svg", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d", w.Code)
		}
	})
}

// FuzzImage: whatever the totals, the image is a well-formed SVG whose title is its text
// and whose bar stays inside it.
func FuzzImage(f *testing.F) {
	f.Add(int64(10_000_000), int64(9_000_000), int64(0), false)
	f.Add(int64(0), int64(-5), int64(1<<62), true)
	f.Fuzz(func(t *testing.T, goal, offline, paid int64, fr bool) {
		lang := i18n.EN
		if fr {
			lang = i18n.FR
		}
		c := campaign.Campaign{Slug: "a", GoalCents: goal, OfflineCents: offline, PaidCents: paid}
		mux := httpapi.Mux(campaign.Handler{Campaigns: store{campaign: func(context.Context, string) (campaign.Campaign, error) { return c, nil }}})
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/campaigns/a/progress.svg?lang="+string(lang), nil))
		img := readImage(t, w.Body.Bytes())
		if w.Code != http.StatusOK || img.Title == "" || len(img.Text) != 1 || img.Text[0] != img.Title || len(img.Rects) != 2 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if bar, err := strconv.ParseFloat(img.Rects[1].Width, 64); err != nil || bar < 0 || bar > 360 {
			t.Fatalf("bar %q", img.Rects[1].Width)
		}
	})
}
