package httpapi

import (
	"context"
	"net/http"
	"strings"
)

type publicURLKey struct{}

// withPublicURL is r with its public base URL in its context: the configured one
// (PUBLIC_URL), else the address the request reached us at. Without a custom domain the
// stack cannot name its own API to the functions (the API's definition refers to them),
// so they learn it from API Gateway, which sets the request's host (the event's
// requestContext.domainName) to the domain it served, never to what a client chose.
func withPublicURL(r *http.Request, own string) (*http.Request, string) {
	base := strings.TrimRight(own, "/")
	if base == "" && r.Host != "" {
		base = "https://" + strings.ToLower(r.Host)
	}
	return r.WithContext(context.WithValue(r.Context(), publicURLKey{}, base)), base
}

// Absolute is u made absolute: u itself if it names a scheme and host, else u under the
// public base URL of the request ctx belongs to (see Sites.Handler).
func Absolute(ctx context.Context, u string) string {
	if !strings.HasPrefix(u, "/") {
		return u
	}
	base, _ := ctx.Value(publicURLKey{}).(string)
	return base + u
}
