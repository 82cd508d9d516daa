package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestParseViewerAddress(t *testing.T) {
	tests := []struct {
		v        string
		withPort bool
		want     string // "" refused
	}{
		{"203.0.113.7", false, "203.0.113.7"},
		{" 203.0.113.7 ", false, "203.0.113.7"},
		{"2001:db8::1", false, "2001:db8::1"},
		{"::ffff:203.0.113.7", false, "203.0.113.7"},
		{"203.0.113.7:443", false, ""},
		{"203.0.113.7, 198.51.100.1", false, ""}, // a list: whose first entry the client wrote
		{"fe80::1%eth0", false, ""},
		{"", false, ""},
		{"unknown", false, ""},
		{"203.0.113.7:46532", true, "203.0.113.7"},
		{"2001:db8:1:2::1:46532", true, "2001:db8:1:2::1"}, // CloudFront's IPv6 form
		{"2001:0db8:85a3:0000:0000:8a2e:0370:7334:46532", true, "2001:db8:85a3::8a2e:370:7334"},
		{"2001::1:2:3:4:5:443", true, "2001::1:2:3:4:5"}, // the port is never read as a group
		{"[2001:db8::1]:443", true, "2001:db8::1"},
		{"[::ffff:203.0.113.7]:443", true, "203.0.113.7"},
		{"203.0.113.7", true, ""}, // no port where one must be
		{"203.0.113.7:", true, ""},
		{"203.0.113.7:123456", true, ""},
		{"[2001:db8::1]", true, ""},
		{"[fe80::1%eth0]:443", true, ""},
		{"garbage:443", true, ""},
		{"::1:443", true, "::1"},
	}
	for _, tt := range tests {
		a, ok := ParseViewerAddress(tt.v, tt.withPort)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("ParseViewerAddress(%q, %v) = %q, want %q", tt.v, tt.withPort, got, tt.want)
		}
	}
}

func FuzzParseViewerAddress(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::1:443", "[::1]:1", "fe80::1%eth0", "", "a:b:c"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, v string, withPort bool) {
		a, ok := ParseViewerAddress(v, withPort)
		if !ok {
			return
		}
		if !a.IsValid() || a.Zone() != "" || a.Is4In6() {
			t.Fatalf("ParseViewerAddress(%q) = %v", v, a)
		}
		if b, err := netip.ParseAddr(a.String()); err != nil || b != a {
			t.Fatalf("ParseViewerAddress(%q) = %v, which does not read back", v, a)
		}
	})
}

// TestViewerAddress: the named header replaces the edge's address only on a request that
// carries the CDN's secret in X-Origin-Verify; without it (anyone can reach API
// Gateway's own endpoint and write the header), with a wrong secret, an unusable value,
// or no header or secret configured, the edge's address stays. The secret's header
// never reaches the handler.
func TestViewerAddress(t *testing.T) {
	const secret = "cdn-origin-secret-0123456789"
	var seen string
	var proof []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, proof = ClientIP(r), r.Header.Values(OriginVerifyHeader)
	})
	for _, tt := range []struct {
		header, value string
		configured    string   // the secret configured
		sent          []string // X-Origin-Verify's values
		want          string
	}{
		{CloudFrontViewerAddress, "2001:db8::7:1234", secret, []string{secret}, "2001:db8::7"},
		{"cloudfront-viewer-address", "198.51.100.9:80", secret, []string{secret}, "198.51.100.9"},
		{"True-Client-IP", "198.51.100.9", secret, []string{secret}, "198.51.100.9"},
		{CloudFrontViewerAddress, "nonsense", secret, []string{secret}, "203.0.113.1"},
		{"", "198.51.100.9", secret, []string{secret}, "203.0.113.1"},
		// Straight to API Gateway: a forged viewer header without the CDN's secret.
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, nil, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{""}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{"guess"}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{secret[:len(secret)-1]}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{secret + "x"}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{" " + secret}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", secret, []string{"guess", secret}, "203.0.113.1"},
		// No secret configured: the header is never believed.
		{CloudFrontViewerAddress, "198.51.100.9:80", "", []string{""}, "203.0.113.1"},
		{CloudFrontViewerAddress, "198.51.100.9:80", "", nil, "203.0.113.1"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/members", nil)
		r.RemoteAddr = "203.0.113.1:5000"
		if tt.header != "" {
			r.Header.Set(tt.header, tt.value)
		}
		r.Header.Set(CloudFrontViewerAddress, tt.value)
		for _, v := range tt.sent {
			r.Header.Add(OriginVerifyHeader, v)
		}
		seen, proof = "", nil
		ViewerAddress(tt.header, tt.configured, h).ServeHTTP(httptest.NewRecorder(), r)
		if seen != tt.want {
			t.Errorf("%s: %q with %q (secret %q): client %q, want %q", tt.header, tt.value, tt.sent, tt.configured, seen, tt.want)
		}
		if tt.header != "" && tt.configured != "" && len(proof) != 0 {
			t.Errorf("%s with %q: the handler saw X-Origin-Verify %q", tt.header, tt.sent, proof)
		}
	}
}
