package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/dev/localdev"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/staff"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() {
	emulator.Logs.Personal("Félicité", "Ndiaye", "88 rue Ontario Est", "5145550177", "12 Cedar Lane")
}

// strings of an item, however deeply nested.
func allStrings(v types.AttributeValue, out *[]string) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		*out = append(*out, v.Value)
	case *types.AttributeValueMemberSS:
		*out = append(*out, v.Value...)
	case *types.AttributeValueMemberM:
		for k, e := range v.Value {
			*out = append(*out, k)
			allStrings(e, out)
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			allStrings(e, out)
		}
	}
}

// TestFindAndErase: a person who gave, joined and subscribed is found whole, then erased:
// no trace of their name, email, phone or address remains in the table or in a new
// export, and the campaign's totals are unchanged.
func TestFindAndErase(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	const email = "felicite@example.org"
	traces := []string{email, "Félicité", "Ndiaye", "+15145550177", "514-555-0177", "88 rue Ontario Est", "H2L 1N8", "12 Cedar Lane", "K1A 0B1"}

	d := s.donate(map[string]any{"email": "Felicite@Example.org", "first_name": "Félicité", "last_name": "Ndiaye", "consent_updates": true,
		"address": map[string]any{"line1": "88 rue Ontario Est", "city": "Montréal", "province": "QC", "postal_code": "H2L 1N8"}})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	s.join(joiner(email, map[string]any{"first_name": "Félicité", "last_name": "Ndiaye", "phone": "514-555-0177",
		"address": map[string]any{"line1": "88 rue Ontario Est", "city": "Montréal", "province": "QC", "postal_code": "H2L 1N8"}}))
	s.pressConfirm(link(t, s.waitEmails(email, 2)[1], "/members/confirm"))
	sub := s.subscribe(email, "solidarity-annual", "fr")
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{
		Name: "Félicité Ndiaye", Line1: "12 Cedar Lane", City: "Ottawa", State: "ON", PostalCode: "K1A 0B1", Country: "CA"}), time.Now()))
	s.deliverUntilOK(localpay.Event("invoice.paid", localpay.PlanInvoice(sub, plan.Default()["solidarity-annual"], 1, true), time.Now()))
	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"offline", "add", "-campaign", localdev.AppealSlug, "-amount", "40",
		"-method", "cash", "-received-on", "2026-11-21", "-donor-name", "Félicité Ndiaye", "-donor-email", email}, &out); err != nil {
		t.Fatal(err)
	}
	s.postJSON("/portal", map[string]any{"email": email}, nil)
	s.waitEmailsAbout("montreal@solidarity.example", email, 1)

	// Stripe still charges the subscription: erasing refuses until staff cancel it.
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err == nil ||
		!strings.Contains(err.Error(), "subscription solidarity-annual") {
		t.Fatalf("erase of a live subscriber: %v", err)
	}
	s.deliverUntilOK(localpay.Event("customer.subscription.deleted", localpay.PlanSubscription(sub, "canceled", false), time.Now()))
	before := s.campaign()

	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"privacy", "find", "-json", "-email", "FELICITE@example.org"}, &out); err != nil {
		t.Fatal(err)
	}
	var found struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(out.Bytes(), &found); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range found.Items {
		kinds[it["type"].(string)]++
	}
	for _, k := range []string{"donation", "member", "subscription", "consent", "email", "token", "offline_gift", "campaign_donor", "stripe_customer", "news_state", "portal_request"} {
		if kinds[k] == 0 {
			t.Errorf("find: no %s item (found %v)", k, kinds)
		}
	}

	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email}, &out); err == nil {
		t.Fatal("erase ran without -confirm")
	}
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err == nil ||
		!strings.Contains(err.Error(), "ERASURE_KEY_PARAM") {
		t.Fatalf("erase ran without its key: %v", err)
	}
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", email, "-confirm"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "erased:") {
		t.Fatalf("%s", out.String())
	}

	left := s.fullScanTraces(traces...)
	if len(left) > 0 {
		t.Fatalf("traces left in the table: %v", left)
	}
	after := s.campaign()
	if after.RaisedCents() != before.RaisedCents() || after.DonorCount != before.DonorCount || after.DonationCount != before.DonationCount {
		t.Fatalf("totals changed: %+v → %+v", before, after)
	}
	if len(s.items("erasure")) != 1 {
		t.Fatal("the erasure is not recorded")
	}

	// A new export carries no trace either.
	where, client := s.exportToS3(t)
	bucket, prefix, _ := export.ParseS3(where)
	src := export.S3{Client: client, Bucket: bucket, Prefix: prefix}
	files, err := export.Locate(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		raw := readGz(t, client, bucket, f.Name)
		for _, tr := range traces {
			if strings.Contains(raw, tr) {
				t.Fatalf("%q is in the new export %s", tr, f.Name)
			}
		}
		if !strings.Contains(raw, d.ID) {
			t.Fatalf("the donation %s (its money) is missing from the export", d.ID)
		}
	}
}

func readGz(t *testing.T, client *s3.Client, bucket, key string) string {
	t.Helper()
	obj, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	zr, err := gzip.NewReader(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
