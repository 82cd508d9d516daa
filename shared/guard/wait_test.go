package guard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// full is a counter whose every window is used up.
type full struct{}

func (full) Hit(context.Context, string, time.Time, int, time.Time) (bool, error) { return false, nil }

// The rate-limit page and its JSON say how long to wait, in minutes rounded up, by the
// guard's clock, under a title that says what happened.
func TestRateLimitSaysHowLong(t *testing.T) {
	window := time.Hour
	refuse := func(t *testing.T, at time.Time) error {
		t.Helper()
		limit := NewRateLimit(full{}, []byte(strings.Repeat("k", MinHashKey)), "members", 20, 5, window)
		limit.Limiter.Now = func() time.Time { return at }
		err := limit.Client(context.Background(), "203.0.113.7")
		if err == nil {
			t.Fatal("not refused")
		}
		return err
	}
	hour := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) // a day's window starts at midnight UTC
	for _, c := range []struct {
		name     string
		at       time.Time
		lang     i18n.Lang
		title    string
		message  string
		retryAft string
	}{
		{"45 minutes left", hour.Add(15 * time.Minute), i18n.EN, "Too many attempts", "Too many attempts. Try again in 45 minutes.", "2700"},
		{"a part of a minute counts as one more", hour.Add(15*time.Minute + 500*time.Millisecond), i18n.EN, "Too many attempts", "Too many attempts. Try again in 45 minutes.", "2700"},
		{"44 minutes and a second", hour.Add(15*time.Minute + 59*time.Second), i18n.EN, "Too many attempts", "Too many attempts. Try again in 45 minutes.", "2641"},
		{"the last minute", hour.Add(59*time.Minute + 30*time.Second), i18n.EN, "Too many attempts", "Too many attempts. Try again in 1 minute.", "30"},
		{"in French", hour.Add(15 * time.Minute), i18n.FR, "Trop de tentatives", "Trop de tentatives. Réessayez dans 45 minutes.", "2700"},
		{"the last minute, in French", hour.Add(59 * time.Minute), i18n.FR, "Trop de tentatives", "Trop de tentatives. Réessayez dans 1 minute.", "60"},
		// A day's window: hours from two hours on, rounded up; minutes below.
		{"a day's window, just begun", day.Add(time.Minute), i18n.EN, "Too many attempts", "Too many attempts. Try again in 24 hours.", "86340"},
		{"a day's window, in French", day.Add(20 * time.Hour), i18n.FR, "Trop de tentatives", "Trop de tentatives. Réessayez dans 4 heures.", "14400"},
		{"two hours left", day.Add(22 * time.Hour), i18n.EN, "Too many attempts", "Too many attempts. Try again in 120 minutes.", "7200"},
		{"two hours and a minute left", day.Add(22*time.Hour - time.Minute), i18n.EN, "Too many attempts", "Too many attempts. Try again in 3 hours.", "7260"},
	} {
		t.Run(c.name, func(t *testing.T) {
			window = time.Hour
			if !c.at.Before(day) {
				window = 24 * time.Hour
			}
			err := refuse(t, c.at)
			w := httptest.NewRecorder()
			httpapi.WriteError(w, httptest.NewRequest(http.MethodPost, "/members", nil), c.lang, true, err)
			page := w.Body.String()
			if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != c.retryAft {
				t.Fatalf("%d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
			}
			for _, want := range []string{"<title>" + c.title + "</title>", "<h1>" + c.title + "</h1>", "<p>" + c.message + "</p>"} {
				if !strings.Contains(page, want) {
					t.Errorf("no %q on\n%s", want, page)
				}
			}
			for _, wrong := range []string{"Please correct the form", "Veuillez corriger", "could not be done", "Impossible de poursuivre"} {
				if strings.Contains(page, wrong) {
					t.Errorf("the page says %q", wrong)
				}
			}
			w = httptest.NewRecorder()
			httpapi.WriteError(w, httptest.NewRequest(http.MethodPost, "/members", nil), c.lang, false, err)
			var body struct{ Error, Message string }
			if json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error != "rate_limited" || body.Message != c.message {
				t.Errorf("JSON %s", w.Body)
			}
		})
	}
}
