package webforms

import (
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

func TestNewFees(t *testing.T) {
	for _, c := range []struct {
		fees     donation.Fees
		lang     i18n.Lang
		rate, to string
	}{
		{donation.StripeCanada, i18n.EN, "2.9% + 30¢", "$26.06"},
		{donation.StripeCanada, i18n.FR, "2,9\u00a0% + 0,30\u00a0$", "26,06\u00a0$"},
		{donation.Fees{PercentBps: 300, FixedCents: 0}, i18n.EN, "3% + 0¢", "$25.78"},
		{donation.Fees{PercentBps: 275, FixedCents: 125}, i18n.EN, "2.75% + $1.25", "$27.00"},
		{donation.Fees{PercentBps: 305, FixedCents: 125}, i18n.FR, "3,05\u00a0% + 1,25\u00a0$", "27,08\u00a0$"},
		{donation.Fees{}, i18n.FR, "0\u00a0% + 0,00\u00a0$", "25,00\u00a0$"},
	} {
		got := NewFees(c.fees, c.lang)
		want := Fees{PercentBps: c.fees.PercentBps, FixedCents: c.fees.FixedCents, Rate: c.rate,
			ExampleFrom: i18n.FormatCents(c.lang, 2500), ExampleTo: c.to}
		if got != want {
			t.Errorf("NewFees(%+v, %s) = %+v, want %+v", c.fees, c.lang, got, want)
		}
		if c.to != i18n.FormatCents(c.lang, c.fees.GrossUp(2500)) {
			t.Errorf("%+v: the example %s is not the fee function's", c.fees, c.to)
		}
	}
}

// TestDefaultFeesAreTheFunctions: the pages rendered without fees name the donate
// function's own default ones.
func TestDefaultFeesAreTheFunctions(t *testing.T) {
	c, err := config.LoadFrom(func(name string) string {
		return map[string]string{"TABLE_NAME": "t", "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
			"PUBLIC_URL": "https://api.example.org", "MAIL_FROM": "a@example.org", "HASH_KEY": "k"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := (donation.Fees{PercentBps: c.FeePercentBps, FixedCents: c.FeeFixedCents}); got != DefaultFees {
		t.Errorf("the function's default fees %+v, the pages' %+v", got, DefaultFees)
	}
}

// TestRenderFees: the donate page carries the fees for forms.js and says them, in each
// language; the other pages are as Render makes them.
func TestRenderFees(t *testing.T) {
	fees := donation.Fees{PercentBps: 350, FixedCents: 25}
	got, err := RenderFees(web, organization.Default(), fees)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Render(web, organization.Default())
	if err != nil {
		t.Fatal(err)
	}
	for name, rate := range map[string]string{"index.html": "3.5% &#43; 25¢", "index.fr.html": "3,5\u00a0% &#43; 0,25\u00a0$"} {
		page := string(got[name])
		for _, want := range []string{`data-fee-bps="350"`, `data-fee-cents="25"`, rate} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if def := string(plain[name]); !strings.Contains(def, `data-fee-bps="290" data-fee-cents="30"`) {
			t.Errorf("%s rendered by Render lacks the default fees", name)
		}
	}
	if string(got["join.html"]) != string(plain["join.html"]) {
		t.Error("join.html depends on the fees")
	}
}
