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
