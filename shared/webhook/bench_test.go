package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/request"
)

// BenchmarkWebhookPath is POST /webhooks/stripe in process: signature, decoding and the
// ledger call (faked) of a checkout.session.completed.
func BenchmarkWebhookPath(b *testing.B) {
	now := time.Now()
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), now)
	sig := localpay.Sign(payload, secret, now)
	h := Handler{Secret: secret, Ledger: &ledger{}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Ledger = &ledger{}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
		r.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d", w.Code)
		}
	}
}

// BenchmarkWebhookFloor only decodes the same event and encodes the answer.
func BenchmarkWebhookFloor(b *testing.B) {
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), time.Now())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
		request.Floor(httptest.NewRecorder(), r, http.StatusOK, map[string]bool{"received": true})
	}
}
