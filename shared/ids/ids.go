// Package ids makes the project's record ids and secret tokens: random, unguessable, and
// safe in URLs and DynamoDB keys.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// New returns prefix_ followed by 128 random bits in lowercase base32 (26 characters).
func New(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + strings.ToLower(enc.EncodeToString(b[:]))
}
