package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
)

// Steps are the forms a result page may send a person to next: the appeal
// (DONATE_PAGE_URL), the membership form (JOIN_PAGE_URL) and the subscription form
// (SUBSCRIBE_PAGE_URL); members' dues are the membership form's section #dues. A step without an address is not offered: no page links to a
// form nobody configured.
type Steps struct {
	Appeal, Join, Subscribe string
}

// The next steps a page may offer.
const (
	StepAppeal    = "appeal"
	StepJoin      = "join"
	StepSubscribe = "subscribe"
	StepDues      = "dues"
)

// url is the address of the step named name, or "".
func (s Steps) url(name string) string {
	switch name {
	case StepAppeal:
		return s.Appeal
	case StepJoin:
		return s.Join
	case StepSubscribe:
		return s.Subscribe
	case StepDues:
		return s.Join
	}
	return ""
}

type stepsKey struct{}

// WithSteps is ctx carrying the next steps the pages offer (Sites.Handler puts the
// Sites' own in every request's).
func WithSteps(ctx context.Context, s Steps) context.Context {
	return context.WithValue(ctx, stepsKey{}, s)
}

// StepsFrom is the next steps ctx carries (none if it carries none).
func StepsFrom(ctx context.Context) Steps {
	s, _ := ctx.Value(stepsKey{}).(Steps)
	return s
}

// pageSteps are the next steps each message page offers, in order: after a gift, to
// join and subscribe; after joining, the appeal and the paper; after a link that cannot
// confirm, the form again.
var pageSteps = map[string][]string{
	"thanks":               {StepJoin, StepSubscribe, StepAppeal},
	"thanks_paid":          {StepJoin, StepSubscribe, StepAppeal},
	"thanks_pending":       {StepJoin, StepSubscribe, StepAppeal},
	"thanks_failed":        {StepAppeal},
	"cancel":               {StepAppeal},
	"joined":               {StepAppeal, StepSubscribe},
	"confirmed":            {StepDues, StepAppeal, StepSubscribe},
	"already":              {StepDues, StepAppeal, StepSubscribe},
	"link_used":            {StepJoin},
	"link_expired":         {StepJoin},
	"link_invalid":         {StepJoin},
	"sub_thanks":           {StepAppeal, StepJoin},
	"sub_thanks_active":    {StepAppeal, StepJoin},
	"sub_thanks_pending":   {StepAppeal, StepJoin},
	"dues_thanks_active":   {StepAppeal, StepSubscribe},
	"dues_thanks_pending":  {StepAppeal, StepSubscribe},
	"sub_cancel":           {StepSubscribe},
	"dues_cancel":          {StepDues},
	"dues_thanks":          {StepAppeal, StepSubscribe},
	"portal_done":          {StepAppeal},
	"unsubscribed":         {StepAppeal},
	"resubscribed":         {StepAppeal},
	"unsubscribed_closed":  {StepAppeal},
	"portal_sent":          {StepAppeal},
	"portal_invalid":       {StepSubscribe},
	"unsub_invalid":        {StepAppeal},
	"news_confirm_used":    {StepAppeal},
	"news_confirm_invalid": {StepAppeal},
}

// PageSteps are the next steps the message page name offers by default (whichever are
// configured show).
func PageSteps(name string) []string { return pageSteps[name] }

// pageLink is a next step as a page shows it.
type pageLink struct {
	Step, URL, Text string
}

// nextLinks are the steps named, in lang, that r's context has an address for.
func nextLinks(r *http.Request, lang i18n.Lang, names []string) []pageLink {
	s := StepsFrom(r.Context())
	var out []pageLink
	for _, n := range names {
		if u := s.url(n); u != "" {
			u = InLanguage(u, lang)
			if n == StepDues && !strings.Contains(u, "#") {
				u += "#dues" // web/join.html's section of the dues form
			}
			out = append(out, pageLink{Step: n, URL: u, Text: PageText(r, lang, i18n.M("page.next."+n))})
		}
	}
	return out
}

// InLanguage is the address of a form's page in lang: `make forms` writes the French
// page of x.html as x.fr.html, so a French page links to it; any other address (a site
// of its own per language, a folder) is as configured.
func InLanguage(u string, lang i18n.Lang) string {
	path, query, hasQuery := strings.Cut(u, "?")
	if lang != i18n.FR || !strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".fr.html") {
		return u
	}
	path = strings.TrimSuffix(path, ".html") + ".fr.html"
	if hasQuery {
		return path + "?" + query
	}
	return path
}

// Result is a page of what a form or a link did: its catalogue entries page.<Name>.title
// and page.<Name>.body (formatted with Args), the lines that restate what happened
// (Details, shown as they are, escaped), and the next steps it offers (Steps; nil: the
// page's own, PageSteps).
type Result struct {
	Name    string
	Args    []any
	Details []string
	Steps   []string
}

// WriteReturnPage answers a page Checkout returns to, in the language its address asks
// for (else the browser's): the page restate gives, if it finds what to restate, else
// plain. The address holds the Checkout session's id, so the page is kept out of caches
// and out of other sites' logs.
func WriteReturnPage(w http.ResponseWriter, r *http.Request, plain Result, restate func(lang i18n.Lang) (Result, bool)) {
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	res := plain
	if found, ok := restate(lang); ok {
		res = found
	}
	WriteResult(w, r, http.StatusOK, lang, res)
}

// WriteResult answers the page of res in lang.
func WriteResult(w http.ResponseWriter, r *http.Request, status int, lang i18n.Lang, res Result) {
	steps := res.Steps
	if steps == nil {
		steps = pageSteps[res.Name]
	}
	WritePage(w, r, status, "message.html", map[string]any{
		"Lang":      lang,
		"Title":     PageText(r, lang, i18n.M("page."+res.Name+".title")),
		"Body":      PageText(r, lang, i18n.M("page."+res.Name+".body", res.Args...)),
		"Details":   res.Details,
		"Links":     nextLinks(r, lang, steps),
		"NextTitle": PageText(r, lang, i18n.M("page.next.title")),
	})
}
