package staff

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, whatever the machine has

	"github.com/solidarity/solidarity/shared/i18n"
)

func toronto(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestLocalLang: the machine's locale picks French only when the first setting there is
// starts with fr, as POSIX orders them.
func TestLocalLang(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want i18n.Lang
	}{
		{nil, i18n.EN},
		{map[string]string{"LANG": "fr_CA.UTF-8"}, i18n.FR},
		{map[string]string{"LANG": "FR"}, i18n.FR},
		{map[string]string{"LANG": "en_CA.UTF-8"}, i18n.EN},
		{map[string]string{"LANG": "fr_CA.UTF-8", "LC_ALL": "en_US.UTF-8"}, i18n.EN},
		{map[string]string{"LANG": "en_CA.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, i18n.FR},
		{map[string]string{"LANG": "C"}, i18n.EN},
		{map[string]string{"LANG": "french-but-not-really"}, i18n.FR},
	} {
		if got := LocalLang(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("%v: %s, want %s", tt.env, got, tt.want)
		}
	}
}

// TestLocalZone: TZ names the zone when it is one; otherwise the machine's (never nil).
func TestLocalZone(t *testing.T) {
	if got := LocalZone(func(k string) string { return map[string]string{"TZ": "America/Vancouver"}[k] }); got.String() != "America/Vancouver" {
		t.Errorf("TZ=America/Vancouver: %v", got)
	}
	if got := LocalZone(func(k string) string { return map[string]string{"TZ": ":America/Halifax"}[k] }); got.String() != "America/Halifax" {
		t.Errorf("TZ=:America/Halifax: %v", got)
	}
	// A TZ that is no zone is as if TZ were not set: the machine's zone, whatever it is.
	none := LocalZone(func(string) string { return "" })
	if got := LocalZone(func(k string) string { return map[string]string{"TZ": "Nowhere/Atlantis"}[k] }); got.String() != none.String() {
		t.Errorf("TZ=Nowhere/Atlantis: %v, want the machine's zone %v", got, none)
	}
}

// TestReportLanguageAndZone: staff report's -lang and -tz, over Sources' defaults; a bad
// value is a usage error naming what to type, and writes nothing.
func TestReportLanguageAndZone(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	data := filepath.Join(export, "AWSDynamoDB", "01", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	// moto's layout: gzipped data files only, one JSON item a line.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintln(zw, `{"Item":{"pk":{"S":"MEMBER#a@example.org"},"sk":{"S":"META"},"type":{"S":"member"},"email":{"S":"a@example.org"},`+
		`"branch":{"S":"montreal"},"status":{"S":"active"},"created_at":{"S":"2026-11-01T05:30:00Z"}}}`)
	zw.Close()
	if err := os.WriteFile(filepath.Join(data, "x.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(src Sources, args ...string) (string, error) {
		var out strings.Builder
		err := Run(context.Background(), nil, src, append([]string{"report", "members", "-export", export}, args...), &out)
		return out.String(), err
	}
	for _, tt := range []struct {
		name string
		src  Sources
		args []string
		want []string
	}{
		{"defaults: English, UTC", Sources{}, nil, []string{"\ufeffEmail,First name,", "Created (UTC)", "2026-11-01 05:30 UTC"}},
		{"the machine's language and zone", Sources{Lang: i18n.FR, Zone: toronto(t)}, nil,
			[]string{"Courriel;Prénom;", "Créé le (America/Toronto)", "2026-11-01 01:30 EDT"}},
		{"-lang and -tz win", Sources{Lang: i18n.FR, Zone: toronto(t)}, []string{"-lang", "en", "-tz", "America/Vancouver"},
			[]string{"Email,First name,", "Created (America/Vancouver)", "2026-10-31 22:30 PDT"}},
		{"-lang fr", Sources{}, []string{"-lang", "fr"}, []string{"\ufeffCourriel;", "Créé le (UTC)"}},
		{"JSON stays the machine's", Sources{Lang: i18n.FR, Zone: toronto(t)}, []string{"-format", "json"},
			[]string{`"email":"a@example.org"`, `"created_at":"2026-11-01T05:30:00Z"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(tt.src, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"-tz", "Eastern"}, `-tz "Eastern" is no time zone; name one like America/Toronto`},
		{[]string{"-tz", "Local"}, `-tz "Local" is no time zone`},
		{[]string{"-lang", "de"}, "-lang must be en or fr"},
	} {
		file := filepath.Join(dir, "out.csv")
		err := Run(context.Background(), nil, Sources{}, append([]string{"report", "members", "-export", export, "-o", file}, tt.args...), io.Discard)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%v: %v, want a usage error saying %q", tt.args, err, tt.says)
		}
		if _, err := os.Stat(file); !os.IsNotExist(err) {
			t.Errorf("%v: wrote %s", tt.args, file)
		}
	}
}
