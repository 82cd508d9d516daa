package report

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
)

// The html format: one self-contained page per report — its CSS inline, its charts
// inline SVG, no script, nothing fetched (its Content-Security-Policy allows only its
// own style) — readable on a phone, printable for a meeting, in English or French. The
// figures come from the same records and rules as the CSV (the appeal's and
// members-by-branch's Add), every chart has a title, a description and a table of its
// numbers, and every text from the data is escaped by html/template.

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// HTMLReports are the reports -format html draws.
var HTMLReports = []string{"appeal", "members-by-branch", "new-members", "new-members-by-week"}

func newHTML(name string, o Options, w io.Writer) (Report, error) {
	switch name {
	case "appeal":
		return &appealPage{w: w, o: o, sums: &appeal{o: o, days: map[string]*dayTotals{}}, campaigns: map[string]campaign.Campaign{}}, nil
	case "members-by-branch":
		return &branchPage{w: w, o: o, counts: &byBranch{counts: map[string]map[string]int{}}, names: map[string]string{}}, nil
	case "new-members", "new-members-by-week":
		return &weekPage{w: w, o: o, weeks: &weekly{o: o, counts: map[string]int{}}}, nil
	}
	if _, ok := Names[name]; !ok {
		return nil, fmt.Errorf("no report %q", name)
	}
	return nil, fmt.Errorf("format html draws %s; %s is csv or json", strings.Join(HTMLReports, ", "), name)
}

// page is what the template writes.
type page struct {
	Lang, Title, Org, Made, Headline, Sub, Empty string
	Figures                                      []figure
	Sections                                     []section
	Footer                                       []string
	Style                                        template.CSS
	CSP                                          string
}

type figure struct {
	Label, Value string
	Key          bool
}

type section struct {
	Heading, Lead string
	Chart         chart
	Legend        []legendItem
	Table         dataTable
}

type legendItem struct {
	Class, Text string
	Bar         bool
}

type dataTable struct {
	Summary, Caption string
	Head             []cell
	Rows             [][]cell
	Foot             []cell
}

type cell struct {
	Text string
	Num  bool
}

func numCell(s string) cell { return cell{Text: s, Num: true} }

// words is a page's language: its messages and money.
type words struct{ lang i18n.Lang }

func (w words) t(key string, args ...any) string { return i18n.Text(w.lang, i18n.M(key, args...)) }
func (w words) money(c int64) string             { return i18n.FormatCents(w.lang, c) }
func (w words) date(t time.Time) string          { return i18n.FormatDate(w.lang, t) }
func (w words) day(day string) string            { return i18n.FormatDay(w.lang, day) }

// newPage starts a page titled title for o: the organization's name, when and in which
// time zone its days are counted.
func newPage(o Options, title string) (page, words) {
	lang := o.Lang
	if lang != i18n.FR {
		lang = i18n.EN
	}
	wd := words{lang: lang}
	org := o.Org.Or()
	css := strings.Replace(pageCSS, "ACCENT", org.Accent(), 1)
	sum := sha256.Sum256([]byte(css))
	p := page{
		Lang: string(lang), Title: title, Org: org.Name.In(lang), Empty: wd.t("report.html.empty"),
		Style: template.CSS(css), // #nosec: the page's own stylesheet; the accent is checked as #rrggbb when the identity loads
		CSP:   "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'",
	}
	zone := zoneName(lang, o.location())
	if o.Now.IsZero() {
		p.Made = wd.t("report.html.zone", zone)
	} else {
		p.Made = wd.t("report.html.made", wd.date(o.Now.In(o.location())), zone)
	}
	p.Footer = []string{org.Name.In(lang) + " · " + org.MailingAddress.In(lang), wd.t("report.html.footer")}
	return p, wd
}

func render(w io.Writer, p page) error { return pageTemplate.Execute(w, p) }

// --- the appeal ---

type appealPage struct {
	w         io.Writer
	o         Options
	sums      *appeal
	campaigns map[string]campaign.Campaign
}

func (a *appealPage) Add(it Item) error {
	if typeOf(it) == dynamo.TypeCampaign {
		c, err := decode[campaign.Campaign](it)
		if err != nil {
			return fmt.Errorf("campaign item: %w", err)
		}
		if a.o.Campaign == "" || c.Slug == a.o.Campaign {
			a.campaigns[c.Slug] = c
		}
		return nil
	}
	return a.sums.Add(it)
}

// appealDay is one day's money and the running net total at its end.
type appealDay struct {
	Day                                             string // 2006-01-02
	Online, Offline, Refunded, Disputed, Net, Total int64
}

// appealFigures is the appeal day by day, and in all.
type appealFigures struct {
	Days                                     []appealDay
	Online, Offline, Refunded, Disputed, Net int64
	Goal                                     int64
}

// figuresOf adds the days up in order: each day's net is its online and offline money
// less its refunds and what disputes hold, and the running total sums the nets.
func figuresOf(days map[string]*dayTotals, goal int64) appealFigures {
	keys := make([]string, 0, len(days))
	for d := range days {
		keys = append(keys, d)
	}
	sort.Strings(keys)
	f := appealFigures{Goal: goal}
	for _, d := range keys {
		t := days[d]
		net := t.online + t.offline - t.refunded - t.disputed
		f.Online, f.Offline, f.Refunded, f.Disputed, f.Net = f.Online+t.online, f.Offline+t.offline,
			f.Refunded+t.refunded, f.Disputed+t.disputed, f.Net+net
		f.Days = append(f.Days, appealDay{Day: d, Online: t.online, Offline: t.offline, Refunded: t.refunded,
			Disputed: t.disputed, Net: net, Total: f.Net})
	}
	return f
}

func (a *appealPage) Finish() error {
	var goal int64
	slugs := make([]string, 0, len(a.campaigns))
	for s, c := range a.campaigns {
		goal += c.GoalCents
		slugs = append(slugs, s)
	}
	sort.Strings(slugs)
	f := figuresOf(a.sums.days, goal)
	lang := a.o.Lang
	var name string
	switch {
	case a.o.Campaign != "" && len(slugs) == 1:
		name = a.campaigns[slugs[0]].Title(lang)
	case a.o.Campaign != "":
		name = a.o.Campaign
	default:
		name = i18n.Text(lang, i18n.M("report.html.appeal.all"))
	}
	p, wd := newPage(a.o, i18n.Text(lang, i18n.M("report.html.appeal.title", name)))
	p.Sections, p.Headline, p.Sub, p.Figures = appealSections(f, wd)
	return render(a.w, p)
}

// appealSections draws the appeal: the headline, its figures, the running total against
// the goal, and online, offline and refunds.
func appealSections(f appealFigures, wd words) ([]section, string, string, []figure) {
	headline := wd.t("report.html.raised", i18n.Cents(f.Net))
	sub := ""
	if f.Goal > 0 {
		headline = wd.t("report.html.raised_of", i18n.Cents(f.Net), i18n.Cents(f.Goal))
		sub = wd.t("report.html.percent", f.Net*100/f.Goal)
	}
	figures := []figure{
		{Label: wd.t("report.html.net"), Value: wd.money(f.Net), Key: true},
		{Label: wd.t("report.html.goal"), Value: wd.money(f.Goal)},
		{Label: wd.t("report.html.online"), Value: wd.money(f.Online)},
		{Label: wd.t("report.html.offline"), Value: wd.money(f.Offline)},
		{Label: wd.t("report.html.refunded"), Value: wd.money(-f.Refunded)},
		{Label: wd.t("report.html.disputed"), Value: wd.money(-f.Disputed)},
	}
	table := dataTable{Summary: wd.t("report.html.table"), Caption: headline,
		Head: []cell{{Text: wd.t("report.html.day")}, numCell(wd.t("report.html.online")), numCell(wd.t("report.html.offline")),
			numCell(wd.t("report.html.refunded")), numCell(wd.t("report.html.disputed")), numCell(wd.t("report.html.net")),
			numCell(wd.t("report.html.running"))}}
	for _, d := range f.Days {
		table.Rows = append(table.Rows, []cell{{Text: wd.day(d.Day)}, numCell(wd.money(d.Online)), numCell(wd.money(d.Offline)),
			numCell(wd.money(-d.Refunded)), numCell(wd.money(-d.Disputed)), numCell(wd.money(d.Net)), numCell(wd.money(d.Total))})
	}
	table.Foot = []cell{{Text: wd.t("report.html.total")}, numCell(wd.money(f.Online)), numCell(wd.money(f.Offline)),
		numCell(wd.money(-f.Refunded)), numCell(wd.money(-f.Disputed)), numCell(wd.money(f.Net)), numCell(wd.money(f.Net))}
	first, last := "", ""
	if len(f.Days) > 0 {
		first, last = wd.day(f.Days[0].Day), wd.day(f.Days[len(f.Days)-1].Day)
	}
	running := section{Heading: wd.t("report.html.cumulative.heading"), Chart: cumulativeChart(f, wd), Table: table,
		Legend: []legendItem{{Class: "raised", Text: wd.t("report.html.net")}, {Class: "goal", Text: wd.t("report.html.goal_line", i18n.Cents(f.Goal))}}}
	running.Chart.Desc = wd.t("report.html.cumulative.desc", first, last, i18n.Cents(f.Net), i18n.Cents(f.Goal))
	if f.Goal <= 0 {
		running.Legend = running.Legend[:1]
	}
	sums := dataTable{Summary: wd.t("report.html.table"), Caption: wd.t("report.html.sources.heading"),
		Head: []cell{{Text: wd.t("report.html.day")}, numCell(wd.t("report.html.online")), numCell(wd.t("report.html.offline")),
			numCell(wd.t("report.html.out"))}}
	var on, off, out int64
	for _, d := range f.Days {
		on, off, out = on+d.Online, off+d.Offline, out+d.Refunded+d.Disputed
		sums.Rows = append(sums.Rows, []cell{{Text: wd.day(d.Day)}, numCell(wd.money(on)), numCell(wd.money(off)), numCell(wd.money(-out))})
	}
	sources := section{Heading: wd.t("report.html.sources.heading"), Chart: sourcesChart(f, wd),
		Lead:  wd.t("report.html.sources.lead"),
		Table: sums,
		Legend: []legendItem{{Class: "online", Text: wd.t("report.html.online")}, {Class: "offline", Text: wd.t("report.html.offline")},
			{Class: "out", Text: wd.t("report.html.out")}}}
	sources.Chart.Desc = wd.t("report.html.sources.desc", i18n.Cents(f.Online), i18n.Cents(f.Offline), i18n.Cents(f.Refunded+f.Disputed))
	running.Chart.Title, sources.Chart.Title = running.Heading, sources.Heading
	return []section{running, sources}, headline, sub, figures
}

// dayNumber is a day's count of days since 1970 (for a time axis), or ok false.
func dayNumber(day string) (float64, bool) {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return 0, false
	}
	return float64(t.Unix() / 86400), true
}

// The line charts' common frame: money on the left, days along the bottom.
const lineW, lineH = 520, 300

var lineFrame = frame{left: 100, top: 24, right: 508, bottom: 256}

// timeAxis places the days of f along the plot: the first day's start at the left, the
// last day's end at the right (so one day has a width).
func timeAxis(f appealFigures) (xs []float64, end float64) {
	var nums []float64
	prev := 0.0
	for i, d := range f.Days {
		n, ok := dayNumber(d.Day)
		if !ok || (i > 0 && n < prev) {
			n = prev
		}
		nums = append(nums, n)
		prev = n
	}
	if len(nums) == 0 {
		return nil, lineFrame.right
	}
	x := scale{lo: nums[0], hi: nums[len(nums)-1] + 1, outLo: lineFrame.left, outHi: lineFrame.right}
	for _, n := range nums {
		xs = append(xs, x.at(n))
	}
	return xs, lineFrame.right
}

// moneyAxis is the vertical scale from lo to hi cents (rounded out to round steps), with
// its grid lines labelled in money.
func moneyAxis(lo, hi int64, wd words) (scale, []gridLine) {
	flo, fhi := float64(min(lo, 0)), float64(max(hi, 0))
	step := niceStep(fhi-flo, 4)
	if fhi == flo {
		step = 100 // nothing yet: a scale of one dollar
	}
	// Below zero (refunds), a band of a quarter step at a time: a small refund leaves
	// most of the chart to the money raised.
	flo, fhi = math.Floor(flo/(step/4))*(step/4), math.Ceil(fhi/step)*step
	if fhi == flo {
		fhi = flo + step
	}
	y := scale{lo: flo, hi: fhi, outLo: lineFrame.bottom, outHi: lineFrame.top}
	var grid []gridLine
	for _, v := range ticks(flo, fhi, step) {
		class := "grid"
		if v == 0 {
			class = "zero"
		}
		yy := num(y.at(v))
		grid = append(grid, gridLine{X1: num(lineFrame.left), X2: num(lineFrame.right), Y1: yy, Y2: yy, Class: class,
			Label: label{X: num(lineFrame.left - 8), Y: num(y.at(v) + 4), Anchor: "end", Text: wd.money(int64(v))}})
	}
	return y, grid
}

// dayLabels names the first and last days under the plot.
func dayLabels(f appealFigures, wd words) []label {
	if len(f.Days) == 0 {
		return []label{{X: num((lineFrame.left + lineFrame.right) / 2), Y: num(lineFrame.bottom - 40), Anchor: "middle", Class: "muted", Text: wd.t("report.html.empty")}}
	}
	y := num(lineFrame.bottom + 22)
	out := []label{{X: num(lineFrame.left), Y: y, Anchor: "start", Class: "muted", Text: wd.day(f.Days[0].Day)}}
	if len(f.Days) > 1 {
		out = append(out, label{X: num(lineFrame.right), Y: y, Anchor: "end", Class: "muted", Text: wd.day(f.Days[len(f.Days)-1].Day)})
	}
	return out
}

// cumulativeChart: the running net total as a step line, and the goal as a dashed line.
func cumulativeChart(f appealFigures, wd words) chart {
	lo, hi := int64(0), f.Goal
	for _, d := range f.Days {
		lo, hi = min(lo, d.Total), max(hi, d.Total)
	}
	y, grid := moneyAxis(lo, hi, wd)
	c := chart{ID: "running", W: lineW, H: lineH, Grid: grid, Texts: dayLabels(f, wd)}
	xs, end := timeAxis(f)
	if len(xs) > 0 {
		px, py := []float64{xs[0]}, []float64{y.at(0)}
		for i, d := range f.Days {
			px, py = append(px, xs[i]), append(py, y.at(float64(d.Total)))
		}
		c.Paths = append(c.Paths, shape{D: stepPath(px, py, end), Class: "raised"})
	}
	if f.Goal > 0 {
		gy := y.at(float64(f.Goal))
		c.Paths = append(c.Paths, shape{D: "M" + num(lineFrame.left) + " " + num(gy) + "H" + num(lineFrame.right), Class: "goal"})
		c.Texts = append(c.Texts, label{X: num(lineFrame.right), Y: num(gy - 7), Anchor: "end", Class: "goal-label",
			Text: wd.t("report.html.goal_line", i18n.Cents(f.Goal))})
	}
	return c
}

// sourcesChart: running totals of online and of offline money, and of refunds and
// disputes drawn below zero, since they are taken off.
func sourcesChart(f appealFigures, wd words) chart {
	var on, off, out, hi, lo int64
	type point struct{ on, off, out int64 }
	var pts []point
	for _, d := range f.Days {
		on, off, out = on+d.Online, off+d.Offline, out+d.Refunded+d.Disputed
		pts = append(pts, point{on, off, -out})
		hi, lo = max(hi, on, off), min(lo, -out)
	}
	y, grid := moneyAxis(lo, hi, wd)
	c := chart{ID: "sources", W: lineW, H: lineH, Grid: grid, Texts: dayLabels(f, wd)}
	xs, end := timeAxis(f)
	if len(xs) == 0 {
		return c
	}
	for _, s := range []struct {
		class string
		v     func(point) int64
	}{{"offline", func(p point) int64 { return p.off }}, {"online", func(p point) int64 { return p.on }}, {"out", func(p point) int64 { return p.out }}} {
		px, py := []float64{xs[0]}, []float64{y.at(0)}
		for i, p := range pts {
			px, py = append(px, xs[i]), append(py, y.at(float64(s.v(p))))
		}
		c.Paths = append(c.Paths, shape{D: stepPath(px, py, end), Class: s.class})
	}
	return c
}

// --- members by branch ---

type branchPage struct {
	w      io.Writer
	o      Options
	counts *byBranch
	names  map[string]string
}

func (b *branchPage) Add(it Item) error {
	if typeOf(it) == dynamo.TypeBranch {
		br, err := decode[branch.Branch](it)
		if err != nil {
			return fmt.Errorf("branch item: %w", err)
		}
		b.names[br.Slug] = br.Name(b.o.Lang)
		return nil
	}
	return b.counts.Add(it)
}

// branchCount is one branch's members.
type branchCount struct {
	Name                   string
	Active, Pending, Total int
}

// branchesOf sorts the branches by members, most first, then by name.
func branchesOf(counts map[string]map[string]int, names map[string]string, noBranch string) []branchCount {
	var out []branchCount
	for slug, c := range counts {
		name := names[slug]
		if name == "" {
			name = slug
		}
		if slug == "" {
			name = noBranch
		}
		a, p := c["active"], c["pending"]
		out = append(out, branchCount{Name: name, Active: a, Pending: p, Total: a + p})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (b *branchPage) Finish() error {
	p, wd := newPage(b.o, i18n.Text(b.o.Lang, i18n.M("report.html.members.title")))
	rows := branchesOf(b.counts.counts, b.names, wd.t("report.html.unassigned"))
	var all, active, pending int
	for _, r := range rows {
		all, active, pending = all+r.Total, active+r.Active, pending+r.Pending
	}
	p.Headline = wd.t("report.html.members.total", all, len(rows))
	p.Figures = []figure{{Label: wd.t("report.html.members"), Value: strconv.Itoa(all), Key: true},
		{Label: wd.t("report.html.active"), Value: strconv.Itoa(active)}, {Label: wd.t("report.html.pending"), Value: strconv.Itoa(pending)}}
	table := dataTable{Summary: wd.t("report.html.table"), Caption: p.Headline,
		Head: []cell{{Text: wd.t("report.html.branch")}, numCell(wd.t("report.html.active")), numCell(wd.t("report.html.pending")), numCell(wd.t("report.html.members"))},
		Foot: []cell{{Text: wd.t("report.html.total")}, numCell(strconv.Itoa(active)), numCell(strconv.Itoa(pending)), numCell(strconv.Itoa(all))}}
	for _, r := range rows {
		table.Rows = append(table.Rows, []cell{{Text: r.Name}, numCell(strconv.Itoa(r.Active)), numCell(strconv.Itoa(r.Pending)), numCell(strconv.Itoa(r.Total))})
	}
	c := branchChart(rows, wd)
	c.Title = p.Title
	c.Desc = wd.t("report.html.members.desc", all, len(rows))
	p.Sections = []section{{Heading: p.Title, Chart: c, Table: table,
		Legend: []legendItem{{Class: "bar", Text: wd.t("report.html.active"), Bar: true}, {Class: "bar-pending", Text: wd.t("report.html.pending"), Bar: true}}}}
	return render(b.w, p)
}

const barW = 520

// branchChart: one horizontal bar a branch, its name above it and its count beside it;
// confirmed members solid, those awaiting confirmation outlined.
func branchChart(rows []branchCount, wd words) chart {
	const rowH, left, right = 46.0, 2.0, 460.0
	c := chart{ID: "branches", W: barW, H: int(12 + rowH*float64(max(len(rows), 1)))}
	if len(rows) == 0 {
		c.Texts = []label{{X: num(barW / 2), Y: "34", Anchor: "middle", Class: "muted", Text: wd.t("report.html.empty")}}
		return c
	}
	x := scale{lo: 0, hi: float64(rows[0].Total), outLo: 0, outHi: right - left}
	for i, r := range rows {
		top := 6 + rowH*float64(i)
		c.Texts = append(c.Texts, label{X: num(left), Y: num(top + 14), Anchor: "start", Class: "name", Text: r.Name})
		wa, wp := x.at(float64(r.Active)), x.at(float64(r.Pending))
		if r.Active > 0 {
			c.Rects = append(c.Rects, shape{X: num(left), Y: num(top + 20), W: num(wa), H: "18", Class: "bar"})
		}
		if r.Pending > 0 {
			c.Rects = append(c.Rects, shape{X: num(left + wa + 0.75), Y: num(top + 20.75), W: num(math.Max(wp-1.5, 0.5)), H: "16.5", Class: "bar-pending"})
		}
		c.Texts = append(c.Texts, label{X: num(left + wa + wp + 8), Y: num(top + 34), Anchor: "start", Class: "count", Text: strconv.Itoa(r.Total)})
	}
	return c
}

// --- sign-ups per week ---

type weekPage struct {
	w     io.Writer
	o     Options
	weeks *weekly
}

func (p *weekPage) Add(it Item) error { return p.weeks.Add(it) }

func (p *weekPage) Finish() error {
	pg, wd := newPage(p.o, i18n.Text(p.o.Lang, i18n.M("report.html.weeks.title")))
	weeks := p.weeks.weeks()
	all := 0
	for _, w := range weeks {
		all += w.Members
	}
	pg.Headline = wd.t("report.html.weeks.total", all, len(weeks))
	table := dataTable{Summary: wd.t("report.html.table"), Caption: pg.Headline,
		Head: []cell{{Text: wd.t("report.html.week")}, {Text: wd.t("report.html.starts")}, numCell(wd.t("report.html.signups"))},
		Foot: []cell{{Text: wd.t("report.html.total")}, {}, numCell(strconv.Itoa(all))}}
	for _, w := range weeks {
		table.Rows = append(table.Rows, []cell{{Text: w.Week}, {Text: wd.date(w.Monday)}, numCell(strconv.Itoa(w.Members))})
	}
	c := weekChart(weeks, wd)
	c.Title = pg.Title
	first, last := "", ""
	if len(weeks) > 0 {
		first, last = weeks[0].Week, weeks[len(weeks)-1].Week
	}
	c.Desc = wd.t("report.html.weeks.desc", first, last, all)
	pg.Sections = []section{{Heading: pg.Title, Chart: c, Table: table}}
	return render(p.w, pg)
}

// weekChart: one bar a week, weeks without sign-ups at zero, ISO weeks along the bottom
// (the year under the first week and under each week 1).
func weekChart(weeks []weekCount, wd words) chart {
	f := frame{left: 44, top: 24, right: 508, bottom: 244}
	c := chart{ID: "weeks", W: barW, H: 290}
	if len(weeks) == 0 {
		c.Texts = []label{{X: num(barW / 2), Y: "140", Anchor: "middle", Class: "muted", Text: wd.t("report.html.empty")}}
		return c
	}
	most := 0
	for _, w := range weeks {
		most = max(most, w.Members)
	}
	step := niceStep(float64(most), 4)
	hi := math.Max(step, math.Ceil(float64(most)/step)*step)
	y := scale{lo: 0, hi: hi, outLo: f.bottom, outHi: f.top}
	for _, v := range ticks(0, hi, step) {
		class := "grid"
		if v == 0 {
			class = "zero"
		}
		yy := num(y.at(v))
		c.Grid = append(c.Grid, gridLine{X1: num(f.left), X2: num(f.right), Y1: yy, Y2: yy, Class: class,
			Label: label{X: num(f.left - 8), Y: num(y.at(v) + 4), Anchor: "end", Text: strconv.Itoa(int(v))}})
	}
	slot := math.Min(f.width()/float64(len(weeks)), 64) // a few weeks: bars of a sensible width, centred
	f.left += (f.width() - slot*float64(len(weeks))) / 2
	every := max(1, int(math.Ceil(float64(len(weeks))/10)))
	prevYear := 0
	for i, w := range weeks {
		x := f.left + slot*float64(i)
		if w.Members > 0 {
			top := y.at(float64(w.Members))
			c.Rects = append(c.Rects, shape{X: num(x + slot*0.15), Y: num(top), W: num(slot * 0.7), H: num(f.bottom - top), Class: "bar"})
		}
		mid := num(x + slot/2)
		if len(weeks) <= 26 {
			c.Texts = append(c.Texts, label{X: mid, Y: num(y.at(float64(w.Members)) - 5), Anchor: "middle", Class: "count", Text: strconv.Itoa(w.Members)})
		}
		year, wk := w.Monday.ISOWeek()
		if i%every == 0 || (year != prevYear && wk == 1) {
			c.Texts = append(c.Texts, label{X: mid, Y: num(f.bottom + 18), Anchor: "middle", Class: "muted", Text: wd.t("report.html.week_short", wk)})
			if year != prevYear {
				c.Texts = append(c.Texts, label{X: mid, Y: num(f.bottom + 36), Anchor: "middle", Class: "muted", Text: strconv.Itoa(year)})
				prevYear = year
			}
		}
	}
	return c
}
