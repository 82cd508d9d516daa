package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// Action is the one thing a page offers to do with an emailed link: a button, in a plain
// form that works without JavaScript, posting the link's secret to Path. Following a link
// (GET) only shows the page, since mail scanners and previews fetch every link; the post
// acts.
type Action struct {
	// Path is where the form posts, relative to the page (say "confirm" on
	// /members/confirm), so that it holds under any prefix of PUBLIC_URL.
	Path string
	// Token is the link's secret, carried in a hidden field.
	Token string
	// RedirectTo are the origins, beyond the API's own, that the post may answer with a
	// redirect to (a browser applies the page's form-action to redirects too).
	RedirectTo []string
	// Details, if any, are lines listed after the body (escaped: they may hold typed
	// text), saying what the button acts on.
	Details []string
}

// WriteActionPage answers the localized page of catalogue entries page.<name>.title,
// page.<name>.body (formatted with args), page.<name>.note if there is one, and the
// button's page.<name>.button. It is never cached, and its Referrer-Policy is
// same-origin: with no-referrer a browser would post the form with "Origin: null".
func WriteActionPage(w http.ResponseWriter, r *http.Request, status int, lang i18n.Lang, name string, a Action, args ...any) {
	note := PageText(r, lang, i18n.M("page."+name+".note"))
	if note == "page."+name+".note" {
		note = ""
	}
	org := organization.FromContext(r.Context())
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", pagePolicy(org)+"; form-action "+
		strings.Join(append([]string{"'self'"}, a.RedirectTo...), " ")+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	renderPage(w, "action.html", org, map[string]any{
		"Lang":    lang,
		"Title":   PageText(r, lang, i18n.M("page."+name+".title")),
		"Body":    PageText(r, lang, i18n.M("page."+name+".body", args...)),
		"Note":    note,
		"Button":  PageText(r, lang, i18n.M("page."+name+".button")),
		"Action":  a.Path,
		"Token":   a.Token,
		"Details": a.Details,
	})
}

// maxActionBody bounds the body of a button's post: a token and little else.
const maxActionBody = 8 << 10

// ButtonToken is the link's secret as the button of WriteActionPage posts it: the form's
// "token" field, never the query. A post of the link's own address (a mail scanner's, or
// a mail client's RFC 8058 one-click) carries none, and its handler shows the link's
// page instead of acting. It reads the body into r.PostForm, URL-encoded or multipart
// (both are RFC 8058's); a post whose body is too large or broken carries none.
func ButtonToken(w http.ResponseWriter, r *http.Request) string {
	if r.Body != nil && r.PostForm == nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxActionBody)
		err := r.ParseForm()
		if err == nil && strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			err = r.ParseMultipartForm(maxActionBody)
		}
		if err != nil {
			r.PostForm = url.Values{}
			return ""
		}
	}
	if r.PostForm == nil {
		return ""
	}
	return r.PostForm.Get("token")
}
