package branch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sample is the directory shipped in infra/branches.csv, which make dev loads.
func sample(t *testing.T) *Directory {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "infra", "branches.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bs, err := ParseCSV(f)
	if err != nil {
		t.Fatalf("infra/branches.csv: %v", err)
	}
	return NewDirectory(bs)
}

func TestRoute(t *testing.T) {
	d := sample(t)
	tests := []struct {
		name    string
		where   Where
		want    string
		wantHow string
	}{
		{"explicit choice wins over the postal code", Where{Choice: "ottawa", PostalCode: "H2X 1Y4", Province: "QC"}, "ottawa", ByChoice},
		{"unknown choice falls back to the postal code", Where{Choice: "atlantis", PostalCode: "H2X 1Y4", Province: "QC"}, "montreal", ByPostalCode},
		{"Montreal postal code", Where{PostalCode: "H2X 1Y4", City: "Montréal", Province: "QC"}, "montreal", ByPostalCode},
		{"Toronto postal code", Where{PostalCode: "M5V 2T6", City: "Toronto", Province: "ON"}, "toronto", ByPostalCode},
		{"longest prefix wins", Where{PostalCode: "T1Y 6J4", Province: "AB"}, "calgary", ByPostalCode},
		{"rural Manitoba code goes to the province at large", Where{PostalCode: "R0G 1A0", City: "Morris", Province: "MB"}, "manitoba-at-large", ByProvince},
		{"city and province when the code is unknown", Where{PostalCode: "", City: "MONTREAL", Province: "QC"}, "montreal", ByCity},
		{"city compared without accents, case or punctuation", Where{City: "  st. john's ", Province: "NL"}, "st-johns", ByCity},
		{"city with accents typed or not", Where{City: "QUÉBEC", Province: "QC"}, "quebec-city", ByCity},
		{"city without its accent", Where{City: "Quebec", Province: "QC"}, "quebec-city", ByCity},
		{"same city name in another province is not a match", Where{City: "Victoria", Province: "PE"}, "at-large", ByNational},
		{"territories go to the national list", Where{PostalCode: "X1A 2P8", City: "Yellowknife", Province: "NT"}, "at-large", ByNational},
		{"nothing known goes to the national list", Where{}, "at-large", ByNational},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, how, err := d.Route(tt.where)
			if err != nil || b.Slug != tt.want || how != tt.wantHow {
				t.Fatalf("Route(%+v) = %s, %s, %v; want %s, %s", tt.where, b.Slug, how, err, tt.want, tt.wantHow)
			}
		})
	}
}

func TestRouteWithoutNationalList(t *testing.T) {
	d := NewDirectory([]Branch{{Slug: "montreal", City: "Montréal", Province: "QC", Prefixes: []string{"H"}}})
	if _, _, err := d.Route(Where{Province: "ON"}); err != ErrNoBranch {
		t.Fatalf("err = %v, want ErrNoBranch", err)
	}
}

func TestSampleCoversTheIssuesCities(t *testing.T) {
	d := sample(t)
	for _, slug := range []string{"montreal", "quebec-city", "toronto", "ottawa", "winnipeg", "edmonton",
		"calgary", "vancouver", "halifax", "manitoba-at-large", "quebec-at-large", "at-large"} {
		if _, ok := d.Get(slug); !ok {
			t.Errorf("no branch %q in infra/branches.csv", slug)
		}
	}
	if b, _ := d.Get("montreal"); b.Language != "fr" || b.NameFR != "Section de Montréal" {
		t.Errorf("montreal = %+v", b)
	}
}

func TestParseCSV(t *testing.T) {
	const head = "slug,name_en,name_fr,city,province,postal_prefixes,organizers,language,at_large\n"
	t.Run("columns in any order, lists by space or semicolon", func(t *testing.T) {
		bs, err := ParseCSV(strings.NewReader("\ufefflanguage,slug,name_en,name_fr,city,province,postal_prefixes,organizers,at_large\n" +
			"fr,montreal,Montreal,Montréal,Montréal,qc,h2 H3A,a@example.org;B@Example.org,no\n"))
		if err != nil {
			t.Fatal(err)
		}
		b := bs[0]
		if b.Province != "QC" || strings.Join(b.Prefixes, ",") != "H2,H3A" || strings.Join(b.Organizers, ",") != "a@example.org,b@example.org" || b.AtLarge {
			t.Fatalf("%+v", b)
		}
	})
	bad := []struct{ name, row, want string }{
		{"bad slug", "Mont Real,M,M,Montréal,QC,H,a@example.org,fr,false", "slug"},
		{"missing French name", "montreal,M,,Montréal,QC,H,a@example.org,fr,false", "name_fr"},
		{"unknown province", "montreal,M,M,Montréal,XX,H,a@example.org,fr,false", "province"},
		{"local branch without a city", "montreal,M,M,,QC,H,a@example.org,fr,false", "city"},
		{"bad language", "montreal,M,M,Montréal,QC,H,a@example.org,de,false", "language"},
		{"bad prefix", "montreal,M,M,Montréal,QC,HH,a@example.org,fr,false", "postal prefix"},
		{"prefix with a letter no code starts with", "montreal,M,M,Montréal,QC,W1,a@example.org,fr,false", "postal prefix"},
		{"prefix too long", "montreal,M,M,Montréal,QC,H2X1,a@example.org,fr,false", "postal prefix"},
		{"organizer not an address", "montreal,M,M,Montréal,QC,H,Ana <a@example.org>,fr,false", "organizer"},
		{"no organizer", "montreal,M,M,Montréal,QC,H,,fr,false", "organizer"},
		{"at_large not a boolean", "montreal,M,M,Montréal,QC,H,a@example.org,fr,maybe", "at_large"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(head + tt.row + "\n"))
			if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want line 2 and %q", err, tt.want)
			}
		})
	}
	t.Run("duplicate slug", func(t *testing.T) {
		row := "montreal,M,M,Montréal,QC,H,a@example.org,fr,false\n"
		_, err := ParseCSV(strings.NewReader(head + row + row))
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing column", func(t *testing.T) {
		if _, err := ParseCSV(strings.NewReader("slug,name_en\nx,y\n")); err == nil || !strings.Contains(err.Error(), "name_fr") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestValidPrefix(t *testing.T) {
	for p, want := range map[string]bool{"H": true, "H2": true, "H2X": true, "R0G": true, "": false, "2": false,
		"HX": false, "H2XX": false, "D": false, "W": false, "Z": false, "H2D": false, "h2x": false} {
		if got := ValidPrefix(p); got != want {
			t.Errorf("ValidPrefix(%q) = %v, want %v", p, got, want)
		}
	}
}
