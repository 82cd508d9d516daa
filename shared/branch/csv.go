package branch

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"sync"

	"github.com/solidarity/solidarity/shared/address"
	"github.com/solidarity/solidarity/shared/contact"
)

// CSVHeader is the header line of a branch file (infra/branches.csv). Lists inside a cell
// (postal prefixes, organizers) are separated by spaces or semicolons.
var CSVHeader = []string{"slug", "name_en", "name_fr", "city", "province", "postal_prefixes", "organizers", "language", "at_large"}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`) })

// ValidSlug reports whether s is a branch slug: lowercase words joined by hyphens, at most
// 60 characters.
func ValidSlug(s string) bool { return len(s) <= 60 && slugRE().MatchString(s) }

// ParseCSV reads branches from a CSV file with CSVHeader's columns (in any order). Every
// row is checked; the error lists each bad row by its line number, and no branch is
// returned unless all are good.
func ParseCSV(r io.Reader) ([]Branch, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, h := range CSVHeader {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("header: missing column %q (want %s)", h, strings.Join(CSVHeader, ","))
		}
	}
	var (
		out  []Branch
		errs []error
		seen = map[string]int{}
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		cell := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		b, err := parseRow(cell)
		if err == nil {
			if first, dup := seen[b.Slug]; dup {
				err = fmt.Errorf("slug %q is also on line %d", b.Slug, first)
			}
			seen[b.Slug] = line
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		out = append(out, b)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == ',' })
}

func parseRow(cell func(string) string) (Branch, error) {
	b := Branch{
		Slug: cell("slug"), NameEN: cell("name_en"), NameFR: cell("name_fr"), City: cell("city"),
		Province: strings.ToUpper(cell("province")), Language: strings.ToLower(cell("language")),
	}
	switch strings.ToLower(cell("at_large")) {
	case "", "false", "no", "0":
	case "true", "yes", "1":
		b.AtLarge = true
	default:
		return b, fmt.Errorf("at_large must be true or false")
	}
	var problems []string
	if !ValidSlug(b.Slug) {
		problems = append(problems, "slug must be lowercase words joined by hyphens")
	}
	if b.NameEN == "" || b.NameFR == "" {
		problems = append(problems, "name_en and name_fr are required")
	}
	if b.Province != "" && !address.Provinces[b.Province] {
		problems = append(problems, fmt.Sprintf("province %q is not a Canadian province or territory code", b.Province))
	}
	if !b.AtLarge && (b.City == "" || b.Province == "") {
		problems = append(problems, "a local branch needs a city and a province")
	}
	if b.Language != "en" && b.Language != "fr" {
		problems = append(problems, "language must be en or fr")
	}
	for _, p := range list(strings.ToUpper(cell("postal_prefixes"))) {
		if !ValidPrefix(p) {
			problems = append(problems, fmt.Sprintf("postal prefix %q is not the start of a Canadian postal code", p))
		}
		b.Prefixes = append(b.Prefixes, p)
	}
	for _, o := range list(cell("organizers")) {
		a, err := mail.ParseAddress(o)
		if err != nil || a.Name != "" || a.Address != o {
			problems = append(problems, fmt.Sprintf("organizer %q is not an email address", o))
			continue
		}
		b.Organizers = append(b.Organizers, contact.CanonicalEmail(o))
	}
	if len(b.Organizers) == 0 {
		problems = append(problems, "at least one organizer email is required")
	}
	if len(problems) > 0 {
		return b, errors.New(strings.Join(problems, "; "))
	}
	return b, nil
}

// ValidPrefix reports whether p (upper case) is 1 to 3 characters that can begin a
// Canadian postal code: a forward sortation area or a shorter part of one.
func ValidPrefix(p string) bool {
	if len(p) < 1 || len(p) > 3 || p != strings.ToUpper(p) {
		return false
	}
	// Completed with letters and digits valid anywhere, it must make a valid code.
	_, ok := address.NormalizePostalCode(p + "A1A1A1"[len(p):])
	return ok
}
