package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/report/reporttest"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/subscription"
)

// exportToS3 has moto export the stack's table to a new bucket, as the nightly export
// does, and returns the export's s3:// address.
func (s *stack) exportToS3(t *testing.T) (string, *s3.Client) {
	t.Helper()
	ctx := context.Background()
	db := s.env.DB()
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)})
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(s.env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "exports-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintCaCentral1}}); err != nil {
		t.Fatal(err)
	}
	rec, err := export.Exporter{DB: db, Records: s.sys.Store, TableARN: aws.ToString(desc.Table.TableArn), Bucket: bucket, Now: time.Now}.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := export.Wait(wait, db, rec.ARN, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return "s3://" + bucket + "/" + rec.Prefix, client
}

// report runs `staff report name -export where args… -format json` and returns its rows'
// values in the columns' order: the machine's, integer cents and UTC times
// (reportCSV, reports_figures_test.go, reads the CSV people read).
func (s *stack) report(t *testing.T, client *s3.Client, where, name string, args ...string) [][]string {
	t.Helper()
	var out bytes.Buffer
	err := staff.Run(context.Background(), s.sys.Store, staff.Sources{S3: client},
		append(append([]string{"report", name, "-export", where}, args...), "-format", "json"), &out)
	if err != nil {
		t.Fatalf("report %s: %v", name, err)
	}
	_, rows := reporttest.JSON(t, out.String())
	return rows
}

// TestReportsFromAMotoExport plays the other flows' scenarios, has moto export the table,
// and checks every report against figures the test computes from what it put in — and
// the appeal's total against GET /campaigns.
func TestReportsFromAMotoExport(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	now := time.Now()
	// Money: two one-time gifts (one partly refunded), a monthly gift paid twice, a
	// declined delayed payment, a gift never paid, and a cheque with its donor.
	a := s.donate(map[string]any{"email": "report-a@example.org", "amount_cents": 2500})
	b := s.donate(map[string]any{"email": "report-b@example.org", "amount_cents": 5000})
	c := s.donate(map[string]any{"email": "report-c@example.org", "amount_cents": 1000, "frequency": "monthly"})
	d := s.donate(map[string]any{"email": "report-d@example.org", "amount_cents": 3000})
	s.donate(map[string]any{"email": "report-e@example.org", "amount_cents": 4000})
	for _, ev := range [][]byte{
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(a), now),
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(b), now),
		localpay.Event("charge.refunded", localpay.ChargeRefunded(localpay.PaymentIntentID(b), 5000, 1500, "cad"), now),
		localpay.Event("checkout.session.completed", localpay.SessionCompleted(c), now),
		localpay.Event("invoice.paid", localpay.InvoicePaid(c, 1, now), now),
		localpay.Event("invoice.paid", localpay.InvoicePaid(c, 2, now.AddDate(0, 1, 0)), now),
		localpay.Event("checkout.session.async_payment_failed", localpay.SessionAsyncFailed(d), now),
	} {
		s.deliverUntilOK(ev)
	}
	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"offline", "add", "-campaign", localdev.AppealSlug, "-amount", "250.00",
		"-method", "cheque", "-received-on", "2026-11-20", "-id", "cheque-77", "-donor-name", "Marc Gagné", "-donor-email", "marc@example.org"}, &out); err != nil {
		t.Fatal(err)
	}
	// Members: two in Montréal (one confirmed), one in Toronto.
	s.join(joiner("report-m1@example.org", nil))
	s.join(joiner("report-m2@example.org", nil))
	s.join(joiner("report-m3@example.org", map[string]any{"address": map[string]any{"city": "Toronto", "province": "ON", "postal_code": "M5V 2T6"}}))
	if res := s.press(link(t, s.waitEmails("report-m1@example.org", 1)[0], "/members/confirm")); res.status != http.StatusOK {
		t.Fatalf("confirm: %d", res.status)
	}
	// Subscriptions: one active yearly, one ended, one past due.
	p := plan.Default()["solidarity-annual"]
	ship := &subscription.Shipping{Name: "R", Line1: "1 Main", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}
	s1, s2, s3 := s.subscribe("report-s1@example.org", p.Slug, "en"), s.subscribe("report-s2@example.org", p.Slug, "en"), s.subscribe("report-s3@example.org", "solidarity-monthly", "fr")
	for _, sub := range []subscription.Subscription{s1, s2, s3} {
		pl := plan.Default()[sub.Plan]
		s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, ship), now))
		s.deliverUntilOK(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, pl, 1, true), now.Add(time.Second)))
	}
	s.deliverUntilOK(localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(s2, "canceled", true), now.Add(2*time.Second)))
	s.deliverUntilOK(localpay.Event("invoice.payment_failed", localpay.PlanInvoice(s3, plan.Default()["solidarity-monthly"], 2, false), now.Add(2*time.Second)))

	where, client := s.exportToS3(t)

	sum := func(rows [][]string, col int) int64 {
		var n int64
		for _, r := range rows {
			v, _ := strconv.ParseInt(r[col], 10, 64)
			n += v
		}
		return n
	}
	wantOnline, wantRefunded := int64(2500+5000+1000+1000), int64(1500)
	wantOffline := int64(localdev.AppealOfflineCents + 25000)
	// Every payment: the gifts', and the three plans' first invoices (their plan_id, the last column).
	var gifts, plans [][]string
	for _, r := range s.report(t, client, where, "payments") {
		if r[len(r)-1] == "" {
			gifts = append(gifts, r)
		} else {
			plans = append(plans, r)
		}
	}
	if len(gifts) != 4 || sum(gifts, 3) != wantOnline || sum(gifts, 4) != wantRefunded || len(plans) != 3 ||
		sum(plans, 3) != 2*p.AmountCents+plan.Default()["solidarity-monthly"].AmountCents {
		t.Fatalf("payments: %d gifts, %d paid, %d refunded; %d plans' invoices, %d paid", len(gifts), sum(gifts, 3), sum(gifts, 4),
			len(plans), sum(plans, 3))
	}
	appeal := s.report(t, client, where, "appeal", "-campaign", localdev.AppealSlug)
	total := appeal[len(appeal)-1]
	net, _ := strconv.ParseInt(total[5], 10, 64)
	if total[0] != "total" || total[1] != strconv.FormatInt(wantOnline, 10) || total[2] != strconv.FormatInt(wantOffline, 10) ||
		total[3] != strconv.FormatInt(wantRefunded, 10) || total[4] != "0" || net != wantOnline+wantOffline-wantRefunded {
		t.Fatalf("appeal total %v", total)
	}
	res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", nil)
	if raised := res.json(t)["raised_cents"].(float64); int64(raised) != net {
		t.Fatalf("GET /campaigns says %v raised; the appeal report's net is %d", raised, net)
	}
	if donations := s.report(t, client, where, "donations"); len(donations) != 5+2 {
		t.Fatalf("donations: %d rows", len(donations))
	}
	if members := s.report(t, client, where, "members"); len(members) != 3 {
		t.Fatalf("members: %v", members)
	}
	branches := s.report(t, client, where, "members-by-branch")
	if len(branches) != 2 || strings.Join(branches[0], ",") != "montreal,1,1,2" || strings.Join(branches[1], ",") != "toronto,0,1,1" {
		t.Fatalf("members by branch: %v", branches)
	}
	today := now.UTC().Format(time.DateOnly)
	if fresh := s.report(t, client, where, "new-members", "-from", today); len(fresh) != 3 {
		t.Fatalf("new members: %v", fresh)
	}
	if none := s.report(t, client, where, "new-members", "-to", today); len(none) != 0 {
		t.Fatalf("new members before today: %v", none)
	}
	if subs := s.report(t, client, where, "subscriptions"); len(subs) != 3 {
		t.Fatalf("subscriptions: %v", subs)
	}
	lapsed := s.report(t, client, where, "subscriptions-lapsed")
	if len(lapsed) != 2 || !strings.Contains(lapsed[0][4]+lapsed[1][4], "report-s2") || !strings.Contains(lapsed[0][4]+lapsed[1][4], "report-s3") {
		t.Fatalf("lapsed: %v", lapsed)
	}
	if due := s.report(t, client, where, "subscriptions-due", "-days", "400"); len(due) != 1 || due[0][4] != "report-s1@example.org" {
		t.Fatalf("due: %v", due)
	}
	failed := s.report(t, client, where, "failed-payments")
	if len(failed) != 2 || failed[0][2]+failed[1][2] == "" {
		t.Fatalf("failed payments: %v", failed)
	}
	t.Run("JSON", func(t *testing.T) {
		var out bytes.Buffer
		if err := staff.Run(ctx, s.sys.Store, staff.Sources{S3: client}, []string{"report", "members-by-branch", "-export", where, "-format", "json"}, &out); err != nil {
			t.Fatal(err)
		}
		var rows []map[string]string
		if err := json.Unmarshal(out.Bytes(), &rows); err != nil || len(rows) != 2 || rows[0]["branch"] != "montreal" || rows[0]["active"] != "1" {
			t.Fatalf("%v %s", err, out.String())
		}
	})
	t.Run("CSV in dollars, in English and French", func(t *testing.T) {
		checkAppealInDollars(t, s, client, where, total)
	})
	t.Run("the live table gives the same", func(t *testing.T) {
		var out bytes.Buffer
		if err := staff.Run(ctx, s.sys.Store, staff.Sources{DB: s.env.DB(), Table: s.table}, []string{"report", "appeal", "-live", "-campaign", localdev.AppealSlug, "-format", "json"}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `{"day":"total","online_cents":"`+total[1]+`","offline_cents":"`+total[2]+`","refunded_cents":"`+total[3]+`","disputed_cents":"`+total[4]+`"`) {
			t.Fatalf("live appeal:\n%s", out.String())
		}
	})
}
