package portal

import (
	"net/http"
	"testing"

	"github.com/solidarity/solidarity/shared/guard/guardtest"
	"github.com/solidarity/solidarity/shared/request"
)

// A post with the honeypot filled in does nothing, so it costs the address it names
// nothing (however tagged): five of them cannot lock the person out. It still counts
// against its client.
func TestHoneypotSparesAddress(t *testing.T) {
	guardtest.HoneypotSparesAddress(t, "portal", func(g request.Guard) http.Handler { return routes(Handler{Guard: g}) },
		"/portal", `{"email":"Ana+x@Example.org","website":"x"}`, "ana@example.org")
}

func routes(h Handler) http.Handler {
	mux := http.NewServeMux()
	h.Routes(mux)
	return mux
}
