package httpapi

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
)

// CodeForbiddenOrigin is the contract's error for a post from another site's page.
const CodeForbiddenOrigin = "forbidden_origin"

// NotBrowserForms are the paths whose posts come from other parties' servers rather than
// from our forms, and are proven otherwise: Stripe's webhook (signed) and the one-click
// unsubscribe of RFC 8058 (a mail client's post, authorised by the link's token).
var NotBrowserForms = []string{"/webhooks/stripe", "/unsubscribe"}

// Sites are the web sites whose pages may use the API: its own (PUBLIC_URL: the pages
// the functions render, such as a link's button page) and the forms' (ALLOWED_ORIGINS).
type Sites struct {
	// Own is the API's public base URL; its origin is ours. Empty: the address API Gateway
	// served the request at (a stack without a custom domain), which Absolute uses too.
	Own     string
	Allowed []string // origins of the pages that host the forms
	// ClientIPHeader, if set, is the proxy's header of the client's address, believed only
	// on a request carrying ClientIPSecret in OriginVerifyHeader (ViewerAddress).
	ClientIPHeader string
	ClientIPSecret string
	// Org is the organization the pages name (the zero Identity: the compiled-in one);
	// Handler puts it in every request's context (organization.FromContext).
	Org organization.Identity
	// Steps are the forms the result pages lead to next; Handler puts them in every
	// request's context (StepsFrom).
	Steps Steps
}

// Handler runs h behind CORS for the allowed origins, and refuses any state-changing
// request (not GET, HEAD or OPTIONS) that a browser sent from a page of another site:
// any page on the web can auto-submit a plain HTML form to us, with no preflight, and
// would make its visitors the senders of our emails. A browser names the page's site in
// Origin (or, failing that, Referer); a request with neither is not a browser's form post
// from another site, and goes on. "Origin: null" (a sandboxed or privacy-stripped page)
// is refused, in the language the request asked for. NotBrowserForms are exempt.
func (s Sites) Handler(h http.Handler) http.Handler {
	ours := map[string]bool{}
	for _, o := range append([]string{s.Own}, s.Allowed...) {
		if o := originOf(o); o != "" {
			ours[o] = true
		}
	}
	next := CORS(s.Allowed, ViewerAddress(s.ClientIPHeader, s.ClientIPSecret, h))
	org := s.Org.Or()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(WithSteps(organization.With(r.Context(), org), s.Steps))
		r, base := withPublicURL(r, s.Own)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		for _, p := range NotBrowserForms {
			if r.URL.Path == p {
				next.ServeHTTP(w, r)
				return
			}
		}
		// A named site must be ours; an Origin that names none ("null") is refused too.
		if site := siteOf(r); site != "" && !ours[site] && site != originOf(base) || site == "" && r.Header.Get("Origin") != "" {
			w.Header().Add("Vary", "Origin")
			WriteError(w, r, askedLanguage(r), isFormPost(r), Fail(http.StatusForbidden, CodeForbiddenOrigin))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// siteOf is the origin of the page a browser sent r from: its Origin header, else its
// Referer's; "" if neither names one ("Origin: null" names none).
func siteOf(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		return originOf(o)
	}
	return originOf(r.Header.Get("Referer"))
}

// originOf is the scheme://host[:port] of a URL, lower case, or "" if it has none.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// askedLanguage is the language a refused request asked for: its body's language field
// (read only because the request goes no further), else ?lang=, else Accept-Language.
func askedLanguage(r *http.Request) i18n.Lang {
	var asked struct {
		Language string `json:"language"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if isFormPost(r) {
		v, _ := url.ParseQuery(string(body))
		asked.Language = v.Get("language")
	} else {
		_ = json.Unmarshal(body, &asked)
	}
	if asked.Language == "" {
		asked.Language = r.URL.Query().Get("lang")
	}
	return i18n.Negotiate(asked.Language, r.Header.Get("Accept-Language"))
}

// isFormPost reports whether r is a plain HTML form's post (answered with a page).
func isFormPost(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}
