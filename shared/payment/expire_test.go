package payment

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestExpireSession: an open session is expired; one Stripe refuses to expire (not open
// any more) is read, and its status told, expired or complete; another failure is an
// error.
func TestExpireSession(t *testing.T) {
	for _, tt := range []struct {
		name          string
		expire, get   string // Stripe's answers: a status, or "400"/"500"
		want, wantErr string
		calls         string
	}{
		{"open", "expired", "", "expired", "", "POST /v1/checkout/sessions/cs_1/expire"},
		{"already expired", "400", "expired", "expired", "", "POST /v1/checkout/sessions/cs_1/expire GET /v1/checkout/sessions/cs_1"},
		{"paid", "400", "complete", "complete", "", "POST /v1/checkout/sessions/cs_1/expire GET /v1/checkout/sessions/cs_1"},
		{"down", "500", "", "", "stripe checkout cs_1: stripe api_error", "POST /v1/checkout/sessions/cs_1/expire"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls = append(calls, r.Method+" "+r.URL.Path)
				answer := tt.get
				if r.Method == http.MethodPost {
					answer = tt.expire
				}
				w.Header().Set("Content-Type", "application/json")
				switch answer {
				case "400":
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"Only Checkout Sessions with a status in [\"open\"] can be expired."}}`)
				case "500":
					w.WriteHeader(http.StatusInternalServerError)
					fmt.Fprint(w, `{"error":{"type":"api_error","message":"boom"}}`)
				default:
					fmt.Fprintf(w, `{"id":"cs_1","object":"checkout.session","status":%q}`, answer)
				}
			}))
			defer srv.Close()
			got, err := NewCheckout(Backend(srv.URL), "sk_test_x", "").ExpireSession(context.Background(), "cs_1")
			if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ExpireSession = %q, %v; want %q, %q", got, err, tt.want, tt.wantErr)
			}
			if strings.Join(calls, " ") != tt.calls {
				t.Fatalf("calls %v", calls)
			}
		})
	}
}
