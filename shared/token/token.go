// Package token makes the secrets behind emailed links (confirm a membership, unsubscribe):
// 256 random bits, given to the person once and stored only as a SHA-256 hash with what
// the link is for, whose it is, and when it expires.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// What a token is for.
const (
	Confirm     = "member_confirm"
	Unsubscribe = "unsubscribe"
	Portal      = "portal" // a customer-portal session for a Stripe customer
	// NewsConfirm confirms, after an opt-out, that the person wants news again (a
	// form asked for it, and a form proves nothing about the address).
	NewsConfirm = "news_confirm"
)

// Lifetimes of the links.
const (
	ConfirmTTL     = 7 * 24 * time.Hour
	UnsubscribeTTL = 400 * 24 * time.Hour // a news email may be opened long after it was sent
	NewsConfirmTTL = 7 * 24 * time.Hour
)

// Token is the stored side of a link: never the secret itself.
type Token struct {
	Hash      string     `dynamodbav:"token_hash"`
	Purpose   string     `dynamodbav:"purpose"`
	Subject   string     `dynamodbav:"subject"`       // the canonical email address it acts for
	Ref       string     `dynamodbav:"ref,omitempty"` // the subject's record it acts on, if any (outbox.Link.Ref)
	Language  string     `dynamodbav:"language"`
	CreatedAt time.Time  `dynamodbav:"created_at"`
	ExpiresAt int64      `dynamodbav:"expires_at"` // epoch seconds, also the table's TTL
	UsedAt    *time.Time `dynamodbav:"used_at,omitempty"`
}

// Expired reports whether t can no longer be used at now.
func (t Token) Expired(now time.Time) bool { return now.Unix() >= t.ExpiresAt }

// rawLen is the length of a secret: 32 bytes in unpadded base64url.
const rawLen = 43

// Mint returns a new secret for a link and the token to store for it.
func Mint(purpose, subject, lang string, now time.Time, ttl time.Duration) (string, Token) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	raw := base64.RawURLEncoding.EncodeToString(b[:])
	return raw, Token{
		Hash: Hash(raw), Purpose: purpose, Subject: subject, Language: lang,
		CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).Unix(),
	}
}

// Hash is how a secret is stored and looked up.
func Hash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether raw could be a secret Mint made, so that anything else is
// refused without a lookup.
func WellFormed(raw string) bool {
	if len(raw) != rawLen {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil
}
