package campaign

import (
	"errors"
	"net/http"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Progress is the public view of a campaign (docs/api.md, GET /campaigns/{slug}).
type Progress struct {
	Slug          string     `json:"slug"`
	Title         string     `json:"title"`
	Currency      string     `json:"currency"`
	GoalCents     int64      `json:"goal_cents"`
	RaisedCents   int64      `json:"raised_cents"`
	DonationCount int64      `json:"donation_count"`
	DonorCount    int64      `json:"donor_count"`
	Percent       int64      `json:"percent"`
	ClosesAt      *time.Time `json:"closes_at"`
}

// ProgressOf builds the public view of c in lang. Percent is rounded down, so a bar never
// shows a goal reached before it is.
func ProgressOf(c Campaign, lang i18n.Lang) Progress {
	p := Progress{
		Slug: c.Slug, Title: c.Title(lang), Currency: c.Currency, GoalCents: c.GoalCents,
		RaisedCents: c.RaisedCents(), DonationCount: c.DonationCount, DonorCount: c.DonorCount,
		ClosesAt: c.ClosesAt,
	}
	if c.GoalCents > 0 && p.RaisedCents > 0 {
		p.Percent = p.RaisedCents * 100 / c.GoalCents
	}
	return p
}

// Handler answers GET /campaigns/{slug}.
type Handler struct {
	Campaigns Store
}

// ServeHTTP implements http.Handler.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lang := i18n.Negotiate(r.URL.Query().Get("language"), r.Header.Get("Accept-Language"))
	p, err := h.progress(r, lang)
	if err != nil {
		httpapi.WriteError(w, r, lang, false, err)
		return
	}
	cachePublic(w)
	httpapi.WriteJSON(w, http.StatusOK, p)
}

// progress reads the campaign r's path names and builds its public view in lang: the one
// reading of GET /campaigns/{slug} and of its image. An unknown campaign is a 404
// *httpapi.Error.
func (h Handler) progress(r *http.Request, lang i18n.Lang) (Progress, error) {
	// Only a well-formed slug is looked up: anything else names no campaign, and an
	// oversized key would be refused by DynamoDB, answered as a server error.
	var c Campaign
	err := ErrNotFound
	if slug := r.PathValue("slug"); ValidSlug(slug) {
		c, err = h.Campaigns.Campaign(r.Context(), slug)
	}
	if errors.Is(err, ErrNotFound) {
		err = httpapi.Fail(http.StatusNotFound, httpapi.CodeNotFound)
	}
	if err != nil {
		return Progress{}, err
	}
	return ProgressOf(c, lang), nil
}

// cachePublic lets browsers and the CDN keep a progress answer 30 seconds, per language:
// an appeal night's visitors cost one read each half-minute.
func cachePublic(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "public, max-age=30")
	w.Header().Add("Vary", "Accept-Language")
}

// Routes mounts the campaign function's routes (the same as template.yaml's).
func (h Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET /campaigns/{slug}", h)
	mux.HandleFunc("GET /campaigns/{slug}/progress.svg", h.ServeImage)
}
