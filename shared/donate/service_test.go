package donate

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// store is an in-memory donation.Store.
type store struct {
	campaigns map[string]campaign.Campaign
	created   []donation.Donation
	consents  []*consent.Record
	err       error
}

func (s *store) CampaignSettings(_ context.Context, slug string) (campaign.Campaign, error) {
	c, ok := s.campaigns[slug]
	if !ok {
		return c, campaign.ErrNotFound
	}
	return c, nil
}

func (s *store) CreateDonation(_ context.Context, d donation.Donation, c *consent.Record) error {
	if s.err != nil {
		return s.err
	}
	s.created = append(s.created, d)
	s.consents = append(s.consents, c)
	return nil
}

// checkout is a donation.Checkout that records its calls.
type checkout struct {
	calls []donation.Donation
	err   error
}

func (c *checkout) DonationSession(_ context.Context, d donation.Donation, _ campaign.Campaign) (donation.Session, error) {
	c.calls = append(c.calls, d)
	if c.err != nil {
		return donation.Session{}, c.err
	}
	return donation.Session{ID: "cs_test_1", URL: "https://checkout.stripe.com/c/pay/cs_test_1"}, nil
}

func fixture() (*store, *checkout, Service) {
	st := &store{campaigns: map[string]campaign.Campaign{
		"appeal-2024": campaign.Campaign{Slug: "appeal-2024", TitleEN: "2024 financial appeal", TitleFR: "Campagne financière 2024",
			GoalCents: 10_000_000, Open: true}.WithDefaults(),
	}}
	co := &checkout{}
	return st, co, Service{Store: st, Checkout: co, Fees: donation.StripeCanada,
		Now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }}
}

func valid() Request {
	return Request{Campaign: "appeal-2024", AmountCents: 2500, Frequency: "once", FirstName: "Élise",
		LastName: "Tremblay", Email: "Elise@Example.org"}
}

func TestCreate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		st, co, svc := fixture()
		req := valid()
		req.CoverFees, req.ConsentUpdates = true, true
		d, sess, err := svc.Create(context.Background(), req, i18n.FR, consent.Origin{IP: "203.0.113.7", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if sess.URL == "" || d.CheckoutID != "cs_test_1" || d.ChargeCents != 2606 || d.AmountCents != 2500 ||
			d.Email != "elise@example.org" || d.Language != "fr" || d.CampaignTitle != "Campagne financière 2024" || d.Status != "pending" {
			t.Fatalf("donation %+v", d)
		}
		if len(co.calls) != 1 || len(st.created) != 1 || st.consents[0] == nil || st.consents[0].IP != "203.0.113.7" ||
			st.consents[0].Version != consent.Version {
			t.Fatalf("calls %d, stored %d, consent %+v", len(co.calls), len(st.created), st.consents)
		}
	})
	t.Run("ErrStripeStoresNothing", func(t *testing.T) {
		st, co, svc := fixture()
		co.err = errors.New("stripe: connection refused")
		if _, _, err := svc.Create(context.Background(), valid(), i18n.EN, consent.Origin{}); err == nil {
			t.Fatal("no error")
		}
		if len(st.created) != 0 {
			t.Fatal("stored a donation without a session")
		}
	})
	t.Run("ErrInvalidCallsNothing", func(t *testing.T) {
		st, co, svc := fixture()
		req := valid()
		req.AmountCents = 50
		_, _, err := svc.Create(context.Background(), req, i18n.EN, consent.Origin{})
		var e *httpapi.Error
		if !errors.As(err, &e) || e.Code != "validation_failed" {
			t.Fatalf("err %v", err)
		}
		if len(co.calls)+len(st.created) != 0 {
			t.Fatal("a refused request reached Stripe or the store")
		}
	})
	t.Run("ErrStoreIsInternal", func(t *testing.T) {
		st, _, svc := fixture()
		st.err = errors.New("throttled")
		_, _, err := svc.Create(context.Background(), valid(), i18n.EN, consent.Origin{})
		if _, known := httpapi.AsError(err); known || err == nil {
			t.Fatalf("err %v", err)
		}
	})
}

func TestHandlerHoneypotTouchesNothing(t *testing.T) {
	st, co, svc := fixture()
	h := Handler{Service: svc, ThanksURL: "https://don.example.org/donations/thanks"}
	r := httptest.NewRequest(http.MethodPost, "/donations", strings.NewReader(
		`{"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","first_name":"B","last_name":"Ot","email":"b@example.org","website":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"checkout_url":"https://don.example.org/donations/thanks"`) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(co.calls)+len(st.created) != 0 {
		t.Fatal("the honeypot reached Stripe or the store")
	}
}

// TestOtherAmount: the "other amount" box is read by money.ParseDollars in the request's
// language, and a refusal names the other_amount field in that language.
func TestOtherAmount(t *testing.T) {
	camp := campaign.Campaign{Slug: "appeal-2024", Open: true, MinCents: 100, MaxCents: 1_000_000_00}
	tests := []struct {
		in     string
		lang   i18n.Lang
		want   int64  // the amount, when accepted
		reason string // else a part of the field's message in lang
	}{
		{"25", i18n.EN, 2500, ""},
		{"25,50", i18n.EN, 2550, ""},
		{"25,50", i18n.FR, 2550, ""},
		{"25.5", i18n.FR, 2550, ""},
		{"$25", i18n.EN, 2500, ""},
		{"25 $", i18n.FR, 2500, ""},
		{"1,250.00", i18n.EN, 125_000, ""},
		{"1,250", i18n.EN, 125_000, ""},
		{"1 250,50", i18n.FR, 125_050, ""},
		{"1 250,50 $", i18n.FR, 125_050, ""},
		{"1,250", i18n.FR, 0, "deux façons"},
		{"1.250", i18n.EN, 0, "two ways"},
		{"1,250.00", i18n.FR, 0, "deux façons"},
		{"25.555", i18n.EN, 0, "two ways"},
		{"25.5555", i18n.FR, 0, "deux chiffres"},
		{"-5", i18n.EN, 0, "negative"},
		{"1e3", i18n.FR, 0, "montant en dollars"},
		{"twenty", i18n.EN, 0, "amount in dollars"},
		{"12345678901", i18n.EN, 0, "at most $999,999,999.99"},
		{"0,50", i18n.FR, 0, "minimum est de 1,00"},
		{"1000000.01", i18n.EN, 0, "maximum donation is $1,000,000.00"},
	}
	for _, tt := range tests {
		r := Request{Campaign: "appeal-2024", AmountCents: 1000, Frequency: "once", FirstName: "Ana", LastName: "Roy",
			Email: "ana@example.org", OtherAmount: tt.in}
		fields := r.Check(&camp, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), tt.lang)
		got, refused := fields["other_amount"]
		switch {
		case tt.reason == "" && (len(fields) != 0 || r.AmountCents != tt.want):
			t.Errorf("%q (%s): %d cents, %v; want %d", tt.in, tt.lang, r.AmountCents, fields, tt.want)
		case tt.reason != "" && (!refused || len(fields) != 1 || !strings.Contains(i18n.Text(tt.lang, got), tt.reason)):
			t.Errorf("%q (%s): %v; want other_amount refused with %q", tt.in, tt.lang, fields, tt.reason)
		}
	}
}
