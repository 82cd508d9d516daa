package token

import (
	"testing"
	"time"
)

func TestMint(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	raw, tok := Mint(Confirm, "ana@example.org", "fr", now, ConfirmTTL)
	raw2, _ := Mint(Confirm, "ana@example.org", "fr", now, ConfirmTTL)
	if raw == raw2 {
		t.Fatal("two secrets are equal")
	}
	if !WellFormed(raw) || tok.Hash != Hash(raw) || tok.Hash == raw || len(tok.Hash) != 64 {
		t.Fatalf("raw %q token %+v", raw, tok)
	}
	if tok.Expired(now.Add(ConfirmTTL-time.Second)) || !tok.Expired(now.Add(ConfirmTTL)) {
		t.Fatalf("expiry %d", tok.ExpiresAt)
	}
}

func TestWellFormed(t *testing.T) {
	raw, _ := Mint(Unsubscribe, "a@example.org", "en", time.Now(), UnsubscribeTTL)
	for s, want := range map[string]bool{
		raw: true, "": false, raw[:42]: false, raw + "A": false,
		"+" + raw[1:]: false, "/" + raw[1:]: false, "=" + raw[1:]: false,
	} {
		if got := WellFormed(s); got != want {
			t.Errorf("WellFormed(%q) = %v, want %v", s, got, want)
		}
	}
}
