package guard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/request"
)

// standIn answers like siteverify: Cloudflare's always-passing test token passes, solved
// on hostname.
func standIn(t *testing.T, seen *[]string, hostname string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.FormValue("secret") != "secret-1" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		*seen = append(*seen, r.FormValue("response")+"|"+r.FormValue("remoteip"))
		w.Header().Set("Content-Type", "application/json")
		if r.FormValue("response") == "XXXX.DUMMY.TOKEN.XXXX" {
			w.Write([]byte(`{"success":true,"error-codes":[],"hostname":"` + hostname + `"}`))
			return
		}
		w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fixed answers every siteverify request with status and body.
func fixed(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func fieldKey(err error) string {
	e, ok := httpapi.AsError(err)
	if !ok || e.Code != httpapi.CodeValidation {
		return "not a field error: " + e.Code
	}
	return e.Fields[TurnstileField].Key
}

func TestVerify(t *testing.T) {
	var seen []string
	srv := standIn(t, &seen, "forms.example.org")
	v := Turnstile{Secret: "secret-1", URL: srv.URL, Hostnames: []string{"api.example.org", "Forms.Example.org"}}
	ctx := context.Background()
	if err := v.Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", "203.0.113.7"); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "XXXX.DUMMY.TOKEN.XXXX|203.0.113.7" {
		t.Fatalf("siteverify saw %v", seen)
	}
	for _, token := range []string{"forged", "", "   ", strings.Repeat("x", 2049)} {
		if k := fieldKey(v.Verify(ctx, token, "203.0.113.7")); k != "field.turnstile" {
			t.Fatalf("token %q: %s", token, k)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("an empty or oversized token was sent to siteverify: %v", seen)
	}
	if err := (Turnstile{}).Verify(ctx, "", ""); err != nil {
		t.Fatalf("without a secret: %v", err)
	}
	if err := (Turnstile{Secret: "secret-1", URL: srv.URL}).Verify(ctx, "XXXX.DUMMY.TOKEN.XXXX", ""); err != nil {
		t.Fatalf("no hostnames configured: not checked, but %v", err)
	}
}

// TestVerifyRefusedRequest: a 4xx from siteverify refuses the request itself; it is no
// outage, so every endpoint refuses it, failing open or not, and raises no alarm.
func TestVerifyRefusedRequest(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests} {
		url := fixed(t, status, `{"success":true,"hostname":"api.example.org"}`)
		for _, closed := range []bool{false, true} {
			v := Turnstile{Secret: "secret-1", URL: url, FailClosed: closed, Endpoint: "donations", Hostnames: []string{"api.example.org"}}
			if k := fieldKey(v.Verify(context.Background(), "TOKEN-abc", "203.0.113.7")); k != "field.turnstile" {
				t.Errorf("status %d, fail closed %v: %s, want refused", status, closed, k)
			}
		}
	}
	if out := logs.String(); strings.Contains(out, Alarm) || !strings.Contains(out, `"codes":"http-400"`) || strings.Contains(out, "TOKEN-abc") {
		t.Errorf("logs:\n%s", out)
	}
}

// TestVerifyHostname: a good token solved on someone else's site is refused.
func TestVerifyHostname(t *testing.T) {
	ours := []string{"api.example.org", "forms.example.org"}
	for _, tt := range []struct {
		hostname string
		ok       bool
	}{
		{"forms.example.org", true},
		{"API.example.org", true},
		{"forms.example.org.", true},
		{"evil.example", false},
		{"example.org", false},
		{"forms.example.org.evil.example", false},
		{"", false},
	} {
		var seen []string
		v := Turnstile{Secret: "secret-1", URL: standIn(t, &seen, tt.hostname).URL, Hostnames: ours}
		for _, closed := range []bool{false, true} {
			v.FailClosed = closed
			err := v.Verify(context.Background(), "XXXX.DUMMY.TOKEN.XXXX", "")
			if tt.ok && err != nil {
				t.Errorf("hostname %q: %v", tt.hostname, err)
			}
			if !tt.ok && fieldKey(err) != "field.turnstile" {
				t.Errorf("hostname %q (fail closed %v): %v, want refused", tt.hostname, closed, err)
			}
		}
	}
}

// TestVerifyUnreachable: when siteverify gives no trustworthy answer, an endpoint that
// fails closed refuses (asking to try again) and one that fails open lets the request
// through; both log the alarm, without the token or the client's address.
func TestVerifyUnreachable(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	downs := map[string]Turnstile{
		"no server":      {URL: "http://127.0.0.1:1"},
		"timeout":        {URL: slow.URL, Client: &http.Client{Timeout: 50 * time.Millisecond}},
		"500":            {URL: fixed(t, http.StatusInternalServerError, `{"success":true}`)},
		"503":            {URL: fixed(t, http.StatusServiceUnavailable, `{"success":true}`)},
		"not JSON":       {URL: fixed(t, http.StatusOK, `<html>maintenance</html>`)},
		"internal-error": {URL: fixed(t, http.StatusOK, `{"success":false,"error-codes":["internal-error"]}`)},
	}
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	for name, v := range downs {
		v.Secret, v.Endpoint, v.Hostnames = "secret-1", "members", []string{"api.example.org"}
		v.FailClosed = true
		if k := fieldKey(v.Verify(context.Background(), "TOKEN-abc", "203.0.113.7")); k != "field.turnstile_unavailable" {
			t.Errorf("%s, failing closed: %s", name, k)
		}
		v.FailClosed = false
		if err := v.Verify(context.Background(), "TOKEN-abc", "203.0.113.7"); err != nil {
			t.Errorf("%s, failing open: %v", name, err)
		}
	}
	out := logs.String()
	if n := strings.Count(out, `"alarm":"turnstile_unreachable"`); n != 2*len(downs) {
		t.Errorf("%d alarms logged, want %d:\n%s", n, 2*len(downs), out)
	}
	if strings.Contains(out, "TOKEN-abc") || strings.Contains(out, "203.0.113") || strings.Contains(out, "secret-1") {
		t.Errorf("the log holds the token, address or secret:\n%s", out)
	}
}

// TestFormPhases: Client counts only the IP; Admit asks Turnstile, then counts the
// address; a post Turnstile refuses costs the address nothing, so a bot sending junk
// tokens in a person's name cannot lock that person out.
func TestFormPhases(t *testing.T) {
	var seen []string
	srv := standIn(t, &seen, "api.example.org")
	counter := &fakeCounter{counts: map[string]int{}}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	g := New(counter, "portal", Settings{PerIP: 100, PerEmail: 2, Window: time.Hour, TurnstileSecret: "secret-1",
		TurnstileURL: srv.URL, Hostnames: []string{"api.example.org"}, Now: func() time.Time { return now }, HashKey: testKey})
	ctx := context.Background()
	ip, email := CounterKey(testKey, "portal|ip|203.0.113.7"), CounterKey(testKey, "portal|email|ana@example.org")
	for i := 0; i < 5; i++ {
		if err := g.Client(ctx, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
	}
	if len(counter.hits) != 5 || counter.hits[4].key != ip || len(seen) != 0 {
		t.Fatalf("Client counted %+v, asked siteverify %v", counter.hits, seen)
	}
	// A bot: ten posts in Ana's name with junk tokens (and spellings of her address).
	for i, addr := range []string{"ana@example.org", "ana+1@example.org", "ana+2@example.org", "ana@example.org", "ana@example.org",
		"ana@example.org", "ana+x@example.org", "ana@example.org", "ana@example.org", "ana@example.org"} {
		junk := request.Sender{IP: "198.51.100.9", Email: addr, BotToken: "junk-" + string(rune('a'+i))}
		if k := fieldKey(g.Admit(ctx, junk)); k != "field.turnstile" {
			t.Fatalf("junk token %d: %s", i, k)
		}
	}
	if n := counter.counts[email+"@"+now.String()]; n != 0 || len(counter.hits) != 5 {
		t.Fatalf("refused tokens counted against the address: %d (hits %+v)", n, counter.hits)
	}
	s := request.Sender{IP: "203.0.113.7", Email: "ana@example.org", BotToken: "XXXX.DUMMY.TOKEN.XXXX"}
	for i := 0; i < 2; i++ {
		if err := g.Admit(ctx, s); err != nil {
			t.Fatalf("Ana, after the bot, admission %d: %v", i+1, err)
		}
	}
	var limited *Limited
	if err := g.Admit(ctx, s); !errors.As(err, &limited) {
		t.Fatalf("third admission of the address: %v, want limited", err)
	}
	if len(seen) != 13 || counter.counts[email+"@"+now.String()] != 2 || counter.counts[ip+"@"+now.String()] != 5 {
		t.Fatalf("siteverify asked %d times, counts %v", len(seen), counter.counts)
	}
}
