package guard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
)

// standIn answers like siteverify: Cloudflare's always-passing test token passes.
func standIn(t *testing.T, seen *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.FormValue("secret") != "secret-1" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		*seen = append(*seen, r.FormValue("response")+"|"+r.FormValue("remoteip"))
		w.Header().Set("Content-Type", "application/json")
		if r.FormValue("response") == "XXXX.DUMMY.TOKEN.XXXX" {
			w.Write([]byte(`{"success":true,"error-codes":[]}`))
			return
		}
		w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestVerify(t *testing.T) {
	var seen []string
	srv := standIn(t, &seen)
	v := Turnstile{Secret: "secret-1", URL: srv.URL}
	ctx := context.Background()
	if err := v.Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", "203.0.113.7"); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "XXXX.DUMMY.TOKEN.XXXX|203.0.113.7" {
		t.Fatalf("siteverify saw %v", seen)
	}
	for _, token := range []string{"forged", "", "   "} {
		e, ok := httpapi.AsError(v.Verify(ctx, token, "203.0.113.7"))
		if !ok || e.Code != httpapi.CodeValidation || e.Fields[TurnstileField].Key != "field.turnstile" {
			t.Fatalf("token %q: %+v", token, e)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("an empty token was sent to siteverify: %v", seen)
	}
	if err := (Turnstile{}).Verify(ctx, "", ""); err != nil {
		t.Fatalf("without a secret: %v", err)
	}
	down := Turnstile{Secret: "secret-1", URL: "http://127.0.0.1:1"}
	if err := down.Verify(ctx, "anything", ""); err != nil {
		t.Fatalf("Cloudflare unreachable: %v", err)
	}
}
