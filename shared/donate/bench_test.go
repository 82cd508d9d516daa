package donate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/request"
)

const benchBody = `{"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","first_name":"Élise","last_name":"Tremblay","email":"elise@example.org","language":"fr","consent_updates":true}`

func benchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/donations", strings.NewReader(benchBody))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// BenchmarkDonatePath is POST /donations in process, the store and Stripe faked.
func BenchmarkDonatePath(b *testing.B) {
	st, co, svc := fixture()
	h := Handler{Service: svc}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st.created, st.consents, co.calls = st.created[:0], st.consents[:0], co.calls[:0]
		w := httptest.NewRecorder()
		h.ServeHTTP(w, benchRequest())
		if w.Code != http.StatusCreated {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkDonateFloor only decodes the same body and encodes an answer.
func BenchmarkDonateFloor(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		request.Floor(w, benchRequest(), http.StatusCreated, created{DonationID: "don_x", CheckoutURL: "https://checkout.stripe.com/c/pay/cs_test_1"})
	}
}
