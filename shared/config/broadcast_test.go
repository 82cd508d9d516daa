package config

import (
	"strings"
	"testing"
)

// TestLoadBroadcastRateShare: BROADCAST_RATE_SHARE is a share above 0 and at most 1,
// 0.8 when unset; anything else is refused, saying what it must be.
func TestLoadBroadcastRateShare(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64 // 0: refused
	}{
		{"", 0.8}, {"0.8", 0.8}, {"1", 1}, {"0.25", 0.25}, {"1e-1", 0.1},
		{"0", 0}, {"-0.5", 0}, {"1.01", 0}, {"80%", 0}, {"NaN", 0}, {"Inf", 0}, {"eighty", 0}, {" 0.8", 0},
	} {
		c, err := LoadFrom(func(k string) string {
			return map[string]string{"TABLE_NAME": "t", "BROADCAST_RATE_SHARE": tt.in, "BROADCAST_QUEUE_URL": "https://sqs.example/q"}[k]
		})
		if tt.want == 0 {
			if err == nil || !strings.Contains(err.Error(), "BROADCAST_RATE_SHARE must be a share above 0 and at most 1") {
				t.Errorf("%q: %v, want refused", tt.in, err)
			}
			continue
		}
		if err != nil || c.BroadcastRateShare != tt.want || c.BroadcastQueueURL != "https://sqs.example/q" {
			t.Errorf("%q: %v %v %q", tt.in, c.BroadcastRateShare, err, c.BroadcastQueueURL)
		}
	}
}
