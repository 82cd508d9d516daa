package report_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/report"
)

// TestCSVOpensInExcel: every CSV report begins with the UTF-8 byte-order mark (so Excel
// on Windows reads "Reçu le" and "1 250,00 $" as written), its cells separated by "," in
// English and by ";" in French (what a French-locale spreadsheet splits at, "," being its
// decimal mark: a French number then needs no quotes). JSON has no mark.
func TestCSVOpensInExcel(t *testing.T) {
	gift := item(t, "offline_gift", dynamo.OfflineGift{ID: "cheque-1", Campaign: "c", AmountCents: 125_050, Method: "cheque",
		ReceivedOn: "2026-11-20", RecordedAt: day})
	for _, name := range report.Sorted() {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			out := run(t, name, report.Options{Lang: lang}, gift)
			if !strings.HasPrefix(out, report.BOM) || strings.Count(out, report.BOM) != 1 {
				t.Errorf("%s %s: %.60q does not begin with one byte-order mark", name, lang, out)
			}
		}
		if out := run(t, name, report.Options{Format: "json"}, gift); strings.HasPrefix(out, report.BOM) {
			t.Errorf("%s: JSON begins with a byte-order mark", name)
		}
	}
	en := run(t, "donations", report.Options{}, gift)
	fr := run(t, "donations", report.Options{Lang: i18n.FR}, gift)
	for _, c := range []struct {
		lang      i18n.Lang
		out, want string
	}{
		{i18n.EN, en, report.BOM + "ID,Kind,Created (UTC),"},
		{i18n.EN, en, ",\"$1,250.50\",1250.50,\"$1,250.50\",1250.50,"},
		{i18n.FR, fr, report.BOM + "Identifiant;Type;Créé le (UTC);"},
		{i18n.FR, fr, ";1\u00a0250,50\u00a0$;1250,50;1\u00a0250,50\u00a0$;1250,50;"}, // no quotes: ";" splits, "," is the decimal mark
	} {
		if !strings.Contains(c.out, c.want) {
			t.Errorf("%s: no %q in\n%s", c.lang, c.want, c.out)
		}
	}
	if !strings.Contains(fr, "Reçu le") {
		t.Errorf("French header lacks Reçu le:\n%s", fr)
	}
}

// TestVoidedGiftLeavesTheAmountColumn: in the donations listing a voided gift's amount
// is in "Amount voided (not counted)", its amount cells empty, so the sum of the
// "Amount (number)" column is the appeal's online and offline total, in both languages
// (and the sum of amount_cents in JSON).
func TestVoidedGiftLeavesTheAmountColumn(t *testing.T) {
	paidAt := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	voidedAt := time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)
	items := []report.Item{
		item(t, "donation", donation.Donation{ID: "don_1", Campaign: "fall", Status: "paid", Frequency: "once", AmountCents: 2_500,
			ChargeCents: 2_500, CreatedAt: paidAt}),
		item(t, "payment", dynamo.PaymentRecord{Key: "pi_1", DonationID: "don_1", Campaign: "fall", AmountCents: 2_500, PaidAt: paidAt}),
		item(t, "offline_gift", dynamo.OfflineGift{ID: "cheque-1", Campaign: "fall", AmountCents: 25_000, Method: "cheque",
			ReceivedOn: "2026-11-20", RecordedAt: day}),
		item(t, "offline_gift", dynamo.OfflineGift{ID: "cheque-2", Campaign: "fall", AmountCents: 250_000, Method: "cheque",
			ReceivedOn: "2026-11-21", RecordedAt: day, Voided: true, VoidedAt: &voidedAt, VoidedBy: "ana", VoidReason: "typed 2500 for 25"}),
	}
	_, appeal := rows(t, "appeal", report.Options{Campaign: "fall"}, items...)
	total := appeal[len(appeal)-1]
	online, _ := strconv.ParseInt(total[1], 10, 64)
	offline, _ := strconv.ParseInt(total[2], 10, 64)
	if total[0] != "total" || online+offline != 27_500 || total[6] != "250000" {
		t.Fatalf("appeal total %q", total)
	}

	for _, c := range []struct {
		lang                                i18n.Lang
		id, number, voided, voidedN, status string
		wantVoided, wantVoidedN, mark       string
	}{
		{i18n.EN, "ID", "Amount (number)", "Amount voided (not counted)", "Amount voided (not counted) (number)", "Status",
			"$2,500.00", "2500.00", "."},
		{i18n.FR, "Identifiant", "Montant (nombre)", "Montant annulé (non compté)", "Montant annulé (non compté) (nombre)", "Statut",
			"2\u00a0500,00\u00a0$", "2500,00", ","},
	} {
		header, rs := csvRows(t, "donations", report.Options{Lang: c.lang}, items...)
		var sum int64
		for _, r := range rs {
			v := column(t, header, r, c.number)
			if v == "" {
				continue
			}
			n, err := strconv.ParseInt(strings.Replace(v, c.mark, "", 1), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q: %v", c.lang, v, err)
			}
			sum += n
		}
		if sum != online+offline {
			t.Errorf("%s: the %s column sums to %d cents, the appeal's online and offline to %d", c.lang, c.number, sum, online+offline)
		}
		for _, r := range rs {
			if column(t, header, r, c.id) != "cheque-2" {
				continue
			}
			if column(t, header, r, c.number) != "" || column(t, header, r, c.voided) != c.wantVoided ||
				column(t, header, r, c.voidedN) != c.wantVoidedN || column(t, header, r, c.status) != "voided" {
				t.Errorf("%s: the voided cheque's row %q", c.lang, r)
			}
		}
	}

	header, rs := rows(t, "donations", report.Options{}, items...)
	var sum int64
	for _, r := range rs {
		if v := column(t, header, r, "amount_cents"); v != "" {
			n, _ := strconv.ParseInt(v, 10, 64)
			sum += n
		}
		if column(t, header, r, "id") == "cheque-2" && (column(t, header, r, "amount_cents") != "" ||
			column(t, header, r, "charged_cents") != "" || column(t, header, r, "voided_cents") != "250000") {
			t.Errorf("JSON: the voided cheque's row %q", r)
		}
	}
	if sum != online+offline {
		t.Errorf("JSON: amount_cents sums to %d, the appeal's online and offline to %d", sum, online+offline)
	}
}
