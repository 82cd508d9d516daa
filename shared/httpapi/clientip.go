package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// CloudFrontViewerAddress is CloudFront's header of the viewer's address and port.
const CloudFrontViewerAddress = "CloudFront-Viewer-Address"

// ViewerAddress runs h with the client's address taken from header, for an API that is
// reached through a CDN or proxy: API Gateway then sees the proxy's address, which every
// visitor would share. Only a header the proxy sets (overwriting what the client sent)
// may be named, and only when the API cannot be reached without the proxy: anyone else
// can forge it. CloudFront-Viewer-Address holds the address and port; any other header
// (True-Client-IP, X-Real-IP…) one bare address. With header empty, or a value that is
// not what it should be (a list, a zone, garbage), the edge's own address stays.
func ViewerAddress(header string, h http.Handler) http.Handler {
	if header == "" {
		return h
	}
	withPort := strings.EqualFold(header, CloudFrontViewerAddress)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := ParseViewerAddress(r.Header.Get(header), withPort); ok {
			r = r.Clone(r.Context())
			r.RemoteAddr = net.JoinHostPort(a.String(), "0")
		}
		h.ServeHTTP(w, r)
	})
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
