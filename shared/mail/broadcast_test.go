package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

var rally = broadcast.Broadcast{ID: "bc_rally", SubjectEN: "Rally on Saturday", SubjectFR: "Manifestation samedi",
	BodyEN: "Join us on **Saturday**.\n\n- bring a <sign>", BodyFR: "Rejoignez-nous **samedi**.",
	Audience: broadcast.Audience{Kind: broadcast.News}, CreatedBy: "ana", CreatedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}

// TestRenderBroadcast: a broadcast email is the broadcast's message in the person's
// language (none: English then French), then the unsubscribe line in each language of
// the message and the organization's identification, in the layout of every email; the
// message's HTML is the broadcast's, escaped as it escapes it; a test send says so.
func TestRenderBroadcast(t *testing.T) {
	org := organization.Default()
	const u = "https://api.example.org/unsubscribe?token=abc"
	for _, tt := range []struct {
		lang, subject string
		has, hasNot   []string
	}{
		{"en", "Rally on Saturday", []string{"Join us on Saturday.", "To stop, unsubscribe here: " + u, org.Name.In("en")},
			[]string{"Rejoignez", "désabonnez-vous"}},
		{"fr", "Manifestation samedi", []string{"Rejoignez-nous samedi.", "désabonnez-vous ici : " + u},
			[]string{"Join us", "unsubscribe here"}},
		{"", "Rally on Saturday / Manifestation samedi", []string{"Join us on Saturday.", "Rejoignez-nous samedi.",
			"unsubscribe here: " + u, "désabonnez-vous ici : " + u}, nil},
	} {
		e := outbox.Email{ID: "bem_1", Template: outbox.Broadcast, Language: tt.lang, To: "ana@example.org", News: true,
			Data: map[string]string{"broadcast": rally.ID, "unsubscribe_url": u}}
		msg, err := RenderBroadcast(e, rally, org)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Subject != tt.subject {
			t.Errorf("%q: subject %q", tt.lang, msg.Subject)
		}
		for _, want := range append(tt.has, "\n--\n") {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("%q: text lacks %q:\n%s", tt.lang, want, msg.Text)
			}
		}
		for _, no := range tt.hasNot {
			if strings.Contains(msg.Text, no) {
				t.Errorf("%q: text has %q", tt.lang, no)
			}
		}
		if !strings.Contains(msg.HTML, "<strong>") || strings.Contains(msg.HTML, "<sign>") ||
			!strings.Contains(msg.HTML, `<a href="`+u+`"`) || !strings.Contains(msg.HTML, "border-top:4px solid") {
			t.Errorf("%q: HTML\n%s", tt.lang, msg.HTML)
		}
	}
	e := outbox.Email{Template: outbox.Broadcast, Language: "fr", Data: map[string]string{"broadcast": rally.ID, BroadcastTestKey: "1"}}
	if msg, err := RenderBroadcast(e, rally, org); err != nil || msg.Subject != "[TEST] Manifestation samedi" {
		t.Fatalf("test send: %q %v", msg.Subject, err)
	}
}

// broadcastOn is a mailer on moto with broadcast rally sending and one recipient's
// email of it queued, to, subscribed to news or not.
func broadcastOn(t *testing.T, to, lang string, subscribed bool) (Mailer, *recordingSES, outbox.Key, outbox.Email) {
	t.Helper()
	ctx := context.Background()
	env := emulator.Get(t)
	db := env.DB()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	ses := sesv2.NewFromConfig(env.AWS)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("appeal@solidarity.example")}); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(db, table)
	if err := store.CreateBroadcast(ctx, rally); err != nil {
		t.Fatal(err)
	}
	if err := store.SetBroadcastState(ctx, rally.ID, broadcast.StateDraft, broadcast.StateSending); err != nil {
		t.Fatal(err)
	}
	it, _ := attributevalue.MarshalMap(consent.State{Email: to, Subscribed: subscribed, ChangedAt: time.Now(), Source: "donation"})
	for k, v := range dynamo.NewsKey(to) {
		it[k] = v
	}
	it["type"] = &types.AttributeValueMemberS{Value: dynamo.TypeNewsState}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.QueueRecipient(ctx, rally.ID, broadcast.Recipient{Email: to, Language: lang}); err != nil {
		t.Fatal(err)
	}
	var key outbox.Key
	var e outbox.Email
	if err := store.PendingBroadcastEmails(ctx, rally.ID, func(k outbox.Key, em outbox.Email) error {
		key, e = k, em
		return nil
	}); err != nil || e.To != to {
		t.Fatalf("queued %+v %v", e, err)
	}
	rec := &recordingSES{SES: ses}
	m := Mailer{Outbox: store, Suppressions: store, SES: rec, From: "appeal@solidarity.example", ConfigurationSet: "solidarity-mail",
		Broadcasts: &BroadcastCache{Source: store}, News: store, PublicURL: "https://api.example.org", Now: time.Now}
	return m, rec, key, e
}

// TestMailerSendsBroadcastEmail: a subscribed person's broadcast email goes out once, in
// their language, through the configuration set, with their own one-click unsubscribe
// link (minted at send, stored as a hash) in the body and the RFC 8058 headers.
func TestMailerSendsBroadcastEmail(t *testing.T) {
	ctx := context.Background()
	m, rec, key, e := broadcastOn(t, "rally-fr@example.org", "fr", true)
	for range 2 { // a second sender, or a rerun
		if err := m.Send(ctx, key, e); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.sent) != 1 {
		t.Fatalf("%d sends", len(rec.sent))
	}
	in := rec.sent[0]
	text := aws.ToString(in.Content.Simple.Body.Text.Data)
	found := tokenURL.FindStringSubmatch(text)
	if found == nil || found[1] != "/unsubscribe" || !strings.Contains(text, "Rejoignez-nous samedi.") ||
		aws.ToString(in.Content.Simple.Subject.Data) != "Manifestation samedi" || aws.ToString(in.ConfigurationSetName) != "solidarity-mail" {
		t.Fatalf("sent %s\n%s", aws.ToString(in.Content.Simple.Subject.Data), text)
	}
	headers := map[string]string{}
	for _, h := range in.Content.Simple.Headers {
		headers[aws.ToString(h.Name)] = aws.ToString(h.Value)
	}
	if headers["List-Unsubscribe"] != "<"+found[0]+">" || headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers %v", headers)
	}
	store := m.Outbox.(*dynamo.Store)
	if tok, err := store.Token(ctx, token.Hash(found[2])); err != nil || tok.Purpose != token.Unsubscribe || tok.Subject != "rally-fr@example.org" {
		t.Fatalf("token %+v %v", tok, err)
	}
	if rep, err := store.BroadcastReport(ctx, rally.ID); err != nil || rep.ByStatus[outbox.StatusSent] != 1 {
		t.Fatalf("report %+v %v", rep, err)
	}
}

// TestMailerSkipsBroadcastEmail: a broadcast email to a person who unsubscribed after it
// was queued, or of a cancelled broadcast, ends "skipped" with its reason, unsent, and a
// later attempt sends nothing either.
func TestMailerSkipsBroadcastEmail(t *testing.T) {
	ctx := context.Background()
	m, rec, key, e := broadcastOn(t, "rally-gone@example.org", "en", false)
	for range 2 {
		if err := m.Send(ctx, key, e); err != nil {
			t.Fatal(err)
		}
	}
	store := m.Outbox.(*dynamo.Store)
	rep, err := store.BroadcastReport(ctx, rally.ID)
	if err != nil || len(rec.sent) != 0 || rep.ByStatus[outbox.StatusSkipped] != 1 || rep.Skipped[SkipUnsubscribed] != 1 {
		t.Fatalf("%d sent, report %+v %v", len(rec.sent), rep, err)
	}

	m, rec, key, e = broadcastOn(t, "rally-cancelled@example.org", "", true)
	store = m.Outbox.(*dynamo.Store)
	if err := store.SetBroadcastState(ctx, rally.ID, broadcast.StateSending, broadcast.StateCancelled); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, key, e); err != nil {
		t.Fatal(err)
	}
	rep, err = store.BroadcastReport(ctx, rally.ID)
	if err != nil || len(rec.sent) != 0 || rep.Skipped[SkipCancelled] != 1 {
		t.Fatalf("%d sent, report %+v %v", len(rec.sent), rep, err)
	}
}

// rejectingSES refuses every email for good, as SES does a message it rejects.
type rejectingSES struct{ SES }

func (rejectingSES) SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return nil, sdkError(&sestypes.MessageRejected{Message: aws.String("Illegal header")})
}

// TestFailedBroadcastEmailLogsNoAddress: a broadcast recipient's sort key holds its
// address (TO#<email>); the log line of an email SES refused for good names the email,
// not the key that holds the address.
func TestFailedBroadcastEmailLogsNoAddress(t *testing.T) {
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	m, _, key, e := broadcastOn(t, "rally-refused@example.org", "en", true)
	m.SES = rejectingSES{}
	if err := m.Send(context.Background(), key, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"msg":"email failed"`) || strings.Contains(logs.String(), "rally-refused") {
		t.Fatalf("logs:\n%s", logs.String())
	}
}
