// Package branch holds the organization's local branches and routes each new member to
// one: an explicit valid choice, else the postal code's prefix, else the city and
// province, else the province's at-large branch, else the national at-large list.
package branch

import (
	"errors"
	"sort"
	"strings"
	"unicode"

	"github.com/solidarity/solidarity/shared/i18n"
)

// Branch is one local branch, or an at-large list (AtLarge) for members who live where
// there is no branch: a province's (Province set) or the national one (Province empty).
type Branch struct {
	Slug     string `dynamodbav:"slug"`
	NameEN   string `dynamodbav:"name_en"`
	NameFR   string `dynamodbav:"name_fr"`
	City     string `dynamodbav:"city,omitempty"`
	Province string `dynamodbav:"province,omitempty"`
	// Prefixes are postal-code prefixes served by the branch: a forward sortation area
	// ("H2X"), or a shorter prefix covering several ("H", "R2"). The longest match wins.
	Prefixes   []string `dynamodbav:"postal_prefixes,omitempty"`
	Organizers []string `dynamodbav:"organizers"`
	Language   string   `dynamodbav:"language"` // the organizers' language, en or fr
	AtLarge    bool     `dynamodbav:"at_large"`
}

// Name is the branch's name in lang.
func (b Branch) Name(lang i18n.Lang) string {
	if lang == i18n.FR && b.NameFR != "" {
		return b.NameFR
	}
	return b.NameEN
}

// How a member was routed, kept on the member for the organizer and for staff.
const (
	ByChoice     = "choice"
	ByPostalCode = "postal_code"
	ByCity       = "city"
	ByProvince   = "province_at_large"
	ByNational   = "national_at_large"
)

// ErrNoBranch means the directory has no national at-large list to fall back on.
var ErrNoBranch = errors.New("no branch, and no national at-large list")

// Directory is every branch, to route members with.
type Directory struct {
	branches []Branch
	bySlug   map[string]int
}

// NewDirectory builds a directory of branches.
func NewDirectory(branches []Branch) *Directory {
	d := &Directory{branches: append([]Branch(nil), branches...), bySlug: map[string]int{}}
	sort.Slice(d.branches, func(i, j int) bool { return d.branches[i].Slug < d.branches[j].Slug })
	for i, b := range d.branches {
		d.bySlug[b.Slug] = i
	}
	return d
}

// Branches lists the directory in slug order.
func (d *Directory) Branches() []Branch { return append([]Branch(nil), d.branches...) }

// Get returns the branch with slug.
func (d *Directory) Get(slug string) (Branch, bool) {
	i, ok := d.bySlug[slug]
	if !ok {
		return Branch{}, false
	}
	return d.branches[i], true
}

// Where is what routing looks at: the member's choice and where they live. PostalCode is
// normalized ("A1A 1A1") or empty.
type Where struct {
	Choice     string
	City       string
	Province   string
	PostalCode string
}

// Route picks the member's branch and says how it was chosen.
func (d *Directory) Route(w Where) (Branch, string, error) {
	if b, ok := d.Get(w.Choice); ok && w.Choice != "" {
		return b, ByChoice, nil
	}
	if b, ok := d.byPostalCode(w.PostalCode); ok {
		return b, ByPostalCode, nil
	}
	city := foldName(w.City)
	var provinceAtLarge, national *Branch
	for i := range d.branches {
		b := &d.branches[i]
		switch {
		case b.AtLarge && b.Province == "" && national == nil:
			national = b
		case b.AtLarge && b.Province == w.Province && provinceAtLarge == nil:
			provinceAtLarge = b
		case !b.AtLarge && city != "" && b.Province == w.Province && foldName(b.City) == city:
			return *b, ByCity, nil
		}
	}
	if provinceAtLarge != nil && w.Province != "" {
		return *provinceAtLarge, ByProvince, nil
	}
	if national != nil {
		return *national, ByNational, nil
	}
	return Branch{}, "", ErrNoBranch
}

func (d *Directory) byPostalCode(pc string) (Branch, bool) {
	code := strings.ReplaceAll(pc, " ", "")
	best, bestLen := -1, 0
	for i, b := range d.branches {
		for _, p := range b.Prefixes {
			if len(p) > bestLen && strings.HasPrefix(code, p) {
				best, bestLen = i, len(p)
			}
		}
	}
	if best < 0 {
		return Branch{}, false
	}
	return d.branches[best], true
}

// foldName compares place names the way people write them: "Montréal", "MONTREAL" and
// "montreal " are one city, as are "Saint-Jean" and "St Jean". (Accents are folded by a
// table of the letters French and English use, which keeps Unicode tables out of the
// binaries.)
func foldName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w = unaccent.Replace(w)
		switch w {
		case "st":
			w = "saint"
		case "ste":
			w = "sainte"
		}
		b.WriteString(w)
	}
	return b.String()
}

var unaccent = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "á", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ô", "o", "ö", "o", "ó", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u",
	"ÿ", "y", "ñ", "n", "œ", "oe", "æ", "ae",
)
