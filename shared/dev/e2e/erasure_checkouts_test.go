package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/staff"
)

// expiringStripe stands in front of stripe-mock for the staff tool: every request goes
// to stripe-mock, which checks it against Stripe's API; stripe-mock answers an expiry
// with a canned session whose status is "open" and whose id is not the one asked, so the
// stand-in answers as Stripe does, the session asked with status "expired". It records
// the sessions whose expiry stripe-mock accepted.
type expiringStripe struct {
	*httptest.Server
	mu      sync.Mutex
	expired []string
}

func newExpiringStripe(t *testing.T) *expiringStripe {
	t.Helper()
	target := emulator.Get(t).Stripe.URL
	x := &expiringStripe{}
	x.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		answer, _ := io.ReadAll(res.Body)
		if id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1/checkout/sessions/"), "/expire"); ok &&
			r.Method == http.MethodPost && res.StatusCode == http.StatusOK {
			var s map[string]any
			if json.Unmarshal(answer, &s) == nil {
				s["id"], s["status"] = id, "expired"
				answer, _ = json.Marshal(s)
				x.mu.Lock()
				x.expired = append(x.expired, id)
				x.mu.Unlock()
			}
		}
		w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(x.Close)
	return x
}

func (x *expiringStripe) sessionsExpired() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.expired)
}

// TestErasedAfterExpiringCheckouts: a stranger who opens Checkouts with someone's
// address (no payment needed) cannot hold off their erasure. Without -expire-checkouts,
// the erasure refuses, names the flag, asks Stripe nothing and changes nothing; with it,
// each open Checkout is expired at Stripe (stripe-mock) and the erasure goes through,
// leaving no trace.
func TestErasedAfterExpiringCheckouts(t *testing.T) {
	s := newStack(t, false)
	ctx := context.Background()
	const email = "blocked@example.org"
	sub := s.subscribe(email, "solidarity-annual", "en")
	once := s.donate(map[string]any{"email": email, "first_name": "Nora", "last_name": "Kasongo", "language": "en"})
	if sub.CheckoutID == "" || once.CheckoutID == "" {
		t.Fatalf("records without their Checkout: %q %q", sub.CheckoutID, once.CheckoutID)
	}
	stripe := newExpiringStripe(t)
	src := erasureKey(staff.Sources{Checkouts: func(context.Context) (staff.CheckoutExpirer, error) {
		return payment.NewCheckout(payment.Backend(stripe.URL), "sk_test_local", ""), nil
	}})
	before := s.tableAt()

	var out bytes.Buffer
	err := staff.Run(ctx, s.sys.Store, src, []string{"privacy", "erase", "-email", email, "-confirm"}, &out)
	if err == nil {
		t.Fatal("erased without -expire-checkouts while Checkouts could be paid")
	}
	for _, want := range []string{"erasure refused, nothing was changed", "subscription solidarity-annual (record " + sub.ID,
		"gift to " + once.Campaign + " (record " + once.ID, "run privacy erase again with -expire-checkouts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if got := stripe.sessionsExpired(); len(got) != 0 {
		t.Fatalf("sessions expired without the flag: %v", got)
	}
	if after := s.tableAt(); !reflect.DeepEqual(after, before) {
		t.Fatalf("a refused erasure changed the table: %d items, was %d", len(after), len(before))
	}

	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, src, []string{"privacy", "erase", "-email", email, "-confirm", "-expire-checkouts"}, &out); err != nil {
		t.Fatalf("erase with -expire-checkouts: %v\n%s", err, out.String())
	}
	want := []string{url.PathEscape(sub.CheckoutID), url.PathEscape(once.CheckoutID)}
	slices.Sort(want)
	want = slices.Compact(want) // stripe-mock may give every session the same id
	got := stripe.sessionsExpired()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("sessions expired at Stripe %v, want %v", got, want)
	}
	for _, want := range []string{"expired at Stripe: Checkout " + once.CheckoutID + " of gift to " + once.Campaign,
		"erased: ", "2 kept without identity"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the erasure does not say %q:\n%s", want, out.String())
		}
	}
	if left := s.fullScanTraces(email, "Nora", "Kasongo"); len(left) > 0 {
		t.Fatalf("traces in the table: %v", left)
	}
}
