package signup

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/i18n"
)

// The "check your inbox" page is reached by a redirect after a plain form post (and by
// forms.js after the 202), so anything its address carries can be forged by anyone to
// put words on our domain. It restates only what a Notice carries: the masked address
// and the branch of the post that produced the redirect, sealed with a key of its own
// and short-lived. A bad, missing or expired seal shows the plain page. A Notice is made
// from the request alone, never from what the table holds of the address, so the page
// is the same for a new address, a pending one and a member.

// NoticeTTL is how long a sealed Notice restates its post: long enough to land on the
// page and reload it, too short to pass around.
const NoticeTTL = 30 * time.Minute

// noticeDomain separates the notices' use of the hashing key from any other (the rate
// limits', guard.CounterKey): their HMAC is keyed with HMAC(key, noticeDomain).
const noticeDomain = "\x00solidarity/check-email/v1"

// maxNotice bounds a sealed notice's length: longer values are not even decoded.
const maxNotice = 400

// Notice is what the "check your inbox" page restates of a post.
type Notice struct {
	Masked string    // the address the email went to, masked (contact.Masked)
	Branch string    // the slug of the branch the post is routed to; empty if none
	Issued time.Time // when the post was answered (whole seconds)
}

// Notices seal and open Notices under a key derived from the stack's hashing key. The
// zero Notices (no key) seals nothing and opens nothing.
type Notices struct {
	key []byte
}

// NewNotices derives the notices' key from the hashing key (HASH_KEY); an empty one
// gives the zero Notices.
func NewNotices(hashKey []byte) Notices {
	if len(hashKey) == 0 {
		return Notices{}
	}
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(noticeDomain))
	return Notices{key: m.Sum(nil)}
}

// Enabled reports whether k has a key (else it seals and opens nothing).
func (k Notices) Enabled() bool { return len(k.key) > 0 }

var b64 = base64.RawURLEncoding.Strict()

// slugRE is what a branch slug can be.
var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })

// Seal is n as the page's parameter: "<payload>.<mac>", both base64url, or "" without a
// key or for a Notice that Open would refuse.
func (k Notices) Seal(n Notice) string {
	if len(k.key) == 0 || !plausible(n) {
		return ""
	}
	payload := "1|" + strconv.FormatInt(n.Issued.Unix(), 10) + "|" + n.Branch + "|" + n.Masked
	v := b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(k.mac(payload))
	if len(v) > maxNotice {
		return ""
	}
	return v
}

// Open is the Notice v seals, if its seal is ours and it was issued within NoticeTTL
// before now (and not more than a minute after it: another instance's clock).
func (k Notices) Open(v string, now time.Time) (Notice, bool) {
	if len(k.key) == 0 || v == "" || len(v) > maxNotice {
		return Notice{}, false
	}
	p, m, ok := strings.Cut(v, ".")
	if !ok {
		return Notice{}, false
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return Notice{}, false
	}
	mac, err := b64.DecodeString(m)
	if err != nil || !hmac.Equal(mac, k.mac(string(payload))) {
		return Notice{}, false
	}
	// Only the one spelling Seal writes: the decoder skips line breaks, so another
	// string would open as the same notice.
	if b64.EncodeToString(payload) != p || b64.EncodeToString(mac) != m {
		return Notice{}, false
	}
	parts := strings.SplitN(string(payload), "|", 4)
	if len(parts) != 4 || parts[0] != "1" {
		return Notice{}, false
	}
	secs, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Notice{}, false
	}
	n := Notice{Issued: time.Unix(secs, 0).UTC(), Branch: parts[2], Masked: parts[3]}
	if !plausible(n) || now.Sub(n.Issued) >= NoticeTTL || n.Issued.Sub(now) > time.Minute {
		return Notice{}, false
	}
	return n, true
}

// mac is 128 bits of the payload's HMAC-SHA256 under the notices' key.
func (k Notices) mac(payload string) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(payload))
	return m.Sum(nil)[:16]
}

// plausible: a masked address as contact.Masked writes it (no free text), a slug (or
// none), a time.
func plausible(n Notice) bool {
	return contact.IsMasked(n.Masked) && (n.Branch == "" || slugRE().MatchString(n.Branch)) && !n.Issued.IsZero()
}

// branchOf is the slug of the branch req is routed to, as Join routes it, whatever the
// address's state; "" if it routes to none or the directory cannot be read.
func (s Service) branchOf(ctx context.Context, req Request) string {
	dir, err := s.directory(ctx)
	if err != nil {
		return ""
	}
	return routedTo(dir, req)
}

// routedTo is the slug of the branch req routes to in dir, or "".
func routedTo(dir *branch.Directory, req Request) string {
	if req.Address == nil {
		return ""
	}
	a := req.Address
	b, _, err := dir.Route(branch.Where{Choice: req.Branch, City: a.City, Province: a.Province, PostalCode: a.PostalCode})
	if err != nil {
		return ""
	}
	return b.Slug
}

// branchName is the name in lang of the branch slug names, or "".
func (s Service) branchName(ctx context.Context, slug string, lang i18n.Lang) string {
	if slug == "" {
		return ""
	}
	dir, err := s.directory(ctx)
	if err != nil {
		return ""
	}
	b, ok := dir.Get(slug)
	if !ok {
		return ""
	}
	return b.Name(lang)
}
