package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/maileventsfn"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/faults"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/staff"
)

// TestForgedBounceSuppressesNoStranger: a bounce report for our message to one address
// that names another (anyone who owns a mail domain can answer our message so) reaches
// the mail-events function and suppresses nothing: a receipt to the other address
// still goes out.
func TestForgedBounceSuppressesNoStranger(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	h, err := maileventsfn.New(ctx, assembly.Env{Config: config.Config{Table: s.table}, AWS: s.env.AWS})
	if err != nil {
		t.Fatal(err)
	}
	const victim = "victim-e2e@example.org"
	ev := sesNotification(t, "bounce.json", "squatter-e2e@example.net")
	var body map[string]any
	if err := json.Unmarshal([]byte(ev.Records[0].SNS.Message), &body); err != nil {
		t.Fatal(err)
	}
	body["bounce"].(map[string]any)["bouncedRecipients"] = []any{map[string]any{"emailAddress": victim, "action": "failed", "status": "5.1.1"}}
	forged, _ := json.Marshal(body)
	ev.Records[0].SNS.Message = string(forged)
	if err := h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{victim, "squatter-e2e@example.net"} {
		if sup, err := s.sys.Store.Suppressed(ctx, addr); err != nil || sup {
			t.Fatalf("Suppressed(%s) = %v, %v", addr, sup, err)
		}
	}
	d := s.donate(map[string]any{"email": victim})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	if st, _ := receiptStatus(t, s, localpay.PaymentIntentID(d)); st != outbox.StatusSent {
		t.Fatalf("receipt %s, want sent", st)
	}
}

// TestFailedReceiptResent: SES refuses a receipt for good (the sandbox's unverified
// recipient), so it ends failed; once the cause is fixed (the recipient verified),
// `staff mail resend -confirm` sends it through the mailer's assembly, once.
func TestFailedReceiptResent(t *testing.T) {
	env := emulator.Get(t)
	proxy, err := faults.New(env.Moto.URL, faults.Rates{}, 15)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	const to = "resend-e2e@example.org"
	proxy.Unverified(to)
	s := newStack(t, true, func(su *setup) { su.opts.MotoURL = srv.URL })
	d := s.donate(map[string]any{"email": to})
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now()))
	if st, _ := receiptStatus(t, s, localpay.PaymentIntentID(d)); st != outbox.StatusFailed {
		t.Fatalf("receipt %s, want failed", st)
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"mail", "resend", "-reason", "not verified"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "would resend 1 failed emails") || !strings.Contains(out.String(), outbox.DonationReceipt) {
		t.Fatalf("dry run:\n%s", out.String())
	}
	fixed := s.sys.Mailer // the recipient verified: SES (moto, past the proxy) sends to it
	fixed.SES = sesv2.NewFromConfig(env.AWS)
	for i, want := range []string{"resend: 1 emails sent", "resending 0 failed emails"} {
		out.Reset()
		if err := staff.Run(ctx, s.sys.Store, staff.Sources{Mailer: &fixed}, []string{"mail", "resend", "-confirm"}, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("run %d:\n%s", i+1, out.String())
		}
	}
	if st, _ := receiptStatus(t, s, localpay.PaymentIntentID(d)); st != outbox.StatusSent {
		t.Fatalf("receipt %s, want sent", st)
	}
	if n := len(env.SentEmails(t, to)); n != 1 {
		t.Fatalf("%d receipts sent", n)
	}
}
