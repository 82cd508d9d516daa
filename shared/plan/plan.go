// Package plan is the catalogue of recurring plans: the solidarity subscriptions to the
// printed paper and the members' dues, read from infra/plans.json. Checkout creates each
// plan's Stripe price from its price data, so the file is the only place prices live.
package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"sync"

	"github.com/solidarity/solidarity/infra"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Kinds of plan, which are also the "kind" Stripe metadata of their sessions (docs/api.md).
const (
	KindSubscription = "subscription" // the paper, mailed
	KindDues         = "dues"         // membership dues
)

// Plan is one recurring price.
type Plan struct {
	Slug        string `json:"slug"`
	Kind        string `json:"kind"`
	NameEN      string `json:"name_en"`
	NameFR      string `json:"name_fr"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Interval    string `json:"interval"` // month or year
	// Mailed plans send the printed paper: Checkout collects a shipping address.
	Mailed bool `json:"mailed"`
}

// Name is the plan's name in lang.
func (p Plan) Name(lang i18n.Lang) string {
	if lang == i18n.FR {
		return p.NameFR
	}
	return p.NameEN
}

// Catalogue is the plans by slug.
type Catalogue map[string]Plan

// Slugs lists the catalogue's slugs in order.
func (c Catalogue) Slugs() []string {
	out := make([]string, 0, len(c))
	for s := range c {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`) })

// Parse reads and checks a plans file.
func Parse(b []byte) (Catalogue, error) {
	var plans []Plan
	if err := json.Unmarshal(b, &plans); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	c := Catalogue{}
	var errs []error
	for i, p := range plans {
		switch {
		case !slugRE().MatchString(p.Slug):
			errs = append(errs, fmt.Errorf("plan %d: slug %q", i, p.Slug))
		case p.Kind != KindSubscription && p.Kind != KindDues:
			errs = append(errs, fmt.Errorf("plan %s: kind must be subscription or dues", p.Slug))
		case p.NameEN == "" || p.NameFR == "":
			errs = append(errs, fmt.Errorf("plan %s: name_en and name_fr are required", p.Slug))
		case p.AmountCents < 50:
			errs = append(errs, fmt.Errorf("plan %s: amount_cents must be at least 50 (Stripe's minimum)", p.Slug))
		case p.Interval != "month" && p.Interval != "year":
			errs = append(errs, fmt.Errorf("plan %s: interval must be month or year", p.Slug))
		case len(p.Currency) != 3:
			errs = append(errs, fmt.Errorf("plan %s: currency must be a three-letter code", p.Slug))
		}
		if _, dup := c[p.Slug]; dup {
			errs = append(errs, fmt.Errorf("plan %s: twice", p.Slug))
		}
		c[p.Slug] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Default is the catalogue of infra/plans.json, compiled in.
func Default() Catalogue {
	c, err := Parse(infra.PlansJSON)
	if err != nil {
		panic(err) // TestDefault keeps the shipped file valid
	}
	return c
}
