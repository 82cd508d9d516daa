package member

import (
	"testing"
	"time"
)

func TestNextNotice(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for notices, wait := range map[int]time.Duration{
		1: 10 * time.Minute, 2: 20 * time.Minute, 3: 40 * time.Minute, 4: 80 * time.Minute,
		8: 1280 * time.Minute, 9: 24 * time.Hour, 1000: 24 * time.Hour,
	} {
		m := Member{NoticeSentAt: at, Notices: notices}
		if got := m.NextNotice().Sub(at); got != wait {
			t.Errorf("after %d notices: wait %v, want %v", notices, got, wait)
		}
	}
}

func TestApplication(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m := Member{ID: "mem_1", Email: "ana@example.org", FirstName: "Ana", LastName: "Roy", Phone: "+15145550199",
		Branch: "montreal", RoutedBy: "postal_code", Language: "fr", Message: "Bonjour", NewsRequested: true,
		Status: StatusPending, CreatedAt: at, NoticeSentAt: at.Add(time.Hour), Notices: 2}
	a := ApplicationOf(m, "app_1")
	if a.ID != "app_1" || a.FirstName != "Ana" || !a.SubmittedAt.Equal(at) || !a.SentAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("application %+v", a)
	}
	other := a
	other.ID, other.SubmittedAt, other.SentAt = "app_2", at.Add(time.Minute), at.Add(time.Minute)
	if !a.Same(other) {
		t.Fatal("the same details under another id and time are not the same application")
	}
	for name, change := range map[string]func(*Application){
		"name":    func(b *Application) { b.FirstName = "Mallory" },
		"branch":  func(b *Application) { b.Branch = "gatineau" },
		"phone":   func(b *Application) { b.Phone = "" },
		"city":    func(b *Application) { b.Address.City = "Gatineau" },
		"news":    func(b *Application) { b.NewsRequested = false },
		"message": func(b *Application) { b.Message = "Autre" },
		"lang":    func(b *Application) { b.Language = "en" },
	} {
		b := a
		change(&b)
		if a.Same(b) {
			t.Errorf("another %s is the same application", name)
		}
	}
	stranger := a
	stranger.ID, stranger.FirstName, stranger.Branch, stranger.Phone = "app_2", "Mallory", "gatineau", ""
	got := m.With(stranger)
	if got.FirstName != "Mallory" || got.Branch != "gatineau" || got.Phone != "" || got.Application != "app_2" ||
		got.ID != "mem_1" || got.Notices != 2 || got.Status != StatusPending || !got.CreatedAt.Equal(at) {
		t.Fatalf("member with the application %+v", got)
	}
}
