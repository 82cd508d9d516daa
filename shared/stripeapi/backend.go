// Package stripeapi builds the one stripe-go backend every caller of Stripe's API uses:
// Checkout (shared/payment), the reconciliation and the staff tool. It links no
// resource package, so each Lambda links only the ones it calls.
package stripeapi

import (
	"net/http"
	"time"

	stripe "github.com/stripe/stripe-go/v76"
)

// Backend builds a stripe-go backend for the API at baseURL ("" for Stripe itself,
// stripe-mock's or a test server's address locally), without the library's global state:
// bounded, retried twice against Stripe (never against a local server, whose failures
// are the test's), and silent.
func Backend(baseURL string) stripe.Backend {
	cfg := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: 20 * time.Second},
		MaxNetworkRetries: stripe.Int64(2),
		// Silent: stripe-go's own log lines can carry request values; our callers log the
		// returned errors, redacted.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if baseURL != "" {
		cfg.URL = stripe.String(baseURL)
		cfg.MaxNetworkRetries = stripe.Int64(0)
	}
	return stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
}
