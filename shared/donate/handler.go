package donate

import (
	"net/http"

	"github.com/solidarity/solidarity/shared/campaign"
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
	// Guard, if set, runs before anything is stored or sent (rate limits, bot checks):
	// the per-IP limit before validation, the rest after it.
	Guard request.Guard
	// ThanksURL is where a form post that tripped the honeypot is sent, as if it had paid.
	ThanksURL string
	// Gifts, if set, is where the thank-you page reads the gift it restates.
	Gifts Gifts
}

type created struct {
	DonationID  string `json:"donation_id"`
	CheckoutURL string `json:"checkout_url"`
}

// ServeHTTP implements http.Handler: decode, the client's rate limit, validation, the
// address's limit and Turnstile (request.Serve), then the Checkout session.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	var camp campaign.Campaign
	request.Serve(w, r, &req, http.StatusCreated, h.Guard, request.Steps{
		Validate: func(lang i18n.Lang) error {
			if req.Website != "" {
				return nil // a bot: nothing will be done, so nothing to check
			}
			var err error
			camp, err = h.Service.Validate(r.Context(), &req, lang)
			return err
		},
		Do: func(lang i18n.Lang) (request.Outcome, error) {
			// A bot (the honeypot filled in) is answered like a donor, and nothing is stored or sent.
			res := created{DonationID: ids.New("don"), CheckoutURL: httpapi.Absolute(r.Context(), h.ThanksURL)}
			if req.Website == "" {
				d, sess, err := h.Service.Open(r.Context(), req, camp, lang, consent.OriginOf(r))
				if err != nil {
					return request.Outcome{}, err
				}
				res = created{DonationID: d.ID, CheckoutURL: sess.URL}
			}
			return request.Outcome{JSON: res, Next: res.CheckoutURL}, nil
		},
	})
}

// Routes mounts the donate function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("POST /donations", h)
	// The pages Checkout returns the donor to, after paying or leaving without paying.
	mux.HandleFunc("GET /donations/thanks", h.thanks)
	mux.Handle("GET /donations/cancelled", httpapi.MessagePage("cancel"))
}
