package webforms

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// DefaultFees are the card fees the forms are rendered with unless told otherwise: the
// donate function's own default (FEE_PERCENT_BPS 290, FEE_FIXED_CENTS 30).
var DefaultFees = donation.StripeCanada

// Fees are the card fees a donor may cover, as a page shows them: the numbers for
// forms.js (data-fee-bps, data-fee-cents), which works out the charge the Donate button
// names as the donate function does (donation.Fees.GrossUp), and the words for people,
// in the page's language.
type Fees struct {
	PercentBps, FixedCents int64
	// Rate is the fees in words: "2.9% + 30¢", "2,9 % + 0,30 $".
	Rate string
	// ExampleFrom and ExampleTo are a gift of $25.00 and its charge with the fees covered.
	ExampleFrom, ExampleTo string
}

// exampleCents is the gift the page's words take as their example.
const exampleCents = 2500

// NewFees are f as a page in lang shows them.
func NewFees(f donation.Fees, lang i18n.Lang) Fees {
	pct := fmt.Sprint(f.PercentBps / 100)
	if frac := f.PercentBps % 100; frac != 0 {
		dec := "."
		if lang == i18n.FR {
			dec = ","
		}
		pct += dec + strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
	}
	fixed := i18n.FormatCents(lang, f.FixedCents)
	rate := pct + "% + " + fixed
	if lang == i18n.FR {
		rate = pct + "\u00a0% + " + fixed
	} else if f.FixedCents < 100 {
		rate = pct + "% + " + fmt.Sprint(f.FixedCents) + "¢"
	}
	return Fees{PercentBps: f.PercentBps, FixedCents: f.FixedCents, Rate: rate,
		ExampleFrom: i18n.FormatCents(lang, exampleCents), ExampleTo: i18n.FormatCents(lang, f.GrossUp(exampleCents))}
}

// RenderFees is Render with the card fees the donate function charges (its
// FEE_PERCENT_BPS and FEE_FIXED_CENTS), so that the pages name the charge it will make.
func RenderFees(src fs.FS, id organization.Identity, fees donation.Fees) (Files, error) {
	return renderFees(src, id, fees)
}
