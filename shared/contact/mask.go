package contact

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// maskedDomain is a domain a page may show as it is: plain ASCII host-name labels, short.
// Anything else (an internationalized name, invisible or right-to-left characters, a
// sentence in hyphens) is masked whole, so an address typed by a stranger cannot write
// words on our pages.
var maskedDomain = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?){1,3}$`)
})

// MaxMaskedDomain is the longest domain Masked shows.
const MaxMaskedDomain = 40

// maskedRE is what Masked can return.
var maskedRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(•••|[\p{Ll}\p{Lo}\p{Nd}]?•••@(•••|[a-z0-9.-]{1,40}))$`)
})

// Masked is how a page shows an address without spelling it out: its first character,
// "•••" (whatever the local part's length) and the domain, "a•••@example.org"; "•••"
// for anything that is not an address. It is enough for its owner to recognise a typo
// in the domain or the first letter, and little for whoever looks over their shoulder.
// Only a first letter or digit and a plain, short ASCII domain are shown ("•••" stands
// for either otherwise).
func Masked(email string) string {
	email = CanonicalEmail(email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return "•••"
	}
	domain := email[at+1:]
	if len(domain) > MaxMaskedDomain || !maskedDomain().MatchString(domain) {
		domain = "•••"
	}
	first := ""
	if r, _ := utf8.DecodeRuneInString(email); unicode.In(r, unicode.Ll, unicode.Lo, unicode.Nd) {
		first = string(r) // one letter or digit: nothing it could say
	}
	return first + "•••@" + domain
}

// IsMasked reports whether s is something Masked returns: a check for a masked address
// that came back from elsewhere (a signed notice).
func IsMasked(s string) bool { return maskedRE().MatchString(s) }
