package e2e

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/i18n"
)

// TestProgressImage: the appeal's progress drawn without script, fetched through the
// local stack as the donate page's <img> does, says the total GET /campaigns/{slug} gives
// (the seeded $90,000 offline and a $25 gift paid), in whole dollars, in each language,
// in the organization's colour, cached like the JSON and unable to run script.
func TestProgressImage(t *testing.T) {
	s := newStack(t, false, withOtherOrg)
	d := s.donate(map[string]any{"email": "image.progress@example.org"})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))

	for lang, want := range map[i18n.Lang]string{
		i18n.EN: "$90,025 raised of $100,000",
		i18n.FR: "90\u00a0025\u00a0$ amassés sur 100\u00a0000\u00a0$",
	} {
		res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug+"/progress.svg?lang="+string(lang), "", "", nil)
		if res.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", lang, res.status, res.body)
		}
		for k, v := range map[string]string{
			"Content-Type": "image/svg+xml; charset=utf-8", "X-Content-Type-Options": "nosniff",
			"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'", "Cache-Control": "public, max-age=30",
		} {
			if got := res.header.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", lang, k, got, v)
			}
		}
		var img struct {
			Lang  string   `xml:"lang,attr"`
			Title string   `xml:"title"`
			Text  []string `xml:"text"`
			Rects []struct {
				Width string `xml:"width,attr"`
				Fill  string `xml:"fill,attr"`
			} `xml:"rect"`
		}
		if err := xml.Unmarshal(res.body, &img); err != nil {
			t.Fatalf("%s: not XML: %v\n%s", lang, err, res.body)
		}
		if img.Title != want || len(img.Text) != 1 || img.Text[0] != want || img.Lang != string(lang) {
			t.Errorf("%s: title %q, text %q, lang %q; want %q", lang, img.Title, img.Text, img.Lang, want)
		}
		if len(img.Rects) != 2 || img.Rects[1].Width != "324.0" || img.Rects[1].Fill != "#1b5e20" {
			t.Errorf("%s: bar %+v", lang, img.Rects)
		}
		// The JSON's total, formatted the same way, is the image's.
		got := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug+"?language="+string(lang), "", "", nil)
		raised, _ := got.json(t)["raised_cents"].(float64)
		goal, _ := got.json(t)["goal_cents"].(float64)
		if raised != 9_002_500 || !strings.HasPrefix(img.Title, campaign.Amount(lang, int64(raised))+" ") ||
			campaign.ProgressText(lang, campaign.Progress{RaisedCents: int64(raised), GoalCents: int64(goal)}) != img.Title {
			t.Errorf("%s: GET says %v of %v, the image %q", lang, raised, goal, img.Title)
		}
		if got.header.Get("Cache-Control") != res.header.Get("Cache-Control") {
			t.Errorf("%s: the JSON is cached %q, the image %q", lang, got.header.Get("Cache-Control"), res.header.Get("Cache-Control"))
		}
		if strings.Contains(string(res.body), "<script") || strings.Contains(string(res.body), "Campagne") || strings.Contains(string(res.body), "appeal") {
			t.Errorf("%s: the image shows more than numbers:\n%s", lang, res.body)
		}
	}

	missing := s.do(http.MethodGet, "/campaigns/no-such-appeal/progress.svg?lang=fr", "", "", nil)
	if missing.status != http.StatusNotFound || missing.header.Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
		!strings.Contains(string(missing.body), "<title id=\"t\">Introuvable.</title>") || missing.header.Get("Cache-Control") != "" {
		t.Errorf("unknown campaign: %d %v\n%s", missing.status, missing.header, missing.body)
	}
}
