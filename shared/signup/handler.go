package signup

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/request"
)

// Handler answers POST /members, the confirmation link and its button, and the "check your inbox" page.
type Handler struct {
	Service Service
	// Guard, if set, runs before anything is stored or sent (rate limits, bot checks):
	// the per-IP limit before validation, the rest after it.
	Guard request.Guard
	// Notices seal what the "check your inbox" page restates of a post (no key: it
	// restates nothing).
	Notices Notices
}

type accepted struct {
	Status string `json:"status"`
	// Notice is the sealed Notice of the post, for the "check your inbox" page's notice
	// parameter (forms.js adds it to the page's address).
	Notice string `json:"notice,omitempty"`
}

// ServeHTTP answers POST /members: always 202 pending_confirmation for JSON (or 303 to the
// "check your inbox" page for a form), whether the address is new, pending or a member.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	request.Serve(w, r, &req, http.StatusAccepted, h.Guard, request.Steps{
		Validate: func(i18n.Lang) error {
			if req.Website != "" {
				return nil // a bot: nothing will be done, so nothing to check
			}
			return req.Check().Err()
		},
		Do: func(lang i18n.Lang) (request.Outcome, error) {
			var routed string
			if req.Website == "" { // else a bot: answer the same, do nothing
				var err error
				if routed, err = h.Service.Join(r.Context(), req, lang, consent.OriginOf(r)); err != nil {
					return request.Outcome{}, err
				}
			}
			// The page restates the post's own address (masked) and branch: made from the
			// request alone, the same whatever the table holds of the address.
			// A bot's post (the honeypot) is not checked: its address is restated only if
			// it is one, so that nobody mints a notice of words of their own.
			var n string
			if h.Notices.Enabled() && (req.Website == "" || req.Check().Err() == nil) {
				if req.Website != "" {
					routed = h.Service.branchOf(r.Context(), req) // as Join would have routed it
				}
				n = h.Notices.Seal(Notice{Masked: contact.Masked(req.Email), Branch: routed,
					Issued: h.Service.Now().UTC().Truncate(time.Second)})
			}
			next := "/members/check-email?lang=" + string(lang)
			if n != "" {
				next += "&notice=" + url.QueryEscape(n)
			}
			return request.Outcome{JSON: accepted{Status: "pending_confirmation", Notice: n}, Next: next}, nil
		},
	})
}

// confirmPage answers GET /members/confirm?token=…, the emailed link: the page with the
// button that confirms, or the page of a link that cannot. It changes nothing, since mail
// scanners and previews follow every link.
func (h Handler) confirmPage(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("token")
	out, err := h.Service.Check(r.Context(), raw)
	if err == nil && out.Result == Confirmable {
		// The page names the branch of the application it confirms and lists enough of
		// it (first name, city, start of the postal code, when it was sent, whether it
		// asks for news, and that confirming subscribes again an address that opted out)
		// for the address's owner, the one who reads it, to tell the link of their own
		// post from a stranger's with their address, and leave the latter.
		httpapi.WriteActionPage(w, r, http.StatusOK, out.Lang, Confirmable,
			httpapi.Action{Path: "confirm", Token: raw, Details: formLines(out.Lang, out.Form)}, out.BranchName)
		return
	}
	h.answer(w, r, out, err)
}

// confirm answers POST /members/confirm, the page's button (the token in its form): it
// confirms the membership once, and answers a localized page of what happened.
func (h Handler) confirm(w http.ResponseWriter, r *http.Request) {
	raw := httpapi.ButtonToken(w, r)
	if raw == "" { // the emailed link's own address, posted by a scanner: its page
		h.confirmPage(w, r)
		return
	}
	from := consent.OriginOf(r)
	// The Referer is the button's page, whose address holds the link's secret.
	from.FormURL, _, _ = strings.Cut(from.FormURL, "?")
	out, err := h.Service.Confirm(r.Context(), raw, from)
	h.answer(w, r, out, err)
}

// answer writes the page of a confirmation link's outcome.
func (h Handler) answer(w http.ResponseWriter, r *http.Request, out Outcome, err error) {
	noStore(w)
	lang := i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"))
	if out.Lang != "" {
		lang = out.Lang
	}
	if err != nil {
		httpapi.WriteError(w, r, lang, true, err)
		return
	}
	status := map[string]int{Confirmed: http.StatusOK, AlreadyActive: http.StatusOK,
		LinkUsed: http.StatusGone, LinkExpired: http.StatusGone, LinkInvalid: http.StatusNotFound}[out.Result]
	var args []any
	if out.Result == Confirmed {
		args = []any{out.BranchName}
	}
	httpapi.WriteMessage(w, r, status, lang, out.Result, args...)
}

// noStore keeps a page that follows a secret link out of caches and Referer headers.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// Routes mounts the signup function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST /members", h)
	mux.HandleFunc("GET /members/confirm", h.confirmPage)
	mux.HandleFunc("POST /members/confirm", h.confirm)
	mux.HandleFunc("GET /members/check-email", h.checkEmail) // where a form post lands
}

// checkEmail answers GET /members/check-email, where a post lands: the "check your
// inbox" page, restating the address the email went to (masked) and the branch by its
// name when its notice parameter is a Notice we sealed within NoticeTTL; else the plain
// page. Nothing else of the address is shown, so a forged address can put no words of
// its own on the page.
func (h Handler) checkEmail(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	lang := i18n.Negotiate(q.Get("lang"), r.Header.Get("Accept-Language"))
	res := httpapi.Result{Name: "joined"}
	if n, ok := h.openNotice(q.Get("notice")); ok {
		res.Details = []string{i18n.Text(lang, i18n.M("page.joined.to", n.Masked))}
		if name := h.Service.branchName(r.Context(), n.Branch, lang); name != "" {
			res.Details = append(res.Details, i18n.Text(lang, i18n.M("page.joined.branch", name)))
		}
	}
	httpapi.WriteResult(w, r, http.StatusOK, lang, res)
}

// openNotice is the Notice v seals, by the service's clock.
func (h Handler) openNotice(v string) (Notice, bool) {
	if !h.Notices.Enabled() || v == "" {
		return Notice{}, false
	}
	return h.Notices.Open(v, h.Service.Now())
}
