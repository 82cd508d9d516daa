package staff

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/suppression"
)

var resendNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// endedEmail writes an outbox email that ended with status at ended, as the mailer
// leaves one (its reason, and its expiry 30 days later).
func endedEmail(t *testing.T, db *dynamodb.Client, table, id, template, status, ended, reason string) {
	t.Helper()
	e := outbox.Email{ID: id, Template: template, Language: "en", To: id + "@example.org", Status: status,
		CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Data: map[string]string{
			"first_name": "Ana", "campaign_title": "Appeal", "receipt_number": "SOL-2026-ABCDEFGH",
			"amount_cents": "2500", "currency_upper": "CAD", "paid_at": "2026-11-01T12:00:00Z", "frequency": "once"}}
	it, err := dynamo.EmailItem(e)
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, ended)
	if err != nil {
		t.Fatal(err)
	}
	it["ended_at"], it["end_reason"] = &types.AttributeValueMemberS{Value: ended}, &types.AttributeValueMemberS{Value: reason}
	it[dynamo.TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(dynamo.SentRetention).Unix(), 10)}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatal(err)
	}
}

func emailStatus(t *testing.T, s *dynamo.Store, id string) string {
	t.Helper()
	k := dynamo.EmailKey(id)
	out, err := s.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k.Partition}, "sk": &types.AttributeValueMemberS{Value: k.Sort}}})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := out.Item["status"].(*types.AttributeValueMemberS)
	if st == nil {
		return ""
	}
	return st.Value
}

// TestMailResend: `staff mail resend` without -confirm counts the failed (not
// suppressed) emails of the period, by template, matching -reason, and changes nothing;
// with -confirm it sends them through the mailer and marks them sent, and one whose
// address was suppressed meanwhile ends suppressed, unsent.
func TestMailResend(t *testing.T) {
	ctx := context.Background()
	env := emulator.Get(t)
	db := env.DB()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(db, table)
	store.Now = func() time.Time { return resendNow }
	const unverified = "MessageRejected: Email address is not verified. The following identities failed the check: (address withheld)"
	endedEmail(t, db, table, "resend_a", outbox.DonationReceipt, outbox.StatusFailed, "2026-11-10T10:00:00Z", unverified)
	endedEmail(t, db, table, "resend_b", outbox.DonationReceipt, outbox.StatusFailed, "2026-11-11T10:00:00Z", unverified)
	endedEmail(t, db, table, "resend_c", outbox.MemberWelcome, outbox.StatusFailed, "2026-11-12T10:00:00Z", unverified)
	endedEmail(t, db, table, "resend_other", outbox.DonationReceipt, outbox.StatusFailed, "2026-11-12T10:00:00Z", "BadRequestException: Invalid email address .")
	endedEmail(t, db, table, "resend_early", outbox.DonationReceipt, outbox.StatusFailed, "2026-10-25T10:00:00Z", unverified)
	endedEmail(t, db, table, "resend_suppressed", outbox.DonationReceipt, outbox.StatusSuppressed, "2026-11-12T10:00:00Z", "the address is suppressed")
	// Suppressed since it failed: a resend ends it suppressed.
	if _, err := store.Suppress(ctx, suppression.Record{Address: "resend_b@example.org", Reason: suppression.ReasonBounce, MessageID: "m", At: resendNow}); err != nil {
		t.Fatal(err)
	}
	args := []string{"mail", "resend", "-since", "2026-11-01", "-reason", "NOT VERIFIED"}

	var out bytes.Buffer
	if err := Run(ctx, store, Sources{}, args, &out); err != nil {
		t.Fatal(err)
	}
	want := "would resend 3 failed emails\n" +
		"  donation_receipt             2\n" +
		"  member_welcome               1\n" +
		"a dry run: nothing sent; run again with -confirm to send them\n"
	if out.String() != want {
		t.Fatalf("dry run:\n%s\nwant\n%s", out.String(), want)
	}
	for _, id := range []string{"resend_a", "resend_b", "resend_c", "resend_other", "resend_early"} {
		if st := emailStatus(t, store, id); st != outbox.StatusFailed {
			t.Fatalf("the dry run changed %s to %s", id, st)
		}
	}
	if err := Run(ctx, store, Sources{}, append(args, "-confirm"), &out); !errors.Is(err, ErrUsage) {
		t.Fatalf("-confirm without a mailer: %v", err)
	}

	ses := sesv2.NewFromConfig(env.AWS)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("appeal@solidarity.example")}); err != nil {
		t.Fatal(err)
	}
	calls := &countedSES{SES: ses, to: map[string]int{}}
	m := mail.Mailer{Outbox: store, Suppressions: store, SES: calls, From: "appeal@solidarity.example",
		PublicURL: "https://appeal.example", Now: func() time.Time { return resendNow }}
	out.Reset()
	if err := Run(ctx, store, Sources{Mailer: &m}, append(args, "-confirm"), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.HasSuffix(out.String(), "resend: 2 emails sent, 0 failed again, 1 ended unsent again (see staff mail failed)\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	for id, want := range map[string]string{"resend_a": outbox.StatusSent, "resend_c": outbox.StatusSent, "resend_b": outbox.StatusSuppressed,
		"resend_other": outbox.StatusFailed, "resend_early": outbox.StatusFailed, "resend_suppressed": outbox.StatusSuppressed} {
		if st := emailStatus(t, store, id); st != want {
			t.Errorf("%s is %s, want %s", id, st, want)
		}
	}
	// The mailer asks SES once per email; moto holds what SES accepted (an SDK retry of
	// a call whose answer was lost could add a copy there, as it could in SES itself).
	for to, n := range map[string]int{"resend_a@example.org": 1, "resend_c@example.org": 1, "resend_b@example.org": 0, "resend_other@example.org": 0} {
		if got := calls.to[to]; got != n {
			t.Errorf("%d sends to %s, want %d", got, to, n)
		}
		if got := len(env.SentEmails(t, to)); (got == 0) != (n == 0) {
			t.Errorf("SES holds %d emails to %s, want %d", got, to, n)
		}
	}
	// Run again: nothing is failed any more, nothing is sent twice.
	out.Reset()
	if err := Run(ctx, store, Sources{Mailer: &m}, append(args, "-confirm"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "resending 0 failed emails\n") || calls.to["resend_a@example.org"] != 1 {
		t.Errorf("second run:\n%s", out.String())
	}
	for _, bad := range [][]string{{"-since", "November"}, {"-nope"}} {
		if err := Run(ctx, store, Sources{}, append([]string{"mail", "resend"}, bad...), &out); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if !strings.Contains(Usage, "staff mail resend") || !strings.Contains(Usage, "expire 30 days after they end") {
		t.Error("the help does not name mail resend, or when failed emails expire")
	}
}

// TestMailUnsuppress: `staff mail unsuppress` deletes the address's suppression (the
// mailer mails it again) and prints SES's own command for its account-level list; an
// address that is not suppressed changes nothing; a bad address is refused.
func TestMailUnsuppress(t *testing.T) {
	ctx := context.Background()
	env := emulator.Get(t)
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(env.DB(), table)
	if _, err := store.Suppress(ctx, suppression.Record{Address: "ana@example.org", Reason: suppression.ReasonBounce, MessageID: "m", At: resendNow}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(ctx, store, Sources{}, []string{"mail", "unsuppress", "-email", " Ana@Example.ORG "}, &out); err != nil {
		t.Fatal(err)
	}
	want := "ana@example.org is no longer suppressed: the mailer mails it again\n" +
		"SES's account-level suppression list may hold it too; to remove it there:\n" +
		"  aws sesv2 delete-suppressed-destination --email-address ana@example.org\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
	if s, err := store.Suppressed(ctx, "ana@example.org"); err != nil || s {
		t.Fatalf("still suppressed: %v %v", s, err)
	}
	out.Reset()
	if err := Run(ctx, store, Sources{}, []string{"mail", "unsuppress", "-email", "o'neil@example.org"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "o'neil@example.org was not suppressed here; nothing changed\n") ||
		!strings.Contains(out.String(), `--email-address 'o'\''neil@example.org'`) {
		t.Fatalf("got\n%s", out.String())
	}
	for _, bad := range [][]string{{}, {"-email", "ana"}, {"-email", "@example.org"}, {"-email", "ana roy@example.org"}} {
		if err := Run(ctx, store, Sources{}, append([]string{"mail", "unsuppress"}, bad...), &out); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if !strings.Contains(Usage, "staff mail unsuppress -email ADDRESS") {
		t.Error("the help does not name mail unsuppress")
	}
}

// countedSES counts the mailer's SendEmail calls by recipient.
type countedSES struct {
	mail.SES
	to map[string]int
}

func (c *countedSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	for _, to := range in.Destination.ToAddresses {
		c.to[to]++
	}
	return c.SES.SendEmail(ctx, in, opts...)
}
