package staff

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/report/reporttest"
)

// TestReportDaysInTheZone: -from and -to are days in the zone the report counts in (-tz,
// else the machine's), not in UTC. Sunday 2026-11-01 20:00 in Toronto is Monday 01:00
// UTC: on a Toronto zone, -from 2026-11-02 leaves it out and -to 2026-11-02 keeps it, in
// every report that takes -from and -to; in UTC it is Monday's.
func TestReportDaysInTheZone(t *testing.T) {
	const sunday, monday = "2026-11-02T01:00:00Z", "2026-11-02T06:00:00Z" // 20:00 on the 1st, 01:00 on the 2nd, in Toronto
	export := filepath.Join(t.TempDir(), "export")
	data := filepath.Join(export, "AWSDynamoDB", "01", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for _, c := range []struct{ who, at string }{{"sun", sunday}, {"mon", monday}} {
		fmt.Fprintf(zw, `{"Item":{"pk":{"S":"MEMBER#%[1]s@example.org"},"sk":{"S":"META"},"type":{"S":"member"},"email":{"S":"%[1]s@example.org"},`+
			`"status":{"S":"active"},"created_at":{"S":"%[2]s"}}}`+"\n", c.who, c.at)
		fmt.Fprintf(zw, `{"Item":{"pk":{"S":"EMAIL#pay-%[1]s"},"sk":{"S":"META"},"type":{"S":"email"},"id":{"S":"pay-%[1]s"},`+
			`"template":{"S":"donation_failed"},"to":{"S":"%[1]s@example.org"},"status":{"S":"sent"},"created_at":{"S":"%[2]s"},`+
			`"data":{"M":{"amount_cents":{"S":"2500"}}}}}`+"\n", c.who, c.at)
		fmt.Fprintf(zw, `{"Item":{"pk":{"S":"EMAIL#end-%[1]s"},"sk":{"S":"META"},"type":{"S":"email"},"id":{"S":"end-%[1]s"},`+
			`"template":{"S":"member_welcome"},"to":{"S":"%[1]s@example.org"},"status":{"S":"failed"},"created_at":{"S":"2026-10-01T00:00:00Z"},`+
			`"ended_at":{"S":"%[2]s"},"end_reason":{"S":"refused"}}}`+"\n", c.who, c.at)
	}
	zw.Close()
	if err := os.WriteFile(filepath.Join(data, "x.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	toronto := toronto(t)

	for _, tt := range []struct {
		name   string
		src    Sources
		report string
		args   []string
		col    string   // the column that names who or what
		want   []string // its values
	}{
		{"new members from Monday, in Toronto", Sources{}, "new-members", []string{"-from", "2026-11-02", "-tz", "America/Toronto"},
			"email", []string{"mon@example.org"}},
		{"new members until Monday, in Toronto", Sources{}, "new-members", []string{"-to", "2026-11-02", "-tz", "America/Toronto"},
			"email", []string{"sun@example.org"}},
		{"the machine's zone, without -tz", Sources{Zone: toronto}, "new-members", []string{"-from", "2026-11-02"},
			"email", []string{"mon@example.org"}},
		{"new members from Monday, in UTC", Sources{}, "new-members", []string{"-from", "2026-11-02", "-tz", "UTC"},
			"email", []string{"mon@example.org", "sun@example.org"}},
		{"Sunday alone, in Toronto", Sources{}, "new-members", []string{"-from", "2026-11-01", "-to", "2026-11-02", "-tz", "America/Toronto"},
			"email", []string{"sun@example.org"}},
		{"sign-ups by week from Monday, in Toronto", Sources{}, "new-members-by-week", []string{"-from", "2026-11-02", "-to", "2026-11-09", "-tz", "America/Toronto"},
			"new_members", []string{"1"}},
		{"sign-ups by week, Sunday in the week before, in Toronto", Sources{}, "new-members-by-week", []string{"-from", "2026-11-01", "-to", "2026-11-09", "-tz", "America/Toronto"},
			"week", []string{"2026-W44", "2026-W45"}},
		{"failed payments from Monday, in Toronto", Sources{}, "failed-payments", []string{"-from", "2026-11-02", "-tz", "America/Toronto"},
			"email", []string{"mon@example.org"}},
		{"failed payments until Monday, in Toronto", Sources{}, "failed-payments", []string{"-to", "2026-11-02", "-tz", "America/Toronto"},
			"email", []string{"sun@example.org"}},
		{"failed emails from Monday, in Toronto", Sources{}, "failed-emails", []string{"-from", "2026-11-02", "-tz", "America/Toronto"},
			"email_id", []string{"end-mon"}},
		{"failed emails from Monday, in UTC", Sources{}, "failed-emails", []string{"-from", "2026-11-02", "-tz", "UTC"},
			"email_id", []string{"end-sun", "end-mon"}}, // sorted by when they ended
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			args := append([]string{"report", tt.report, "-export", export, "-format", "json"}, tt.args...)
			if err := Run(context.Background(), nil, tt.src, args, &out); err != nil {
				t.Fatal(err)
			}
			header, rows := reporttest.JSON(t, out.String())
			i := slices.Index(header, tt.col)
			if i < 0 && len(rows) > 0 {
				t.Fatalf("no column %s in %q", tt.col, header)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r[i])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s %v: %s %q, want %q\n%s", tt.report, tt.args, tt.col, got, tt.want, out.String())
			}
		})
	}
}
