package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/staff"
)

// hostileBranch is a branch whose name is markup: the pages must show it as text.
const hostileBranch = `<script>document.title="pwned"</script> West`

// jsonReport runs `staff report name -export where -format json args…` and returns its
// rows: exact cents.
func (s *stack) jsonReport(t *testing.T, client *s3.Client, where, name string, args ...string) []map[string]string {
	t.Helper()
	var out bytes.Buffer
	if err := staff.Run(context.Background(), s.sys.Store, staff.Sources{S3: client},
		append([]string{"report", name, "-export", where, "-format", "json"}, args...), &out); err != nil {
		t.Fatalf("report %s: %v", name, err)
	}
	var rows []map[string]string
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("report %s: %v\n%s", name, err, out.String())
	}
	return rows
}

// TestChartReportsInChromium: `staff report … -format html` on a real moto export, in
// English and French, opened in headless Chromium from a file: the appeal's net total in
// the page's text equals the JSON report's and GET /campaigns', the members' count the
// members-by-branch report's; nothing is fetched, no script runs (the hostile branch
// name is text), and the pages are screenshot at phone and desktop widths.
func TestChartReportsInChromium(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	now := time.Now()
	// $25 and $50 online, $15 of the $50 refunded; a $250 cheque beside the seed's $90,000.
	a := s.donate(map[string]any{"email": "chart-a@example.org", "amount_cents": 2500})
	b := s.donate(map[string]any{"email": "chart-b@example.org", "amount_cents": 5000})
	for _, ev := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(a), now),
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(b), now),
		localpay.Event("charge.refunded", localpay.ChargeRefunded(localpay.PaymentIntentID(b), 5000, 1500, "cad"), now),
	} {
		s.deliverUntilOK(ev)
	}
	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"offline", "add", "-campaign", localdev.AppealSlug, "-amount", "250.00",
		"-method", "cheque", "-received-on", "2026-11-20", "-id", "chart-cheque-1"}, &out); err != nil {
		t.Fatal(err)
	}
	if err := s.sys.Store.PutBranches(ctx, []branch.Branch{{Slug: "west", NameEN: hostileBranch, NameFR: hostileBranch, Province: "BC",
		City: "Vancouver", Organizers: []string{"west-organizer@example.org"}, Language: "en"}}); err != nil {
		t.Fatal(err)
	}
	s.join(joiner("chart-m1@example.org", nil))
	s.join(joiner("chart-m2@example.org", nil))
	s.join(joiner("chart-m3@example.org", map[string]any{"address": map[string]any{"city": "Toronto", "province": "ON", "postal_code": "M5V 2T6"}}))
	s.join(joiner("chart-m4@example.org", map[string]any{"branch": "west",
		"address": map[string]any{"line1": "1 Main", "city": "Vancouver", "province": "BC", "postal_code": "V6B 1A1"}}))

	where, client := s.exportToS3(t)

	// The figures the page must show: the JSON report's exact cents, checked against
	// what the test put in and against GET /campaigns.
	appeal := s.jsonReport(t, client, where, "appeal", "-campaign", localdev.AppealSlug)
	total := appeal[len(appeal)-1]
	net, _ := strconv.ParseInt(total["net_cents"], 10, 64)
	if want := int64(localdev.AppealOfflineCents + 25000 + 2500 + 5000 - 1500); total["day"] != "total" || net != want {
		t.Fatalf("appeal total %v, want net %d", total, want)
	}
	res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", nil)
	if raised := res.json(t)["raised_cents"].(float64); int64(raised) != net {
		t.Fatalf("GET /campaigns says %v raised; the appeal report's net is %d", raised, net)
	}
	members := 0
	for _, r := range s.jsonReport(t, client, where, "members-by-branch") {
		n, _ := strconv.Atoi(r["total"])
		members += n
	}
	if members != 4 {
		t.Fatalf("members by branch: %d members", members)
	}

	dir := t.TempDir()
	br := newBrowser(t, s, true) // JavaScript on: were the hostile name markup, it would run
	for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
		page := func(name string, args ...string) string {
			file := filepath.Join(dir, name+"-"+string(lang)+".html")
			var out bytes.Buffer
			if err := staff.Run(ctx, s.sys.Store, staff.Sources{S3: client, Zone: time.FixedZone("EST", -5*3600)},
				append([]string{"report", name, "-export", where, "-format", "html", "-lang", string(lang), "-o", file}, args...), &out); err != nil {
				t.Fatalf("%s %s: %v", name, lang, err)
			}
			br.run(chromedp.Navigate("file://"+file), chromedp.WaitReady("body", chromedp.ByQuery))
			return file
		}
		raisedOf := i18n.Text(lang, i18n.M("report.html.raised_of", i18n.Cents(net), i18n.Cents(localdev.AppealGoalCents)))

		file := page("appeal", "-campaign", localdev.AppealSlug)
		visible := br.text("body")
		var tables, title string
		var scripts, fetched int
		var bold string
		br.run(chromedp.Evaluate(`[...document.querySelectorAll("table")].map(t => t.textContent).join("\n")`, &tables),
			chromedp.Title(&title),
			chromedp.Evaluate(`document.querySelectorAll("script").length`, &scripts),
			chromedp.Evaluate(`performance.getEntriesByType("resource").length`, &fetched),
			chromedp.Evaluate(`getComputedStyle(document.querySelector(".headline")).fontWeight`, &bold))
		if !strings.Contains(visible, raisedOf) {
			t.Errorf("%s appeal: the page does not say %q:\n%s", lang, raisedOf, visible)
		}
		if money := i18n.FormatCents(lang, net); !strings.Contains(tables, money) || !strings.Contains(visible, money) {
			t.Errorf("%s appeal: the net total %s is not in the page's text and tables", lang, money)
		}
		if org := i18n.Text(lang, i18n.M("report.html.appeal.title", map[i18n.Lang]string{i18n.EN: "2024 financial appeal", i18n.FR: "Campagne financière 2024"}[lang])); !strings.Contains(title, org) ||
			!strings.Contains(title, map[i18n.Lang]string{i18n.EN: "Solidarity", i18n.FR: "Solidarité"}[lang]) {
			t.Errorf("%s appeal: title %q", lang, title)
		}
		if scripts != 0 || fetched != 0 || bold != "700" {
			t.Errorf("%s appeal: %d scripts, %d resources fetched, headline weight %q (its style blocked?)", lang, scripts, fetched, bold)
		}
		br.shot("report-appeal-" + string(lang))

		page("members-by-branch")
		visible = br.text("body")
		br.run(chromedp.Title(&title), chromedp.Evaluate(`document.querySelectorAll("script").length`, &scripts),
			chromedp.Evaluate(`[...document.querySelectorAll("table")].map(t => t.textContent).join("\n")`, &tables))
		if want := i18n.Text(lang, i18n.M("report.html.members.total", members, 3)); !strings.Contains(visible, want) {
			t.Errorf("%s members: the page does not say %q:\n%s", lang, want, visible)
		}
		if !strings.Contains(visible, hostileBranch) || !strings.Contains(tables, hostileBranch) || scripts != 0 || strings.Contains(title, "pwned") {
			t.Errorf("%s members: the branch's name is not shown as text (%d scripts, title %q):\n%s", lang, scripts, title, visible)
		}
		br.shot("report-members-" + string(lang))

		page("new-members-by-week")
		if want := i18n.Text(lang, i18n.M("report.html.weeks.title")); !strings.Contains(br.text("body"), want) {
			t.Errorf("%s weeks: no %q", lang, want)
		}
		br.shot("report-weeks-" + string(lang))

		// The file alone is the page: nothing it links to.
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if html := strings.ReplaceAll(string(body), `xmlns="http://www.w3.org/2000/svg"`, ""); strings.Contains(html, "http:") || strings.Contains(html, "https:") || strings.Contains(html, "<script") {
			t.Errorf("%s appeal: the file links to or runs something", lang)
		}
	}
}
