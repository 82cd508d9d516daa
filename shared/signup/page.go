package signup

import (
	"fmt"
	"time"
	_ "time/tzdata" // the Lambda runtime need not hold a zone database

	"github.com/solidarity/solidarity/shared/i18n"
)

// montreal is the time zone the confirmation page tells a post's time in (that of the
// organization, Montréal and Toronto's); UTC if it cannot load, and the page says which.
var montreal, zoneKey = func() (*time.Location, string) {
	if l, err := time.LoadLocation("America/Toronto"); err == nil {
		return l, "page.confirm_ask.sent"
	}
	return time.UTC, "page.confirm_ask.sent_utc"
}()

// formLines are the lines a confirmation page lists of the application its button
// confirms, in lang: what its poster typed is passed as is, for the page to escape.
func formLines(lang i18n.Lang, f Form) []string {
	at := f.SubmittedAt.In(montreal)
	clock := at.Format("3:04") + " a.m."
	if at.Hour() >= 12 {
		clock = at.Format("3:04") + " p.m."
	}
	if lang == i18n.FR {
		clock = fmt.Sprintf("%d h %02d", at.Hour(), at.Minute())
	}
	lines := []string{
		i18n.Text(lang, i18n.M("page.confirm_ask.first_name", f.FirstName)),
		i18n.Text(lang, i18n.M("page.confirm_ask.place", f.City, f.PostalStart)),
	}
	if !f.SubmittedAt.IsZero() {
		lines = append(lines, i18n.Text(lang, i18n.M(zoneKey, i18n.FormatDate(lang, at), clock)))
	}
	switch {
	case f.Resubscribes:
		lines = append(lines, i18n.Text(lang, i18n.M("page.confirm_ask.news_again")))
	case f.News:
		lines = append(lines, i18n.Text(lang, i18n.M("page.confirm_ask.news_yes")))
	default:
		lines = append(lines, i18n.Text(lang, i18n.M("page.confirm_ask.news_no")))
	}
	return lines
}
