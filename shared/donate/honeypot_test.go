package donate

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
	guardtest.HoneypotSparesAddress(t, "donations", func(g request.Guard) http.Handler {
		return Handler{Guard: g, ThanksURL: "https://don.example.org/donations/thanks"}
	},
		"/donations", `{"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","email":"Ana+x@Example.org","website":"x"}`, "ana@example.org")
}
