// Package reporttest reads what package report writes, for tests: a CSV report (its
// byte-order mark and its language's separator) and a JSON report (its columns in
// order), as a header and rows of text.
package reporttest

import (
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/report"
)

// CSV reads a CSV report written in lang: it must begin with report.BOM, its cells
// separated by report.CSVComma(lang), and hold a header. It returns the header and the
// rows.
func CSV(t testing.TB, out string, lang i18n.Lang) ([]string, [][]string) {
	t.Helper()
	body, ok := strings.CutPrefix(out, report.BOM)
	if !ok {
		t.Fatalf("the CSV does not begin with the UTF-8 byte-order mark: %.80q", out)
	}
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = report.CSVComma(lang)
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(recs) == 0 {
		t.Fatalf("no header in %q", out)
	}
	return recs[0], recs[1:]
}

// JSON reads a JSON report (an array of objects of text values) keeping the columns'
// order: it returns the keys of its rows (none without rows), which must be the same in
// every row, and every row's values.
func JSON(t testing.TB, out string) ([]string, [][]string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	token := func() json.Token {
		t.Helper()
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		return tok
	}
	if tok := token(); tok != json.Delim('[') {
		t.Fatalf("%q starts with %v", out, tok)
	}
	var header []string
	var rows [][]string
	for dec.More() {
		if tok := token(); tok != json.Delim('{') {
			t.Fatalf("%q: a row starts with %v", out, tok)
		}
		var keys, row []string
		for dec.More() {
			k, v := token(), token()
			ks, kok := k.(string)
			vs, vok := v.(string)
			if !kok || !vok {
				t.Fatalf("%q: %v: %v is not text", out, k, v)
			}
			keys, row = append(keys, ks), append(row, vs)
		}
		token() // }
		if header == nil {
			header = keys
		} else if !slices.Equal(header, keys) {
			t.Fatalf("%q: row keys %v, first row's %v", out, keys, header)
		}
		rows = append(rows, row)
	}
	return header, rows
}
