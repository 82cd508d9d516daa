package campaign_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

var (
	now    = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	closes = time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
)

func TestWithDefaults(t *testing.T) {
	for _, c := range []struct {
		name           string
		in             campaign.Campaign
		min, max       int64
		currency, slug string
	}{
		{"empty limits and currency get docs/api.md's defaults", campaign.Campaign{Slug: "a"}, 100, 1_000_000, "cad", "a"},
		{"negative limits count as empty", campaign.Campaign{Slug: "a", MinCents: -5, MaxCents: -1}, 100, 1_000_000, "cad", "a"},
		{"limits and currency that are set are kept", campaign.Campaign{Slug: "a", MinCents: 500, MaxCents: 50_000, Currency: "usd"}, 500, 50_000, "usd", "a"},
		{"one limit set keeps it and fills the other", campaign.Campaign{Slug: "a", MaxCents: 2_000}, 100, 2_000, "cad", "a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := c.in.WithDefaults()
			if got.MinCents != c.min || got.MaxCents != c.max || got.Currency != c.currency || got.Slug != c.slug {
				t.Errorf("WithDefaults = min %d max %d %q %q, want %d %d %q %q", got.MinCents, got.MaxCents, got.Currency, got.Slug,
					c.min, c.max, c.currency, c.slug)
			}
		})
	}
}

func TestAccepting(t *testing.T) {
	at := func(t time.Time) *time.Time { return &t }
	for _, c := range []struct {
		name string
		c    campaign.Campaign
		want bool
	}{
		{"an open campaign with no closing date accepts", campaign.Campaign{Open: true}, true},
		{"an open campaign before its closing accepts", campaign.Campaign{Open: true, ClosesAt: at(closes)}, true},
		{"an open campaign at its closing instant refuses", campaign.Campaign{Open: true, ClosesAt: at(now)}, false},
		{"an open campaign after its closing refuses", campaign.Campaign{Open: true, ClosesAt: at(now.Add(-time.Second))}, false},
		{"a campaign not open refuses", campaign.Campaign{}, false},
		{"a campaign not open refuses even before its closing", campaign.Campaign{ClosesAt: at(closes)}, false},
		{"the closing instant is compared whatever its zone", campaign.Campaign{Open: true,
			ClosesAt: at(time.Date(2026, 11, 27, 7, 0, 1, 0, time.FixedZone("EST", -5*3600)))}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Accepting(now); got != c.want {
				t.Errorf("Accepting = %v, want %v", got, c.want)
			}
		})
	}
}

func TestTitle(t *testing.T) {
	for _, c := range []struct {
		name, en, fr string
		lang         i18n.Lang
		want         string
	}{
		{"English in English", "Spring appeal", "Campagne du printemps", i18n.EN, "Spring appeal"},
		{"French in French", "Spring appeal", "Campagne du printemps", i18n.FR, "Campagne du printemps"},
		{"French without a French title falls back to English", "Spring appeal", "", i18n.FR, "Spring appeal"},
		{"English without an English title falls back to French", "", "Campagne du printemps", i18n.EN, "Campagne du printemps"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := (campaign.Campaign{TitleEN: c.en, TitleFR: c.fr}).Title(c.lang); got != c.want {
				t.Errorf("Title = %q, want %q", got, c.want)
			}
		})
	}
}

func TestProgressOf(t *testing.T) {
	for _, c := range []struct {
		name                      string
		goal, offline, paid, refd int64
		raised, percent           int64
	}{
		{"raised is offline plus paid less refunded", 1_000_000, 25_000, 100_000, 5_000, 120_000, 12},
		{"percent is rounded down", 1_000, 0, 999, 0, 999, 99},
		{"percent just short of the goal is not 100", 10_000_000, 0, 9_999_999, 0, 9_999_999, 99},
		{"the goal reached is 100", 10_000, 4_000, 6_000, 0, 10_000, 100},
		{"percent may exceed 100", 10_000, 0, 15_050, 0, 15_050, 150},
		{"no goal is no percent", 0, 0, 5_000, 0, 5_000, 0},
		{"refunds beyond the money raised show a negative total and no percent", 10_000, 0, 1_000, 2_000, -1_000, 0},
		{"nothing raised is zero", 10_000, 0, 0, 0, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			camp := campaign.Campaign{Slug: "appeal-2024", GoalCents: c.goal, OfflineCents: c.offline, PaidCents: c.paid, RefundedCents: c.refd}
			if got := camp.RaisedCents(); got != c.raised {
				t.Errorf("RaisedCents = %d, want %d", got, c.raised)
			}
			p := campaign.ProgressOf(camp, i18n.EN)
			if p.RaisedCents != c.raised || p.Percent != c.percent {
				t.Errorf("progress raised %d percent %d, want %d %d", p.RaisedCents, p.Percent, c.raised, c.percent)
			}
		})
	}

	t.Run("the public view carries the campaign's counts, currency, closing and title in the language", func(t *testing.T) {
		camp := campaign.Campaign{Slug: "appeal-2024", TitleEN: "2024 appeal", TitleFR: "Campagne 2024", Currency: "cad",
			GoalCents: 50_000, PaidCents: 10_000, DonationCount: 7, DonorCount: 5, ClosesAt: &closes}
		want := campaign.Progress{Slug: "appeal-2024", Title: "Campagne 2024", Currency: "cad", GoalCents: 50_000, RaisedCents: 10_000,
			DonationCount: 7, DonorCount: 5, Percent: 20, ClosesAt: &closes}
		if got := campaign.ProgressOf(camp, i18n.FR); got != want {
			t.Errorf("ProgressOf =\n%+v\nwant\n%+v", got, want)
		}
	})
}

func TestValidSlug(t *testing.T) {
	for _, c := range []struct {
		slug string
		want bool
	}{
		{"appeal-2024", true},
		{"spring", true},
		{"2025", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"", false},
		{"Appeal", false},
		{"appeal--2024", false},
		{"-appeal", false},
		{"appeal-", false},
		{"appeal_2024", false},
		{"appeal 2024", false},
		{"campagne-été", false},
		{"../etc", false},
	} {
		t.Run(fmt.Sprintf("%q", c.slug), func(t *testing.T) {
			if got := campaign.ValidSlug(c.slug); got != c.want {
				t.Errorf("ValidSlug(%q) = %v, want %v", c.slug, got, c.want)
			}
		})
	}
}

// store is a campaign.Store whose answer is a function.
type store struct {
	campaign func(ctx context.Context, slug string) (campaign.Campaign, error)
}

func (s store) Campaign(ctx context.Context, slug string) (campaign.Campaign, error) {
	return s.campaign(ctx, slug)
}

func TestHandler(t *testing.T) {
	campaigns := map[string]campaign.Campaign{
		"appeal-2024": {Slug: "appeal-2024", TitleEN: "2024 appeal", TitleFR: "Campagne 2024", Currency: "cad", GoalCents: 1_000_000,
			OfflineCents: 25_000, PaidCents: 100_000, RefundedCents: 5_000, DonationCount: 12, DonorCount: 10, Open: true, ClosesAt: &closes},
		"spring-2023": {Slug: "spring-2023", TitleEN: "Spring 2023", Currency: "cad", GoalCents: 10_000, PaidCents: 12_345, Open: false},
	}
	var asked []string
	mux := httpapi.Mux(campaign.Handler{Campaigns: store{campaign: func(_ context.Context, slug string) (campaign.Campaign, error) {
		asked = append(asked, slug)
		switch slug {
		case "broken":
			return campaign.Campaign{}, errors.New("dynamodb: ProvisionedThroughputExceededException on CAMPAIGN#broken")
		case "wrapped-missing":
			return campaign.Campaign{}, fmt.Errorf("get campaign: %w", campaign.ErrNotFound)
		}
		c, ok := campaigns[slug]
		if !ok {
			return c, campaign.ErrNotFound
		}
		return c, nil
	}}})
	get := func(t *testing.T, target, acceptLanguage string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if acceptLanguage != "" {
			r.Header.Set("Accept-Language", acceptLanguage)
		}
		w := httptest.NewRecorder()
		asked = nil
		mux.ServeHTTP(w, r)
		return w
	}
	progress := func(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
		t.Helper()
		var p map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("body %q: %v", w.Body, err)
		}
		return p
	}

	t.Run("a campaign's progress is public JSON, cached for 30 seconds per language", func(t *testing.T) {
		w := get(t, "/campaigns/appeal-2024", "")
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if len(asked) != 1 || asked[0] != "appeal-2024" {
			t.Errorf("store asked for %q", asked)
		}
		for k, want := range map[string]string{"Cache-Control": "public, max-age=30", "Vary": "Accept-Language",
			"Content-Type": "application/json; charset=utf-8"} {
			if got := w.Header().Get(k); got != want {
				t.Errorf("%s %q, want %q", k, got, want)
			}
		}
		want := `{"slug":"appeal-2024","title":"2024 appeal","currency":"cad","goal_cents":1000000,"raised_cents":120000,` +
			`"donation_count":12,"donor_count":10,"percent":12,"closes_at":"2026-12-31T23:59:59Z"}` + "\n"
		if w.Body.String() != want {
			t.Errorf("body\n%s\nwant\n%s", w.Body, want)
		}
	})

	t.Run("the language parameter chooses the title's language", func(t *testing.T) {
		if p := progress(t, get(t, "/campaigns/appeal-2024?language=fr", "en")); p["title"] != "Campagne 2024" {
			t.Errorf("title %v", p["title"])
		}
	})

	t.Run("Accept-Language chooses the title's language", func(t *testing.T) {
		if p := progress(t, get(t, "/campaigns/appeal-2024", "fr-CA,fr;q=0.9")); p["title"] != "Campagne 2024" {
			t.Errorf("title %v", p["title"])
		}
	})

	t.Run("the lang parameter of the pages is not this endpoint's", func(t *testing.T) {
		if p := progress(t, get(t, "/campaigns/appeal-2024?lang=fr", "")); p["title"] != "2024 appeal" {
			t.Errorf("title %v", p["title"])
		}
	})

	t.Run("a closed campaign still shows its progress, with no closing date as null", func(t *testing.T) {
		w := get(t, "/campaigns/spring-2023", "fr")
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		p := progress(t, w)
		if p["raised_cents"] != 12345.0 || p["percent"] != 123.0 || p["title"] != "Spring 2023" {
			t.Errorf("progress %v", p)
		}
		if v, ok := p["closes_at"]; !ok || v != nil {
			t.Errorf("closes_at %v (present %v), want null", v, ok)
		}
	})

	t.Run("an unknown campaign is 404 not_found in the request's language", func(t *testing.T) {
		for _, slug := range []string{"no-such-appeal", "wrapped-missing"} {
			w := get(t, "/campaigns/"+slug, "fr")
			if w.Code != http.StatusNotFound {
				t.Errorf("%s: status %d", slug, w.Code)
			}
			if got := w.Body.String(); got != `{"error":"not_found","message":"Introuvable."}`+"\n" {
				t.Errorf("%s: body %q", slug, got)
			}
			if w.Header().Get("Cache-Control") != "" {
				t.Errorf("%s: an error is cached: %q", slug, w.Header().Get("Cache-Control"))
			}
		}
	})

	t.Run("a malformed or oversized slug is 404 without a lookup", func(t *testing.T) {
		for _, slug := range []string{strings.Repeat("a", 2000), "Appeal-2024", "appeal%20x", "a_b"} {
			w := get(t, "/campaigns/"+slug, "en")
			if w.Code != http.StatusNotFound || len(asked) != 0 {
				t.Errorf("%.20s: status %d, looked up %q", slug, w.Code, asked)
			}
		}
	})

	t.Run("a store failure is an internal error that tells nothing of it", func(t *testing.T) {
		w := get(t, "/campaigns/broken", "")
		if w.Code != http.StatusInternalServerError {
			t.Errorf("status %d", w.Code)
		}
		if body := w.Body.String(); !strings.Contains(body, `"error":"internal"`) || strings.Contains(body, "Provisioned") || strings.Contains(body, "CAMPAIGN#") {
			t.Errorf("body %q", body)
		}
	})

	t.Run("only GET is routed", func(t *testing.T) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/campaigns/appeal-2024", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d", w.Code)
		}
	})
}
