package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// CloudFrontViewerAddress is CloudFront's header of the viewer's address and port.
const CloudFrontViewerAddress = "CloudFront-Viewer-Address"

// OriginVerifyHeader is the header a CDN adds to every request it forwards (CloudFront's
// "origin custom headers"), holding a secret only it and the functions know: the proof
// that a request came through the CDN, and so that its viewer-address header is the
// CDN's and not the client's.
const OriginVerifyHeader = "X-Origin-Verify"

// ViewerAddress runs h with the client's address taken from header, for an API that is
// reached through a CDN or proxy: API Gateway then sees the proxy's address, which every
// visitor would share. Anyone can send that header to API Gateway's own endpoint, so it
// is believed only on a request whose OriginVerifyHeader holds secret (compared in
// constant time), which the proxy adds; on any other request the edge's own address
// stays. The proxy must set header itself, overwriting what the client sent.
// CloudFront-Viewer-Address holds the address and port; any other header (True-Client-IP,
// X-Real-IP…) one bare address. With header or secret empty, or a value that is not what
// it should be (a list, a zone, garbage), the edge's own address stays. The secret's
// header never goes further than here.
func ViewerAddress(header, secret string, h http.Handler) http.Handler {
	if header == "" || secret == "" {
		return h
	}
	withPort := strings.EqualFold(header, CloudFrontViewerAddress)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proof, sent := r.Header[http.CanonicalHeaderKey(OriginVerifyHeader)]
		if !sent {
			h.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Del(OriginVerifyHeader)
		if len(proof) == 1 && sameSecret(proof[0], secret) {
			if a, ok := ParseViewerAddress(r.Header.Get(header), withPort); ok {
				r.RemoteAddr = net.JoinHostPort(a.String(), "0")
			}
		}
		h.ServeHTTP(w, r)
	})
}

// sameSecret compares in constant time, whatever the lengths.
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// ParseViewerAddress reads a proxy's viewer-address header: one address
// ("203.0.113.7", "2001:db8::1"), or with withPort an address and its port
// ("203.0.113.7:443", CloudFront's unbracketed "2001:db8::1:443", or "[2001:db8::1]:443").
// An IPv4-mapped IPv6 address is its IPv4 address.
func ParseViewerAddress(v string, withPort bool) (netip.Addr, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return netip.Addr{}, false
	}
	if withPort {
		if ap, err := netip.ParseAddrPort(v); err == nil {
			return valid(ap.Addr())
		}
		i := strings.LastIndexByte(v, ':')
		if i <= 0 || !isPort(v[i+1:]) || strings.HasPrefix(v, "[") {
			return netip.Addr{}, false
		}
		v = v[:i] // an unbracketed IPv6 address, as CloudFront writes it
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, false
	}
	return valid(a)
}

func valid(a netip.Addr) (netip.Addr, bool) {
	if !a.IsValid() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isPort(s string) bool {
	if s == "" || len(s) > 5 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
