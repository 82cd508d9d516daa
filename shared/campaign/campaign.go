// Package campaign holds fundraising appeals: their goal, limits and public progress.
package campaign

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
)

// ErrNotFound means no campaign has that slug.
var ErrNotFound = errors.New("campaign not found")

// Campaign is an appeal with a public goal. Its totals are counters kept by the webhook
// transactions (online payments and refunds) and by staff (offline money).
type Campaign struct {
	Slug          string     `dynamodbav:"slug"`
	TitleEN       string     `dynamodbav:"title_en"`
	TitleFR       string     `dynamodbav:"title_fr"`
	Currency      string     `dynamodbav:"currency"`
	GoalCents     int64      `dynamodbav:"goal_cents"`
	MinCents      int64      `dynamodbav:"min_cents"`
	MaxCents      int64      `dynamodbav:"max_cents"`
	Open          bool       `dynamodbav:"open"`
	ClosesAt      *time.Time `dynamodbav:"closes_at,omitempty"`
	OfflineCents  int64      `dynamodbav:"offline_cents"`
	PaidCents     int64      `dynamodbav:"paid_cents"`
	RefundedCents int64      `dynamodbav:"refunded_cents"`
	// DisputedCents is what chargebacks hold now: taken when Stripe withdraws it, given
	// back when Stripe reinstates it after a dispute won.
	DisputedCents int64 `dynamodbav:"disputed_cents"`
	DonationCount int64 `dynamodbav:"donation_count"`
	DonorCount    int64 `dynamodbav:"donor_count"`
	// CounterShards is how many counter items the campaign's online money is spread
	// over (docs/performance.md, hot appeals): each payment adds to one, chosen by its
	// key, and reading the campaign sums them. Zero is DefaultCounterShards.
	CounterShards int `dynamodbav:"counter_shards,omitempty"`
}

// DefaultCounterShards is sized for 100 payments a second on one appeal: a transaction
// holds its items about 10–20 ms, so a counter item taking 100/N payments a second is
// busy 1.5–2/N of the time, and a payment meets another on its item under 1% of the time
// with N = 200. Reading the campaign sums at most 200 small items (one Query, ~20 KB).
const DefaultCounterShards = 200

// MaxCounterShards bounds the setting: the campaign's Query stays one page.
const MaxCounterShards = 1000

// Shards is the campaign's counter items: CounterShards, else DefaultCounterShards.
func (c Campaign) Shards() int {
	if c.CounterShards <= 0 {
		return DefaultCounterShards
	}
	return min(c.CounterShards, MaxCounterShards)
}

// Defaults of docs/api.md for a campaign's amount limits.
const (
	DefaultMinCents = 100
	DefaultMaxCents = 1_000_000
)

// WithDefaults fills the limits and currency a new campaign leaves empty.
func (c Campaign) WithDefaults() Campaign {
	if c.MinCents <= 0 {
		c.MinCents = DefaultMinCents
	}
	if c.MaxCents <= 0 {
		c.MaxCents = DefaultMaxCents
	}
	if c.Currency == "" {
		c.Currency = "cad"
	}
	return c
}

// RaisedCents is the public total, in the campaign's currency: offline money plus the
// online payments Stripe confirmed in that currency, less refunds and the money disputes
// hold (lost, or withdrawn and not yet given back).
func (c Campaign) RaisedCents() int64 {
	return c.OfflineCents + c.PaidCents - c.RefundedCents - c.DisputedCents
}

// Title is the campaign's title in lang, falling back to the other language.
func (c Campaign) Title(lang i18n.Lang) string {
	if lang == i18n.FR && c.TitleFR != "" {
		return c.TitleFR
	}
	if c.TitleEN == "" {
		return c.TitleFR
	}
	return c.TitleEN
}

// Accepting reports whether the campaign takes donations at now.
func (c Campaign) Accepting(now time.Time) bool {
	return c.Open && (c.ClosesAt == nil || now.Before(*c.ClosesAt))
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`) })

// ValidSlug reports whether s can be a campaign's slug: lowercase words of letters and
// digits joined by hyphens, at most 100 characters.
func ValidSlug(s string) bool { return len(s) <= 100 && slugRE().MatchString(s) }

// Store reads campaigns.
type Store interface {
	// Campaign reads the campaign with its totals (summing its counter items).
	Campaign(ctx context.Context, slug string) (Campaign, error)
}

// SettingsStore reads a campaign's own item only: its titles, limits, currency, goal,
// counter items' number and offline total, with the online totals (kept on the counter
// items) left zero. One small read, for the paths that check a gift against a campaign
// or need its title, and must not pay for summing an appeal's counters.
type SettingsStore interface {
	CampaignSettings(ctx context.Context, slug string) (Campaign, error)
}
