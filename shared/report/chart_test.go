package report

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/i18n"
)

// TestChartScale: a linear map that never gives NaN or an infinity, whatever its span.
func TestChartScale(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    scale
		v    float64
		want float64
	}{
		{"middle", scale{0, 100, 0, 200}, 50, 100},
		{"inverted output (SVG's y grows down)", scale{0, 10, 250, 50}, 10, 50},
		{"negative values", scale{-50, 50, 0, 100}, -50, 0},
		{"a zero span (no money, no goal)", scale{0, 0, 256, 24}, 0, 256},
		{"a zero span, another value", scale{5, 5, 10, 20}, 7, 10},
		{"an infinite span", scale{0, math.Inf(1), 0, 100}, 3, 0},
		{"a NaN value", scale{0, 10, 0, 100}, math.NaN(), 0},
	} {
		if got := tt.s.at(tt.v); got != tt.want {
			t.Errorf("%s: at(%v) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
	for _, tt := range []struct {
		span float64
		n    int
		want float64
	}{{10_000_000, 4, 5_000_000}, {9_008_000, 4, 5_000_000}, {7, 4, 2}, {0, 4, 1}, {-5, 4, 1}, {100, 0, 1}, {math.NaN(), 4, 1}, {3, 4, 1}} {
		if got := niceStep(tt.span, tt.n); got != tt.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tt.span, tt.n, got, tt.want)
		}
	}
	if got := num(math.NaN()) + num(math.Inf(-1)) + num(12.345); got != "0012.3" {
		t.Errorf("num = %q", got)
	}
}

var coordinate = strings.NewReplacer("M", " ", "H", " ", "V", " ")

// TestChartShapesStayInside: with a zero goal, zero totals, money all refunded, one day
// or many, every coordinate of every chart is a finite number inside its viewBox.
func TestChartShapesStayInside(t *testing.T) {
	wd := words{lang: i18n.EN}
	for _, tt := range []struct {
		name string
		f    appealFigures
	}{
		{"nothing", appealFigures{}},
		{"a goal, no money", appealFigures{Goal: 10_000_000}},
		{"one day of zero", figuresOf(map[string]*dayTotals{"2026-11-20": {}}, 0)},
		{"all refunded", figuresOf(map[string]*dayTotals{"2026-11-20": {online: 500, refunded: 500}}, 0)},
		{"more refunded than raised", figuresOf(map[string]*dayTotals{"2026-11-20": {refunded: 500}, "2026-11-21": {disputed: 100}}, 1000)},
		{"past the goal", figuresOf(map[string]*dayTotals{"2024-01-01": {offline: 9_000_000}, "2026-11-20": {online: 2_000_000}}, 10_000_000)},
		{"a day that does not parse", figuresOf(map[string]*dayTotals{"2026-11-20": {online: 5}, "someday": {offline: 5}}, 0)},
	} {
		for _, c := range []chart{cumulativeChart(tt.f, wd), sourcesChart(tt.f, wd)} {
			checkInside(t, tt.name+" "+c.ID, c)
		}
	}
	for _, rows := range [][]branchCount{nil, {{Name: "a"}}, {{Name: "a", Active: 3, Pending: 1, Total: 4}, {Name: "b", Pending: 1, Total: 1}}} {
		checkInside(t, "branches", branchChart(rows, wd))
	}
	for _, weeks := range [][]weekCount{nil, {{Week: "2026-W01"}}, make([]weekCount, 60)} {
		checkInside(t, "weeks", weekChart(weeks, wd))
	}
}

func checkInside(t *testing.T, name string, c chart) {
	t.Helper()
	var values []string
	for _, g := range c.Grid {
		values = append(values, g.X1, g.X2, g.Y1, g.Y2, g.Label.X, g.Label.Y)
	}
	for _, r := range c.Rects {
		values = append(values, r.X, r.Y, r.W, r.H)
	}
	for _, p := range c.Paths {
		values = append(values, strings.Fields(coordinate.Replace(p.D))...)
	}
	for _, l := range c.Texts {
		values = append(values, l.X, l.Y)
	}
	for _, v := range values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > float64(max(c.W, c.H)) {
			t.Errorf("%s: coordinate %q outside 0…%d×%d", name, v, c.W, c.H)
		}
	}
}
