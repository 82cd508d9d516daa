package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/webhook"
)

func init() { emulator.Logs.Personal("Wayan", "Sukarno") }

// getItem reads the META item under pk into v; false if there is none.
func getItem(t *testing.T, c counted, pk string, v any) bool {
	t.Helper()
	out, err := c.env.DB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(c.table),
		Key:            map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}},
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return false
	}
	if err := attributevalue.UnmarshalMap(out.Item, v); err != nil {
		t.Fatal(err)
	}
	return true
}

func alarmLines(lines []map[string]any) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["alarm"] == dynamo.AlarmForeignCurrency {
			out = append(out, l)
		}
	}
	return out
}

// TestPaymentsCountInTheCampaignsCurrency: against moto, a CAD campaign counts a CAD
// payment, and a payment Stripe converted from CAD (Adaptive Pricing: charged in IDR)
// by its CAD amount; an IDR and a USD payment leave every total of the campaign as it
// was, are recorded with what Stripe charged, receipted in that currency, and alarmed
// by id. Each counts once, however often it is reported, and refunds follow the money
// counted.
func TestPaymentsCountInTheCampaignsCurrency(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	newGift := func(id string, freq string) donation.Donation {
		d := donation.Donation{ID: id, Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
			AmountCents: 2500, ChargeCents: 2606, Frequency: freq, FirstName: "Wayan", LastName: "Sukarno",
			Email: id + "@example.org", Language: "en", Status: donation.StatusPending, CreatedAt: created}
		if err := store.CreateDonation(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
		return d
	}
	campaignNow := func() campaign.Campaign {
		t.Helper()
		camp, err := store.Campaign(ctx, localdev.AppealSlug)
		if err != nil {
			t.Fatal(err)
		}
		return camp
	}
	totals := func(camp campaign.Campaign) [4]int64 {
		return [4]int64{camp.PaidCents, camp.RefundedCents, camp.DonationCount, camp.DonorCount}
	}
	start := totals(campaignNow())
	paidAt := created.Add(time.Minute)
	pay := func(evt, key, donationID string, cents int64, cur string, srcCents int64, srcCur string) donation.Payment {
		return donation.Payment{Event: donation.Event{ID: evt, Type: "checkout.session.completed"}, Key: key,
			DonationID: donationID, AmountCents: cents, Currency: cur, SourceCents: srcCents, SourceCurrency: srcCur, PaidAt: paidAt}
	}

	cad, idr, usd, conv := newGift("don_cur_cad", donation.Once), newGift("don_cur_idr", donation.Once),
		newGift("don_cur_usd", donation.Once), newGift("don_cur_conv", donation.Once)
	payments := []struct {
		name    string
		p       donation.Payment
		counted int64
		record  dynamo.PaymentRecord // the fields checked
		receipt [2]string            // amount_cents, currency_upper
	}{
		{"CAD, as before", pay("evt_cur_1", "pi_cur_cad", cad.ID, 2606, "cad", 0, ""), 2606,
			dynamo.PaymentRecord{AmountCents: 2606, Currency: "cad"}, [2]string{"2606", "CAD"}},
		{"IDR, unconverted", pay("evt_cur_2", "pi_cur_idr", idr.ID, 29_000_000, "idr", 0, ""), 0,
			dynamo.PaymentRecord{Currency: "cad", ChargedCents: 29_000_000, ChargedCurrency: "idr", Foreign: true},
			[2]string{"29000000", "IDR"}},
		{"USD, unconverted", pay("evt_cur_3", "pi_cur_usd", usd.ID, 1900, "USD", 0, ""), 0,
			dynamo.PaymentRecord{Currency: "cad", ChargedCents: 1900, ChargedCurrency: "usd", Foreign: true},
			[2]string{"1900", "USD"}},
		{"IDR converted from CAD", pay("evt_cur_4", "pi_cur_conv", conv.ID, 29_000_000, "idr", 2606, "cad"), 2606,
			dynamo.PaymentRecord{AmountCents: 2606, Currency: "cad", ChargedCents: 29_000_000, ChargedCurrency: "idr"},
			[2]string{"2606", "CAD"}},
	}
	want := start
	for _, tt := range payments {
		t.Run(tt.name, func(t *testing.T) {
			lines := emulator.Logged(t, func() {
				if err := store.RecordPayment(ctx, tt.p); err != nil {
					t.Fatal(err)
				}
			})
			if tt.counted > 0 {
				want[0] += tt.counted
				want[2]++
				want[3]++
			}
			if got := totals(campaignNow()); got != want {
				t.Fatalf("campaign (paid, refunded, donations, donors) %v, want %v", got, want)
			}
			var pr dynamo.PaymentRecord
			if !getItem(t, c, "PAYMENT#"+tt.p.Key, &pr) {
				t.Fatal("no payment record")
			}
			if pr.AmountCents != tt.record.AmountCents || pr.Currency != tt.record.Currency || pr.ChargedCents != tt.record.ChargedCents ||
				pr.ChargedCurrency != tt.record.ChargedCurrency || pr.Foreign != tt.record.Foreign || pr.DonationID != tt.p.DonationID {
				t.Fatalf("payment record %+v, want %+v", pr, tt.record)
			}
			d, err := store.Donation(ctx, tt.p.DonationID)
			if err != nil {
				t.Fatal(err)
			}
			foreign := int64(0)
			if tt.record.Foreign {
				foreign = 1
			}
			if d.Status != donation.StatusPaid || d.PaidCents != tt.counted || d.PaymentCount != 1 || d.ForeignPayments != foreign {
				t.Fatalf("donation %+v", d)
			}
			var mail outbox.Email
			if !getItem(t, c, "EMAIL#receipt_"+tt.p.Key, &mail) {
				t.Fatal("no receipt: the donor paid")
			}
			if got := [2]string{mail.Data["amount_cents"], mail.Data["currency_upper"]}; got != tt.receipt {
				t.Fatalf("receipt for %v, want %v", got, tt.receipt)
			}
			alarms := alarmLines(lines)
			switch {
			case tt.record.Foreign && len(alarms) != 1:
				t.Fatalf("alarm lines %v", lines)
			case tt.record.Foreign && (alarms[0]["payment_key"] != tt.p.Key || alarms[0]["donation_id"] != tt.p.DonationID ||
				alarms[0]["event_id"] != tt.p.Event.ID || alarms[0]["expected_currency"] != "cad"):
				t.Fatalf("alarm line %v", alarms[0])
			case !tt.record.Foreign && len(alarms) != 0:
				t.Fatalf("alarm for money counted: %v", alarms)
			}
		})
	}

	// Reported again, by the same event or another one: counted once, alarmed once.
	for i, tt := range payments {
		again := tt.p
		lines := emulator.Logged(t, func() {
			if err := store.RecordPayment(ctx, again); !errors.Is(err, donation.ErrDuplicate) {
				t.Fatalf("%s replayed: %v", tt.name, err)
			}
			again.Event.ID = "evt_cur_again_" + string(rune('a'+i))
			if err := store.RecordPayment(ctx, again); !errors.Is(err, donation.ErrDuplicate) {
				t.Fatalf("%s reported by another event: %v", tt.name, err)
			}
		})
		if len(alarmLines(lines)) != 0 {
			t.Fatalf("a duplicate alarmed again: %v", lines)
		}
	}
	if got := totals(campaignNow()); got != want {
		t.Fatalf("after duplicates %v, want %v", got, want)
	}

	// Refunds are in the currency Stripe charged: half of the IDR charge is half of the
	// CAD counted; a refund of a payment in no total changes no total.
	if err := store.RecordRefund(ctx, donation.Refund{Event: donation.Event{ID: "evt_cur_r1", Type: "charge.refunded"},
		PaymentKey: "pi_cur_conv", RefundedTotalCents: 14_500_000}); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordRefund(ctx, donation.Refund{Event: donation.Event{ID: "evt_cur_r2", Type: "charge.refunded"},
		PaymentKey: "pi_cur_usd", RefundedTotalCents: 1900}); err != nil && !errors.Is(err, donation.ErrDuplicate) {
		t.Fatal(err)
	}
	want[1] += 1303
	if got := totals(campaignNow()); got != want {
		t.Fatalf("after refunds %v, want %v", got, want)
	}
}

// TestMonthlyGiftCountedFromItsFirstPaymentInOurCurrency: a monthly gift whose first
// month Stripe charged in USD adds nothing to the campaign; its next month, in CAD,
// counts its money, the donation and the donor.
func TestMonthlyGiftCountedFromItsFirstPaymentInOurCurrency(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	d := donation.Donation{ID: "don_cur_monthly", Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
		AmountCents: 1000, ChargeCents: 1000, Frequency: donation.Monthly, FirstName: "Wayan", Email: "wayan@example.org",
		Language: "fr", Status: donation.StatusPending, CreatedAt: created}
	if err := store.CreateDonation(ctx, d, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := store.Campaign(ctx, localdev.AppealSlug)
	month := func(n int, cents int64, cur string) donation.Payment {
		return donation.Payment{Event: donation.Event{ID: "evt_cur_m" + string(rune('0'+n)), Type: "invoice.paid"},
			Key: "pi_cur_m" + string(rune('0'+n)), DonationID: d.ID, AmountCents: cents, Currency: cur,
			PaidAt: created.AddDate(0, n-1, 0), InvoiceID: "in_cur_m" + string(rune('0'+n))}
	}
	if err := store.RecordPayment(ctx, month(1, 760, "usd")); err != nil {
		t.Fatal(err)
	}
	if camp, _ := store.Campaign(ctx, localdev.AppealSlug); camp.PaidCents != before.PaidCents ||
		camp.DonationCount != before.DonationCount || camp.DonorCount != before.DonorCount {
		t.Fatalf("a USD month changed the campaign: %+v, was %+v", camp, before)
	}
	if err := store.RecordPayment(ctx, month(2, 1000, "cad")); err != nil {
		t.Fatal(err)
	}
	camp, _ := store.Campaign(ctx, localdev.AppealSlug)
	if camp.PaidCents != before.PaidCents+1000 || camp.DonationCount != before.DonationCount+1 || camp.DonorCount != before.DonorCount+1 {
		t.Fatalf("the CAD month: %+v, was %+v", camp, before)
	}
	got, _ := store.Donation(ctx, d.ID)
	if got.PaidCents != 1000 || got.PaymentCount != 2 || got.ForeignPayments != 1 {
		t.Fatalf("donation %+v", got)
	}
}

// TestPlanInvoiceInAnotherCurrency: against moto, a plan's invoice paid in another
// currency than the plan's pays its period and is receipted, but its money is recorded
// by currency, not in the subscription's paid money; its replay changes nothing; and
// the alarm names it by id.
func TestPlanInvoiceInAnotherCurrency(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	plans := plan.Default()
	p := plans["solidarity-annual"]
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	sub := subscription.Subscription{ID: "subs_cur_1", Plan: p.Slug, Kind: p.Kind, Email: "wayan@example.org", FirstName: "Wayan",
		Language: "en", Status: subscription.StatusPending, Currency: p.Currency, CreatedAt: created}
	if err := store.CreateSubscription(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	invoice := func(n int, cents int64, cur string) subscription.Change {
		return subscription.Change{EventID: "evt_cur_p" + string(rune('0'+n)), Type: subscription.InvoicePaid, Created: created.Unix() + int64(n),
			StripeID: "sub_cur_1", CustomerID: "cus_cur_1", InvoiceID: "in_cur_p" + string(rune('0'+n)), AmountCents: cents, Currency: cur,
			PeriodStart: created.AddDate(n-1, 0, 0), PeriodEnd: created.AddDate(n, 0, 0)}
	}
	apply := func(c subscription.Change) error {
		return store.ApplySubscriptionEvent(ctx, donation.Event{ID: c.EventID, Type: c.Type}, sub.ID, c, plans)
	}
	lines := emulator.Logged(t, func() {
		if err := apply(invoice(1, 4400, "usd")); err != nil {
			t.Fatal(err)
		}
		if err := apply(invoice(1, 4400, "usd")); !errors.Is(err, donation.ErrDuplicate) {
			t.Fatalf("replayed: %v", err)
		}
		if err := apply(invoice(2, p.AmountCents, p.Currency)); err != nil {
			t.Fatal(err)
		}
	})
	s, err := store.Subscription(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.PaidCents != p.AmountCents || s.ForeignCents["usd"] != 4400 || len(s.ForeignCents) != 1 ||
		!s.PaidThrough.Equal(created.AddDate(2, 0, 0)) || len(s.Invoices) != 2 {
		t.Fatalf("subscription paid %d, foreign %v, through %s, invoices %v", s.PaidCents, s.ForeignCents, s.PaidThrough, s.Invoices)
	}
	alarms := alarmLines(lines)
	if len(alarms) != 1 || alarms[0]["invoice_id"] != "in_cur_p1" || alarms[0]["subscription_id"] != sub.ID || alarms[0]["currency"] != "usd" {
		t.Fatalf("alarm lines %v", alarms)
	}
}

// TestPaymentRecordCounted: an amount of a charge (a refund's, a dispute's) counts as
// itself in our currency, as the same share of the CAD counted when Stripe converted
// the charge, and as nothing for a payment in no total; never more than was counted.
func TestPaymentRecordCounted(t *testing.T) {
	cad := dynamo.PaymentRecord{AmountCents: 2606, Currency: "cad"}
	conv := dynamo.PaymentRecord{AmountCents: 2606, Currency: "cad", ChargedCents: 29_000_000, ChargedCurrency: "idr"}
	foreign := dynamo.PaymentRecord{Currency: "cad", ChargedCents: 1900, ChargedCurrency: "usd", Foreign: true}
	tests := []struct {
		name   string
		pr     dynamo.PaymentRecord
		charge int64
		want   int64
	}{
		{"ours, part", cad, 500, 500},
		{"ours, all", cad, 2606, 2606},
		{"ours, more than paid", cad, 9999, 2606},
		{"converted, half", conv, 14_500_000, 1303},
		{"converted, all", conv, 29_000_000, 2606},
		{"converted, a third, rounded", conv, 9_666_667, 869},
		{"converted, more than charged", conv, 40_000_000, 2606},
		{"converted, nothing", conv, 0, 0},
		{"converted, huge amounts do not overflow", dynamo.PaymentRecord{AmountCents: 1 << 40, ChargedCents: 1 << 50, ChargedCurrency: "idr"}, 1 << 49, 1 << 39},
		{"foreign", foreign, 1900, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pr.Counted(tt.charge); got != tt.want {
				t.Fatalf("Counted(%d) = %d, want %d", tt.charge, got, tt.want)
			}
		})
	}
}

// TestWebhookCountsOurCurrencyOnly: Stripe's events through the webhook into moto: a CAD
// session counts; sessions charged in IDR and USD leave the campaign's totals as they
// were, recorded and alarmed; a session Adaptive Pricing charged in IDR, converted from
// CAD, counts its CAD; each redelivered counts once.
func TestWebhookCountsOurCurrencyOnly(t *testing.T) {
	c := newCounted(t)
	ctx, store := context.Background(), c.store
	if err := localdev.Seed(ctx, store); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	hook := webhook.Handler{Secret: "whsec_currency", Ledger: store}
	session := func(id, cur string, cents int64, conv map[string]any) []byte {
		d := donation.Donation{ID: id, Campaign: localdev.AppealSlug, CampaignTitle: "Appeal", Currency: "cad",
			AmountCents: 2500, ChargeCents: 2606, Frequency: donation.Once, FirstName: "Wayan", Email: id + "@example.org",
			Language: "en", Status: donation.StatusPending, CreatedAt: created}
		d.CheckoutID = localpay.SessionID(d)
		if err := store.CreateDonation(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
		obj := localpay.SessionCompleted(d)
		obj["currency"], obj["amount_total"] = cur, cents
		if conv != nil {
			obj["currency_conversion"] = conv
		}
		return localpay.Event("checkout.session.completed", obj, created.Add(time.Minute))
	}
	before, _ := store.Campaign(ctx, localdev.AppealSlug)
	events := [][]byte{
		session("don_wh_cad", "cad", 2606, nil),
		session("don_wh_idr", "idr", 29_000_000, nil),
		session("don_wh_usd", "usd", 1900, nil),
		session("don_wh_conv", "idr", 29_000_000, map[string]any{"amount_subtotal": 2606, "amount_total": 2606,
			"fx_rate": "11128.16577129700690713737529", "source_currency": "cad"}),
	}
	lines := emulator.Logged(t, func() {
		for _, ev := range append(events, events...) { // each delivered twice
			if st := signedDelivery(hook, ev); st != 200 {
				t.Fatalf("webhook %d", st)
			}
		}
	})
	camp, _ := store.Campaign(ctx, localdev.AppealSlug)
	if camp.PaidCents != before.PaidCents+2*2606 || camp.DonationCount != before.DonationCount+2 || camp.DonorCount != before.DonorCount+2 {
		t.Fatalf("campaign %+v, was %+v", camp, before)
	}
	keys := map[string]bool{}
	for _, l := range alarmLines(lines) {
		keys[l["payment_key"].(string)] = true
	}
	if len(alarmLines(lines)) != 2 || !keys["pi_local_don_wh_idr"] || !keys["pi_local_don_wh_usd"] {
		t.Fatalf("alarms %v", alarmLines(lines))
	}
	for id, cur := range map[string]string{"don_wh_idr": "idr", "don_wh_usd": "usd"} {
		var pr dynamo.PaymentRecord
		if !getItem(t, c, "PAYMENT#pi_local_"+id, &pr) || !pr.Foreign || pr.ChargedCurrency != cur || pr.AmountCents != 0 {
			t.Fatalf("%s: payment record %+v", id, pr)
		}
	}
}
