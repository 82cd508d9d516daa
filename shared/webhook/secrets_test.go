package webhook

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/solidarity/solidarity/shared/dev/localpay"
)

func TestParseSecrets(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"whsec_a", []string{"whsec_a"}},
		{"whsec_new,whsec_old", []string{"whsec_new", "whsec_old"}},
		{" whsec_new , whsec_old \n", []string{"whsec_new", "whsec_old"}},
		{"whsec_new whsec_old\twhsec_older", []string{"whsec_new", "whsec_old", "whsec_older"}},
		{"whsec_new\r\nwhsec_old", []string{"whsec_new", "whsec_old"}},
		{",whsec_a,,", []string{"whsec_a"}},
		{",", nil},
		{" , \n ,", nil},
	}
	for _, tt := range tests {
		if got := ParseSecrets(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseSecrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseSecrets: no secret is empty or holds a separator, and writing the secrets
// back as the parameter's value reads the same secrets.
func FuzzParseSecrets(f *testing.F) {
	for _, s := range []string{"", "whsec_a", "whsec_new,whsec_old", " a , b \n", ",,", "a\u00a0b", "\u2028x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := ParseSecrets(in)
		for _, s := range got {
			if s == "" || strings.ContainsRune(s, ',') || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
				t.Fatalf("ParseSecrets(%q) gave %q", in, s)
			}
		}
		if again := ParseSecrets(strings.Join(got, ",")); !slices.Equal(again, got) {
			t.Fatalf("joined %q read back as %q", got, again)
		}
	})
}

// signedBy is a Stripe-Signature header for payload at at, with one v1 signature per
// secret (as Stripe sends while it rolls an endpoint's secret).
func signedBy(payload []byte, at time.Time, secrets ...string) string {
	h := fmt.Sprintf("t=%d", at.Unix())
	for _, s := range secrets {
		h += ",v1=" + hex.EncodeToString(webhook.ComputeSignature(at, payload, s))
	}
	return h
}

func TestRotationAcceptsEitherSecret(t *testing.T) {
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), time.Now())
	now := time.Now()
	tests := []struct {
		name    string
		setting string
		sig     string
		want    int
	}{
		{"during a rotation, signed with the new secret", "whsec_new,whsec_old", signedBy(payload, now, "whsec_new"), 200},
		{"during a rotation, signed with the old secret", "whsec_new,whsec_old", signedBy(payload, now, "whsec_old"), 200},
		{"during a rotation, separated by white space", "whsec_new\nwhsec_old", signedBy(payload, now, "whsec_old"), 200},
		{"during a rotation, signed with neither", "whsec_new,whsec_old", signedBy(payload, now, "whsec_other"), 400},
		{"Stripe rolling: two signatures, one ours", "whsec_new", signedBy(payload, now, "whsec_other", "whsec_new"), 200},
		{"after the rotation, the old secret is refused", "whsec_new", signedBy(payload, now, "whsec_old"), 400},
		{"an empty entry is not a secret", "whsec_new,,", signedBy(payload, now, ""), 400},
		{"an empty setting accepts nothing", "", signedBy(payload, now, ""), 400},
		{"only separators accept nothing", " , ", signedBy(payload, now, ""), 400},
		{"a stale signature by the new secret", "whsec_new,whsec_old", signedBy(payload, now.Add(-6*time.Minute), "whsec_new"), 400},
		{"a stale signature by the old secret", "whsec_new,whsec_old", signedBy(payload, now.Add(-6*time.Minute), "whsec_old"), 400},
		{"no signature", "whsec_new,whsec_old", "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &ledger{}
			if st := serve(Handler{Secret: tt.setting, Ledger: l}, payload, tt.sig); st != tt.want {
				t.Fatalf("status %d, want %d", st, tt.want)
			}
			if applied := len(l.payments) == 1; applied != (tt.want == 200) {
				t.Fatalf("payments %v for status %d", l.payments, tt.want)
			}
		})
	}
	t.Run("another API version, correctly signed by the old secret, is refused", func(t *testing.T) {
		other := []byte(strings.Replace(string(payload), `"api_version":"2023-10-16"`, `"api_version":"2024-06-20"`, 1))
		l := &ledger{}
		if st := serve(Handler{Secret: "whsec_new,whsec_old", Ledger: l}, other, signedBy(other, now, "whsec_old")); st != 400 || len(l.payments) != 0 {
			t.Fatalf("status %d, payments %v", st, l.payments)
		}
	})
	t.Run("a longer tolerance still applies to every secret", func(t *testing.T) {
		h := Handler{Secret: "whsec_new,whsec_old", Ledger: &ledger{}, Tolerance: 10 * time.Minute}
		if st := serve(h, payload, signedBy(payload, now.Add(-8*time.Minute), "whsec_old")); st != 200 {
			t.Fatalf("status %d", st)
		}
		if st := serve(h, payload, signedBy(payload, now.Add(-11*time.Minute), "whsec_old")); st != 400 {
			t.Fatalf("status %d", st)
		}
	})
}

// param stands for the SSM parameter: its value, and how often it was read.
type param struct {
	value string
	err   error
	reads int
}

func (p *param) load(context.Context) (string, error) {
	p.reads++
	return p.value, p.err
}

func TestSecretSourceReadsTheParameterAgain(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	p := &param{value: "whsec_old"}
	src := &SecretSource{Load: p.load, Now: func() time.Time { return clock }}
	h := Handler{Secrets: src, Ledger: &ledger{}}
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(gift), time.Now())
	status := func(secret string) int { return serve(h, payload, signedBy(payload, time.Now(), secret)) }

	if st := status("whsec_old"); st != 200 || p.reads != 1 {
		t.Fatalf("status %d after %d reads", st, p.reads)
	}
	p.value = "whsec_new,whsec_old" // staff stripe connect -replace
	clock = clock.Add(SecretMaxAge - time.Second)
	if st := status("whsec_new"); st != 400 || p.reads != 1 {
		t.Fatalf("before SecretMaxAge: status %d after %d reads, want the old secrets kept", st, p.reads)
	}
	clock = clock.Add(time.Second)
	if st := status("whsec_new"); st != 200 || p.reads != 2 {
		t.Fatalf("at SecretMaxAge: status %d after %d reads", st, p.reads)
	}
	if st := status("whsec_old"); st != 200 || p.reads != 2 {
		t.Fatalf("the old secret during the overlap: status %d after %d reads", st, p.reads)
	}
	p.value = "whsec_new" // -finish-rotation
	clock = clock.Add(SecretMaxAge)
	if st := status("whsec_old"); st != 400 || p.reads != 3 {
		t.Fatalf("after the rotation: status %d after %d reads", st, p.reads)
	}

	// SSM fails: the secrets read before stay, and the next read waits SecretMaxAge.
	p.err = errors.New("ssm: throttled")
	clock = clock.Add(SecretMaxAge)
	if st := status("whsec_new"); st != 200 || p.reads != 4 {
		t.Fatalf("with SSM failing: status %d after %d reads", st, p.reads)
	}
	if st := status("whsec_new"); st != 200 || p.reads != 4 {
		t.Fatalf("SSM read again at once: %d reads", p.reads)
	}

	// The first read failing is an error: the function does not start without its secrets.
	first := &SecretSource{Load: (&param{err: errors.New("ssm: denied")}).load}
	if _, err := first.Secrets(ctx); err == nil {
		t.Fatal("a first read that failed gave secrets")
	}
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
	r.Header.Set("Stripe-Signature", signedBy(payload, time.Now(), "whsec_new"))
	w := httptest.NewRecorder()
	Handler{Secrets: first, Ledger: &ledger{}}.ServeHTTP(w, r)
	if w.Code != 500 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("without secrets: status %d, want 500 with Retry-After so Stripe retries", w.Code)
	}
}
