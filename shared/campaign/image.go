package campaign

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// ImagePolicy is the image's Content-Security-Policy: an SVG opened on its own is a
// document, and this one may run no script and fetch nothing.
const ImagePolicy = "default-src 'none'; style-src 'unsafe-inline'"

// The image's drawing, in viewBox units: a line of text over a bar, as wide as the page
// gives it (width 100%).
const (
	imageWidth  = 360
	imageHeight = 52
)

// ServeImage answers GET /campaigns/{slug}/progress.svg?lang=en|fr: the progress of
// GET /campaigns/{slug} (the same reading, the same caching) drawn as an SVG a page shows
// without script, "$90,000 raised of $100,000" over a bar in the organization's accent
// colour. Only numbers are drawn: no campaign text reaches the image. An unknown campaign
// is a 404 image saying so.
func (h Handler) ServeImage(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	p, err := h.progress(r, lang)
	notFound := false
	if err != nil {
		e, known := httpapi.AsError(err)
		if notFound = known && e.Status == http.StatusNotFound; !notFound {
			httpapi.WriteError(w, r, lang, false, err) // logged, and a broken image
			return
		}
	}
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", ImagePolicy)
	// The forms' site, another origin, embeds it.
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	if notFound {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(notFoundImage(lang))
		return
	}
	cachePublic(w)
	accent := organization.FromContext(r.Context()).Accent()
	if !organization.Colour(accent) { // an identity that skipped Check writes no markup
		accent = organization.DefaultAccent
	}
	_, _ = w.Write(progressImage(lang, p, accent))
}

// ProgressText is the image's words for p in lang: "$90,000 raised of $100,000",
// "90 000 $ amassés sur 100 000 $", in whole dollars (Amount).
func ProgressText(lang i18n.Lang, p Progress) string {
	return i18n.Text(lang, i18n.M("campaign.progress", Amount(lang, p.RaisedCents), Amount(lang, p.GoalCents)))
}

// Amount writes cents as whole dollars in lang, as the forms' script does
// ("$90,000", "90 000 $"): the cents dropped, never rounded up (a total does not
// claim a dollar not yet raised), and a total below zero (refunds beyond the money
// raised) as nothing raised.
func Amount(lang i18n.Lang, cents int64) string {
	s := i18n.FormatCents(lang, max(cents, 0)/100*100)
	if lang == i18n.FR {
		return strings.Replace(s, ",00\u00a0$", "\u00a0$", 1)
	}
	return strings.TrimSuffix(s, ".00")
}

// progressImage draws p: its text, also the image's title (what a screen reader or a
// tooltip gives), and the bar filled to its percent, 100 at most.
func progressImage(lang i18n.Lang, p Progress, accent string) []byte {
	text := escape(ProgressText(lang, p))
	fill := min(max(p.Percent, 0), 100) * imageWidth // the bar's width in hundredths of a unit
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="t" lang="%s" xml:lang="%s">`,
		imageWidth, imageHeight, lang, lang)
	fmt.Fprintf(&b, `<title id="t">%s</title>`, text)
	fmt.Fprintf(&b, `<text x="0" y="20" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" font-size="17" font-weight="600" fill="#1f1f1f">%s</text>`, text)
	fmt.Fprintf(&b, `<rect x="0" y="30" width="%d" height="16" rx="8" fill="#e8e3dc"/>`, imageWidth)
	fmt.Fprintf(&b, `<rect x="0" y="30" width="%d.%d" height="16" rx="8" fill="%s"/>`, fill/100, fill%100/10, escape(accent))
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// notFoundImage is the 404's image: a title and nothing drawn.
func notFoundImage(lang i18n.Lang) []byte {
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="t" lang="%s" xml:lang="%s"><title id="t">%s</title></svg>`+"\n",
		imageWidth, imageHeight, lang, lang, escape(i18n.Text(lang, i18n.M("error.not_found"))))
}

// escape is s as XML character data or an attribute's value.
func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
