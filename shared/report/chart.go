package report

import (
	"math"
	"strconv"
	"strings"
)

// The charts of the html pages, drawn as plain SVG: this file turns numbers into shapes
// (a chart's viewBox coordinates), the page's template (page.html) writes them out,
// escaped. No script, no font or image to fetch: the page opens offline and prints.

// chart is one SVG picture, in its own coordinates (viewBox 0 0 W H): it scales to the
// page's width on a phone or on paper.
type chart struct {
	ID          string // unique on the page: its title's and description's ids derive from it
	Title, Desc string // the SVG's <title> and <desc>
	W, H        int
	Grid        []gridLine
	Rects       []shape
	Paths       []shape
	Texts       []label
}

// gridLine is a horizontal or vertical rule, with its value written beside it.
type gridLine struct {
	X1, Y1, X2, Y2 string
	Class          string
	Label          label
}

// shape is a bar (X, Y, W, H) or a path (D), with its class: the page's CSS colours it.
type shape struct {
	X, Y, W, H, D string
	Class         string
}

// label is a text at (X, Y), anchored start, middle or end.
type label struct {
	X, Y, Anchor, Class, Text string
}

// scale maps [lo, hi] onto [outLo, outHi] linearly. A span of zero (a zero goal and no
// money; a single day) maps everything to outLo, never to NaN or an infinity.
type scale struct{ lo, hi, outLo, outHi float64 }

func (s scale) at(v float64) float64 {
	span := s.hi - s.lo
	if span == 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return s.outLo
	}
	r := s.outLo + (v-s.lo)/span*(s.outHi-s.outLo)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return s.outLo
	}
	return r
}

// num writes a coordinate, one decimal at most.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// niceStep is a round step (1, 2 or 5 times a power of ten) that cuts span into about n
// parts; at least 1.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return math.Max(1, m*p)
		}
	}
	return math.Max(1, 10*p)
}

// ticks are the multiples of step from lo to hi, at most 50.
func ticks(lo, hi, step float64) []float64 {
	if step <= 0 || math.IsNaN(step) || math.IsInf(step, 0) {
		return nil
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step/1e6 && len(out) < 50; v += step {
		out = append(out, v)
	}
	return out
}

// stepPath is an SVG path through points as a step line: level until the next point,
// then up or down to it; it ends level at xEnd.
func stepPath(xs, ys []float64, xEnd float64) string {
	if len(xs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("M" + num(xs[0]) + " " + num(ys[0]))
	for i := 1; i < len(xs); i++ {
		b.WriteString("H" + num(xs[i]) + "V" + num(ys[i]))
	}
	b.WriteString("H" + num(xEnd))
	return b.String()
}

// frame is a chart's plot area inside its viewBox.
type frame struct{ left, top, right, bottom float64 }

func (f frame) width() float64 { return f.right - f.left }
