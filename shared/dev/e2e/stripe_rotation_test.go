package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localpay"
)

// TestRotationOverlapCountsOnce: while a signing secret is rotated (staff stripe connect
// -replace), two endpoints send to the webhook, so each event arrives twice, once signed
// by each endpoint's secret. Both deliveries are accepted and the gift counts once; an
// event signed by neither secret is refused and changes nothing.
func TestRotationOverlapCountsOnce(t *testing.T) {
	s := newStack(t, false, set("STRIPE_WEBHOOK_SECRET", "whsec_rotated_new,whsec_rotated_old"))
	deliver := func(payload []byte, secret string) int {
		return s.do(http.MethodPost, "/webhooks/stripe", "application/json", string(payload),
			map[string]string{"Stripe-Signature": localpay.Sign(payload, secret, time.Now())}).status
	}
	d := s.donate(nil)
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
	if st := deliver(payload, "whsec_rotated_other"); st != http.StatusBadRequest {
		t.Fatalf("signed by neither secret: %d, want 400", st)
	}
	if c := s.campaign(); c.DonationCount != 0 {
		t.Fatalf("a refused event counted: %d donations", c.DonationCount)
	}
	for _, secret := range []string{"whsec_rotated_new", "whsec_rotated_old"} {
		if st := deliver(payload, secret); st != http.StatusOK {
			t.Fatalf("signed by %s: %d, want 200", secret, st)
		}
	}
	c := s.campaign()
	if c.DonationCount != 1 || c.RaisedCents() != 9_002_500 {
		t.Fatalf("after both endpoints' deliveries: %d donations, %d raised; want the gift once", c.DonationCount, c.RaisedCents())
	}
}
