package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/member"
)

// toronto is a fixed zone five hours behind UTC (no daylight saving to depend on).
var toronto = time.FixedZone("EST", -5*3600)

func chartItem(t *testing.T, typ string, v any) Item {
	t.Helper()
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	it["pk"] = &types.AttributeValueMemberS{Value: strings.ToUpper(typ) + "#x"}
	it["sk"] = &types.AttributeValueMemberS{Value: "META"}
	it["type"] = &types.AttributeValueMemberS{Value: typ}
	return it
}

func runChart(t *testing.T, name string, o Options, items ...Item) string {
	t.Helper()
	var out bytes.Buffer
	rep, err := New(name, o, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := rep.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.Finish(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// appealItems: a $100,000 goal, $90,000 received by cheque on November 1, $50 and $45
// paid online (the $45 at 03:30 UTC on the 21st: still the 20th in Toronto), $15 of the
// $50 refunded, and another campaign's gift that is no part of it.
func appealItems(t *testing.T) []Item {
	return []Item{
		chartItem(t, dynamo.TypeCampaign, campaign.Campaign{Slug: "fall-2026", TitleEN: "Fall <b>appeal</b>", TitleFR: "Campagne d’automne",
			GoalCents: 10_000_000, Currency: "cad"}),
		chartItem(t, dynamo.TypeCampaign, campaign.Campaign{Slug: "other", TitleEN: "Other", GoalCents: 500}),
		chartItem(t, dynamo.TypeOffline, dynamo.OfflineGift{ID: "c1", Campaign: "fall-2026", AmountCents: 9_000_000, Method: "cheque", ReceivedOn: "2026-11-01"}),
		chartItem(t, dynamo.TypePayment, dynamo.PaymentRecord{Key: "p1", Campaign: "fall-2026", AmountCents: 5000, RefundedCents: 1500,
			PaidAt: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)}),
		chartItem(t, dynamo.TypePayment, dynamo.PaymentRecord{Key: "p2", Campaign: "fall-2026", AmountCents: 4500,
			PaidAt: time.Date(2026, 11, 21, 3, 30, 0, 0, time.UTC)}),
		chartItem(t, dynamo.TypePayment, dynamo.PaymentRecord{Key: "p3", Campaign: "other", AmountCents: 700,
			PaidAt: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}),
	}
}

var tag = regexp.MustCompile(`<[^>]*>`)

// pageText is the page's text as a reader sees it (tags dropped, entities decoded for
// the few the template writes).
func pageText(page string) string {
	s := html.UnescapeString(tag.ReplaceAllString(page, " "))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' }), " ") // not U+00A0
}

// TestChartAppealFigures: the running total adds each day's net, refunds and disputes
// taken off on their payment's day.
func TestChartAppealFigures(t *testing.T) {
	f := figuresOf(map[string]*dayTotals{
		"2026-11-20": {online: 5000, refunded: 1500},
		"2026-11-01": {offline: 9_000_000},
		"2026-11-22": {online: 1000, disputed: 1000},
		"2026-11-21": {online: 4500},
	}, 10_000_000)
	want := []appealDay{
		{Day: "2026-11-01", Offline: 9_000_000, Net: 9_000_000, Total: 9_000_000},
		{Day: "2026-11-20", Online: 5000, Refunded: 1500, Net: 3500, Total: 9_003_500},
		{Day: "2026-11-21", Online: 4500, Net: 4500, Total: 9_008_000},
		{Day: "2026-11-22", Online: 1000, Disputed: 1000, Net: 0, Total: 9_008_000},
	}
	if len(f.Days) != len(want) {
		t.Fatalf("days %+v", f.Days)
	}
	for i := range want {
		if f.Days[i] != want[i] {
			t.Errorf("day %d = %+v, want %+v", i, f.Days[i], want[i])
		}
	}
	if f.Online != 10_500 || f.Offline != 9_000_000 || f.Refunded != 1500 || f.Disputed != 1000 || f.Net != 9_008_000 || f.Goal != 10_000_000 {
		t.Errorf("totals %+v", f)
	}
	if empty := figuresOf(map[string]*dayTotals{}, 0); len(empty.Days) != 0 || empty.Net != 0 {
		t.Errorf("empty %+v", empty)
	}
}

// TestChartAppealPage: the page says how much is raised of the goal, in words and in its
// tables, days counted in the zone given, in English and in French.
func TestChartAppealPage(t *testing.T) {
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	en := runChart(t, "appeal", Options{Format: "html", Campaign: "fall-2026", Location: toronto, Now: now}, appealItems(t)...)
	text := pageText(en)
	for _, want := range []string{
		"$90,080.00 raised of $100,000.00", "90% of the goal",
		"Appeal: Fall <b>appeal</b>", // the title escaped, not markup
		"Net raised $90,080.00", "Online gifts $95.00", "Offline gifts $90,000.00", "Refunds -$15.00",
		// The 21st's 03:30 UTC payment is the 20th's in Toronto: $50 + $45 − $15.
		"November 20, 2026 $95.00 $0.00 -$15.00 $0.00 $80.00 $90,080.00",
		"November 1, 2026 $0.00 $90,000.00 $0.00 $0.00 $90,000.00 $90,000.00",
		"Total $95.00 $90,000.00 -$15.00 $0.00 $90,080.00",
		"Made on November 27, 2026", "counted in this time zone: EST.", "Solidarity",
		"Goal: $100,000.00",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(en, "<b>appeal</b>") || !strings.Contains(en, "&lt;b&gt;appeal&lt;/b&gt;") {
		t.Error("the campaign's title is not escaped")
	}
	if strings.Contains(text, "November 21, 2026") || strings.Contains(text, "$7.00") {
		t.Errorf("a day in UTC, or another campaign's money:\n%s", text)
	}
	fr := pageText(runChart(t, "appeal", Options{Format: "html", Campaign: "fall-2026", Location: toronto, Now: now, Lang: i18n.FR}, appealItems(t)...))
	for _, want := range []string{"90\u00a0080,00\u00a0$ recueillis sur 100\u00a0000,00\u00a0$", "90\u00a0% de l’objectif",
		"Campagne : Campagne d’automne", "20 novembre 2026", "Remboursements -15,00\u00a0$", "Produit le 27 novembre 2026", "Solidarité"} {
		if !strings.Contains(fr, want) {
			t.Errorf("the French page lacks %q:\n%s", want, fr)
		}
	}
	t.Run("a zone without a name is called local time, as in the CSV", func(t *testing.T) {
		for lang, want := range map[i18n.Lang]string{i18n.EN: "counted in this time zone: local time.", i18n.FR: "dans ce fuseau horaire : heure locale."} {
			page := pageText(runChart(t, "appeal", Options{Format: "html", Lang: lang, Location: time.FixedZone("", -5*3600), Now: now}, appealItems(t)...))
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q in\n%s", lang, want, page)
			}
		}
	})
	t.Run("all appeals: every campaign's money and goals", func(t *testing.T) {
		all := pageText(runChart(t, "appeal", Options{Format: "html", Location: toronto}, appealItems(t)...))
		if !strings.Contains(all, "$90,087.00 raised of $100,005.00") || !strings.Contains(all, "Appeal: all appeals") {
			t.Errorf("%s", all)
		}
	})
	t.Run("an empty appeal, without a goal, draws and says nothing is recorded", func(t *testing.T) {
		page := runChart(t, "appeal", Options{Format: "html", Campaign: "none"})
		text := pageText(page)
		if !strings.Contains(text, "$0.00 raised") || strings.Contains(text, "of the goal") || !strings.Contains(text, "Nothing recorded yet.") {
			t.Errorf("%s", text)
		}
		if strings.Contains(page, "NaN") || strings.Contains(page, "Inf") {
			t.Error("NaN or Inf in the page")
		}
	})
}

// TestChartPageSelfContained: nothing to fetch, no script, its style allowed by its own
// hash in its Content-Security-Policy, a viewport for phones and print rules.
func TestChartPageSelfContained(t *testing.T) {
	for _, name := range []string{"appeal", "members-by-branch", "new-members-by-week"} {
		page := runChart(t, name, Options{Format: "html"}, appealItems(t)...)
		without := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		for _, bad := range []string{"<script", "http:", "https:", "src=", "href=", "@import", "url(", "style=\""} {
			if strings.Contains(without, bad) {
				t.Errorf("%s: the page holds %q", name, bad)
			}
		}
		css := page[strings.Index(page, "<style>")+len("<style>") : strings.Index(page, "</style>")]
		sum := sha256.Sum256([]byte(css))
		if !strings.Contains(html.UnescapeString(page), "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.Contains(html.UnescapeString(page), "default-src 'none'") {
			t.Errorf("%s: the policy does not allow exactly its style", name)
		}
		for _, want := range []string{`name="viewport"`, "@media print", "break-inside:avoid", "max-width:100%", `viewBox="0 0 `, "<title id=", "<desc id=", "<details>", "<table>"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: the page lacks %q", name, want)
			}
		}
	}
}

// TestChartBranches: bars sorted by members, most first, names from the branch items in
// the page's language, every name escaped.
func TestChartBranches(t *testing.T) {
	mem := func(email, br, status string) Item {
		return chartItem(t, dynamo.TypeMember, member.Member{Email: email, Branch: br, Status: status})
	}
	items := []Item{
		chartItem(t, dynamo.TypeBranch, branch.Branch{Slug: "mtl", NameEN: "Montreal", NameFR: "Montréal"}),
		chartItem(t, dynamo.TypeBranch, branch.Branch{Slug: "evil", NameEN: "<script>alert(1)</script>", NameFR: "<script>alert(1)</script>"}),
		mem("a@x.org", "mtl", member.StatusActive), mem("b@x.org", "evil", member.StatusActive), mem("c@x.org", "evil", member.StatusPending),
		mem("d@x.org", "evil", member.StatusActive), mem("e@x.org", "tor", member.StatusPending), mem("f@x.org", "mtl", member.StatusPending),
		mem("g@x.org", "", member.StatusActive),
	}
	page := runChart(t, "members-by-branch", Options{Format: "html", Lang: i18n.FR}, items...)
	if strings.Contains(page, "<script>") || strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;") < 2 {
		t.Fatal("a branch's name is not escaped in the chart and its table")
	}
	text := pageText(page)
	for _, want := range []string{"Membres : 7 · sections : 4", "Membres par section",
		"<script>alert(1)</script> 2 1 3 Montréal 1 1 2 Sans section 1 0 1 tor 0 1 1 Total 4 3 7"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	// The chart: names in the same order as the table, each count beside its bar.
	chartText := pageText(page[strings.Index(page, "<svg class"):strings.Index(page, "</svg>")])
	if !strings.Contains(chartText, "<script>alert(1)</script> 3 Montréal 2 Sans section 1 tor 1") {
		t.Errorf("chart: %s", chartText)
	}
	if empty := pageText(runChart(t, "members-by-branch", Options{Format: "html"})); !strings.Contains(empty, "Members: 0 · branches: 0") ||
		!strings.Contains(empty, "Nothing recorded yet.") {
		t.Errorf("empty: %s", empty)
	}
}

// TestChartWeeks: sign-ups per ISO week in the zone given, across a year's end (Monday
// December 29, 2025 starts 2026-W01), weeks without any at zero, in CSV's rows and the page.
func TestChartWeeks(t *testing.T) {
	mem := func(email string, at time.Time) Item {
		return chartItem(t, dynamo.TypeMember, member.Member{Email: email, Status: member.StatusActive, CreatedAt: at})
	}
	items := []Item{
		mem("a@x.org", time.Date(2025, 12, 28, 12, 0, 0, 0, time.UTC)), // Sunday: 2025-W52
		mem("b@x.org", time.Date(2025, 12, 29, 4, 0, 0, 0, time.UTC)),  // 23:00 on Sunday the 28th in Toronto: 2025-W52
		mem("c@x.org", time.Date(2025, 12, 29, 6, 0, 0, 0, time.UTC)),  // Monday: 2026-W01
		mem("d@x.org", time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)),   // 2026-W01
		mem("e@x.org", time.Date(2026, 1, 14, 12, 0, 0, 0, time.UTC)),  // 2026-W03
		chartItem(t, dynamo.TypePayment, dynamo.PaymentRecord{Key: "p"}),
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(runChart(t, "new-members-by-week", Options{Format: "json", Location: toronto}, items...)), &rows); err != nil {
		t.Fatal(err)
	}
	want := []string{"2025-W52 2025-12-22 2", "2026-W01 2025-12-29 2", "2026-W02 2026-01-05 0", "2026-W03 2026-01-12 1"}
	if len(rows) != len(want) {
		t.Fatalf("rows %v", rows)
	}
	for i, w := range want {
		if got := rows[i]["week"] + " " + rows[i]["starts_on"] + " " + rows[i]["new_members"]; got != w {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
	}
	t.Run("from and to widen and cut the weeks", func(t *testing.T) {
		var rows []map[string]string
		o := Options{Format: "json", Location: toronto, From: time.Date(2025, 12, 29, 0, 0, 0, 0, toronto), To: time.Date(2026, 1, 27, 0, 0, 0, 0, toronto)}
		if err := json.Unmarshal([]byte(runChart(t, "new-members-by-week", o, items...)), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 5 || rows[0]["week"] != "2026-W01" || rows[0]["new_members"] != "2" || rows[4]["week"] != "2026-W05" || rows[4]["new_members"] != "0" {
			t.Errorf("%v", rows)
		}
	})
	page := runChart(t, "new-members-by-week", Options{Format: "html", Location: toronto}, items...)
	text := pageText(page)
	for _, w := range []string{"Sign-ups: 5 · weeks shown: 4", "2025-W52 December 22, 2025 2", "2026-W02 January 5, 2026 0", "Total 5", "W52", "W01", "2026"} {
		if !strings.Contains(text, w) {
			t.Errorf("page lacks %q:\n%s", w, text)
		}
	}
	if n := strings.Count(page, `class="bar"`); n != 3 {
		t.Errorf("%d bars, want 3 (a zero week has none)", n)
	}
	if fr := pageText(runChart(t, "new-members", Options{Format: "html", Location: toronto, Lang: i18n.FR}, items...)); !strings.Contains(fr, "Inscriptions par semaine") ||
		!strings.Contains(fr, "S01") {
		t.Errorf("French: %s", fr)
	}
	if empty := pageText(runChart(t, "new-members-by-week", Options{Format: "html"})); !strings.Contains(empty, "Sign-ups: 0 · weeks shown: 0") {
		t.Errorf("empty: %s", empty)
	}
}

// TestChartOtherReportsRefuseHTML: a listing has no picture; the error names those that do.
func TestChartOtherReportsRefuseHTML(t *testing.T) {
	if _, err := New("donations", Options{Format: "html"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "appeal, members-by-branch") {
		t.Errorf("err = %v", err)
	}
	if _, err := New("donors", Options{Format: "html"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"donors"`) {
		t.Errorf("err = %v", err)
	}
}
