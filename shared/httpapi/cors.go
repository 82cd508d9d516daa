package httpapi

import (
	"net"
	"net/http"
	"strings"
)

// CORS lets browsers on the allowed origins call h, and answers their preflights. Other
// origins get no CORS headers, so their browsers refuse the response; a preflight from one
// is answered 403. Origins compare without case, as Sites does (a browser sends the host
// in lower case, a deployer may not have written it so).
func CORS(allowed []string, h http.Handler) http.Handler {
	set := make(map[string]bool, len(allowed))
	for _, o := range allowed {
		if o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/")); o != "" {
			set[o] = true
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		ok := origin != "" && set[strings.ToLower(origin)]
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !ok {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Accept-Language")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ClientIP is the caller's address as the edge saw it: API Gateway puts it in the request
// context (see Adapt), a local server in RemoteAddr.
func ClientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
