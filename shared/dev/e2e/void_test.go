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
	"github.com/solidarity/solidarity/shared/staff"
)

// TestVoidedGiftFromAMotoExport: staff record two cheques to the appeal and void one;
// the public total, campaign show and the reports read from a moto export count the
// voided cheque nowhere and list it as voided, with who, when and why; voiding it again
// changes nothing.
func TestVoidedGiftFromAMotoExport(t *testing.T) {
	s := newStack(t, false)
	ctx := context.Background()
	clock := time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)
	run := func(src staff.Sources, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		src.Now = func() time.Time { return clock }
		if err := staff.Run(ctx, s.sys.Store, src, args, &out); err != nil {
			t.Fatalf("staff %v: %v", args, err)
		}
		return out.String()
	}
	for _, c := range [][]string{{"cheque-v1", "250.00"}, {"cheque-v2", "40.00"}} {
		run(staff.Sources{}, "offline", "add", "-campaign", localdev.AppealSlug, "-amount", c[1], "-method", "cheque",
			"-received-on", "2026-11-20", "-id", c[0])
	}
	raised := func() int64 {
		t.Helper()
		res := s.do(http.MethodGet, "/campaigns/"+localdev.AppealSlug, "", "", nil)
		return int64(res.json(t)["raised_cents"].(float64))
	}
	before := raised()
	if before != localdev.AppealOfflineCents+29000 {
		t.Fatalf("raised before the void: %d", before)
	}
	run(staff.Sources{}, "offline", "void", "-id", "cheque-v1", "-reason", "cheque returned by the bank", "-by", "ana")
	if again := run(staff.Sources{}, "offline", "void", "-id", "cheque-v1", "-reason", "again", "-by", "marc"); !strings.Contains(again, "nothing changed") {
		t.Fatalf("second void said %q", again)
	}
	if got := raised(); got != before-25000 {
		t.Fatalf("GET /campaigns says %d raised after the void, want %d", got, before-25000)
	}

	where, client := s.exportToS3(t)
	src := staff.Sources{S3: client}
	var days []map[string]string
	if err := json.Unmarshal([]byte(run(src, "report", "appeal", "-export", where, "-campaign", localdev.AppealSlug, "-format", "json")), &days); err != nil {
		t.Fatal(err)
	}
	total := days[len(days)-1]
	wantOffline := strconv.FormatInt(localdev.AppealOfflineCents+4000, 10)
	if total["day"] != "total" || total["offline_cents"] != wantOffline || total["net_cents"] != strconv.FormatInt(before-25000, 10) ||
		total["voided_cents"] != "25000" {
		t.Fatalf("appeal total from the export: %v", total)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(run(src, "report", "donations", "-export", where, "-format", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]string{}
	for _, r := range rows {
		seen[r["id"]] = r
	}
	if v := seen["cheque-v1"]; v == nil || v["status"] != "voided" || v["voided"] != "true" || v["voided_by"] != "ana" ||
		v["voided_at"] != "2026-11-21T14:03:00Z" || v["void_reason"] != "cheque returned by the bank" ||
		v["voided_cents"] != "25000" || v["amount_cents"] != "" || v["charged_cents"] != "" { // its amount out of the amount columns
		t.Fatalf("the voided cheque in the export's donations: %v", v)
	}
	if p := seen["cheque-v2"]; p == nil || p["status"] != "paid" || p["voided"] != "false" {
		t.Fatalf("the other cheque: %v", p)
	}

	var shown map[string]any
	if err := json.Unmarshal([]byte(run(staff.Sources{}, "campaign", "show", "-slug", localdev.AppealSlug)), &shown); err != nil {
		t.Fatal(err)
	}
	gifts, _ := shown["voided_offline_gifts"].([]any)
	if int64(shown["raised_cents"].(float64)) != before-25000 || shown["voided_offline_cents"].(float64) != 25000 || len(gifts) != 1 ||
		gifts[0].(map[string]any)["reason"] != "cheque returned by the bank" {
		t.Fatalf("campaign show: %v", shown)
	}
}
