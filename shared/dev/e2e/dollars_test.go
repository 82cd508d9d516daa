package e2e

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/staff"
)

// TestDollarsReadAlikeByFormAndStaff: the same typed dollars, posted in the donation
// form's "other amount" box (a plain form post, as the page sends it) and given to
// `staff offline add -amount`, are the same cents in both, or are refused by both with the
// reason in the language: "25,50" is $25.50 everywhere, never $2,550.00.
func TestDollarsReadAlikeByFormAndStaff(t *testing.T) {
	s := newStack(t, false)
	ctx := context.Background()
	tests := []struct {
		typed string
		lang  i18n.Lang
		cents int64  // 0: refused
		says  string // the refusal, in lang
	}{
		{"25,50", i18n.EN, 2550, ""},
		{"25,50", i18n.FR, 2550, ""},
		{"25.50", i18n.FR, 2550, ""},
		{"1,250.00", i18n.EN, 125_000, ""},
		{"1,250", i18n.EN, 125_000, ""},
		{"1 250,50 $", i18n.FR, 125_050, ""},
		{"1\u202f250,50", i18n.FR, 125_050, ""},
		{"1,250", i18n.FR, 0, "deux façons"},
		{"1.250", i18n.EN, 0, "two ways"},
		{"1.250,00", i18n.EN, 0, "two ways"},
		{"25.5555", i18n.FR, 0, "deux chiffres"},
		{"-25", i18n.EN, 0, "negative"},
		{"2.5e1", i18n.FR, 0, "montant en dollars"},
	}
	for _, tt := range tests {
		t.Run(tt.typed+"/"+string(tt.lang), func(t *testing.T) {
			form := url.Values{"campaign": {localdev.AppealSlug}, "amount_cents": {""}, "other_amount": {tt.typed},
				"frequency": {"once"}, "first_name": {"Ana"}, "last_name": {"Roy"}, "email": {"dollars@example.org"},
				"language": {string(tt.lang)}}
			before := s.campaign().OfflineCents
			var out bytes.Buffer
			staffErr := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"offline", "add", "-campaign", localdev.AppealSlug,
				"-amount", tt.typed, "-lang", string(tt.lang), "-method", "cheque", "-received-on", "2026-11-20"}, &out)
			added := s.campaign().OfflineCents - before
			res := s.postForm("/donations", form, nil)

			if tt.cents == 0 {
				if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), tt.says) {
					t.Errorf("form: %d, want 400 saying %q: %s", res.status, tt.says, res.body)
				}
				if !errors.Is(staffErr, staff.ErrUsage) || !strings.Contains(staffErr.Error(), tt.says) || added != 0 {
					t.Errorf("staff: %v, added %d; want refused saying %q", staffErr, added, tt.says)
				}
				return
			}
			if staffErr != nil || added != tt.cents {
				t.Errorf("staff: %v, added %d cents; want %d", staffErr, added, tt.cents)
			}
			loc := res.header.Get("Location")
			id, found := strings.CutPrefix(loc, s.url+"/_local/checkout/")
			if res.status != http.StatusSeeOther || !found {
				t.Fatalf("form: %d %q %s", res.status, loc, res.body)
			}
			if d := s.donationByID(id); d.AmountCents != tt.cents || d.ChargeCents != tt.cents {
				t.Errorf("form: donation of %d cents, charged %d; want %d", d.AmountCents, d.ChargeCents, tt.cents)
			}
		})
	}
}
