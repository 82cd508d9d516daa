package emulator

import "testing"

func TestLeaks(t *testing.T) {
	personal := []string{"Éloïse", "4321 rue Saint-Denis"}
	tests := []struct {
		line string
		want bool
	}{
		{`{"level":"INFO","msg":"email sent","email_id":"member_confirm_mem_abc_1","template":"member_confirm"}`, false},
		{`{"level":"ERROR","msg":"request failed","path":"/members","err":"internal"}`, false},
		{`{"time":"2026-11-27T08:13:51.123Z","msg":"x","n":15145551234}`, false},
		{`27 Nov 2026 08:28:54,286 [INFO] (rapid) exec '/tmp/solidarity-bootstraps-2737109689/campaign/bootstrap'`, false},
		{`{"msg":"x","to":"ana.roy@example.org"}`, true},
		{`{"msg":"x","phone":"+15145551234"}`, true},
		{`{"msg":"x","phone":"514-555-1234"}`, true},
		{`{"msg":"x","postal":"H2X 1Y4"}`, true},
		{`{"msg":"x","postal":"H2X1Y4"}`, true},
		{`{"msg":"x","name":"Éloïse"}`, true},
		{`{"msg":"x","line1":"4321 rue Saint-Denis"}`, true},
		{`{"msg":"x","request_id":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}`, false},
		{`{"msg":"x","duration_ms":1234}`, false},
		{`{"msg":"x","epoch_ms":1795780800000,"ns":123456789012345}`, false},
		{`{"msg":"x","phone":"(514) 555-1234"}`, true},
	}
	for _, tt := range tests {
		if got := leaks(tt.line, personal); got != tt.want {
			t.Errorf("leaks(%s) = %v, want %v", tt.line, got, tt.want)
		}
	}
}
