package donate

import (
	"net/http"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/request"
)

// Handler answers POST /donations: 201 with the Checkout URL for JSON, 303 to it for a
// plain form post.
type Handler struct {
	Service Service
	// ThanksURL is where a form post that tripped the honeypot is sent, as if it had paid.
	ThanksURL string
}

type created struct {
	DonationID  string `json:"donation_id"`
	CheckoutURL string `json:"checkout_url"`
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	body, err := request.Decode(r, &req)
	lang := i18n.Negotiate(req.Language, r.Header.Get("Accept-Language"))
	if err != nil {
		httpapi.WriteError(w, r, lang, body == request.Form, err)
		return
	}
	var res created
	if req.Website != "" {
		// A bot: answer like a success, store and send nothing.
		res = created{DonationID: ids.New("don"), CheckoutURL: h.ThanksURL}
	} else {
		d, sess, err := h.Service.Create(r.Context(), req, lang, consent.OriginOf(r))
		if err != nil {
			httpapi.WriteError(w, r, lang, body == request.Form, err)
			return
		}
		res = created{DonationID: d.ID, CheckoutURL: sess.URL}
	}
	if body == request.Form {
		http.Redirect(w, r, res.CheckoutURL, http.StatusSeeOther)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, res)
}

// Routes mounts the donate function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST /donations", h)
	// The pages Checkout returns the donor to, after paying or leaving without paying.
	mux.Handle("GET /donations/thanks", httpapi.MessagePage("thanks"))
	mux.Handle("GET /donations/cancelled", httpapi.MessagePage("cancel"))
}
