package mail

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/emulator"
	"github.com/solidarity/solidarity/shared/outbox"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

func receipt(lang, freq string) outbox.Email {
	return outbox.Email{ID: "receipt_pi_1", Template: outbox.DonationReceipt, Language: lang, To: "donor@example.org",
		Status: outbox.StatusPending, Data: map[string]string{
			"first_name": "Élise <b>", "campaign_title": "Campagne financière 2024", "receipt_number": "SOL-2026-ABCDEFGH",
			"amount_cents": "2500", "currency_upper": "CAD", "paid_at": "2026-11-27T12:00:00Z", "frequency": freq,
		}}
}

func TestRender(t *testing.T) {
	tests := []struct {
		lang, freq string
		subject    string
		body       []string
		absent     []string
	}{
		{"fr", "once", "Reçu de votre don — Campagne financière 2024",
			[]string{"Bonjour Élise <b>,", "SOL-2026-ABCDEFGH", "25,00\u00a0$ (CAD)", "27 novembre 2026", "don unique", "pas déductibles d’impôt"},
			[]string{"reply to this email", "répondez simplement"}},
		{"fr", "monthly", "Reçu de votre don mensuel — Campagne financière 2024",
			[]string{"mensuelle", "arrêter votre don mensuel", "répondez simplement à ce courriel", "pas déductibles"}, nil},
		{"en", "once", "Receipt for your donation — Campagne financière 2024",
			[]string{"Dear Élise", "$25.00 (CAD)", "November 27, 2026", "one-time", "not tax-deductible"},
			[]string{"stop your monthly"}},
		{"en", "monthly", "Receipt for your monthly donation — Campagne financière 2024",
			[]string{"stop your monthly donation", "reply to this email"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.freq, func(t *testing.T) {
			msg, err := Render(receipt(tt.lang, tt.freq))
			if err != nil {
				t.Fatal(err)
			}
			if msg.Subject != tt.subject {
				t.Errorf("subject %q", msg.Subject)
			}
			for _, want := range tt.body {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, msg.Text)
				}
			}
			for _, no := range tt.absent {
				if strings.Contains(msg.Text, no) {
					t.Errorf("text has %q", no)
				}
			}
			if !strings.Contains(msg.HTML, "Élise &lt;b&gt;") || strings.Contains(msg.HTML, "Élise <b>") {
				t.Errorf("HTML does not escape the name:\n%s", msg.HTML)
			}
		})
	}
	if _, err := Render(outbox.Email{Template: "no_such", Language: "en"}); err == nil {
		t.Fatal("an unknown template rendered")
	}
}

// mailerOn writes e to a fresh table on moto and returns a mailer and the stream record
// Lambda would deliver for it.
func mailerOn(t *testing.T, from string, e outbox.Email) (Mailer, events.DynamoDBEventRecord, string) {
	t.Helper()
	env := emulator.Get(t)
	ctx := context.Background()
	db := env.DB()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	ses := sesv2.NewFromConfig(env.AWS)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("appeal@solidarity.example")}); err != nil {
		t.Fatal(err)
	}
	item, err := attributevalue.MarshalMap(e)
	if err != nil {
		t.Fatal(err)
	}
	item["pk"] = &types.AttributeValueMemberS{Value: "EMAIL#" + e.ID}
	item["sk"] = &types.AttributeValueMemberS{Value: "META"}
	item["type"] = &types.AttributeValueMemberS{Value: "email"}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			img[k] = events.NewStringAttribute(s.Value)
		}
	}
	img["data"] = events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{})
	for k, v := range e.Data {
		img["data"].Map()[k] = events.NewStringAttribute(v)
	}
	img["attempts"] = events.NewNumberAttribute("0")
	rec := events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
		NewImage: img, SequenceNumber: "100", Keys: map[string]events.DynamoDBAttributeValue{"pk": img["pk"], "sk": img["sk"]}}}
	m := Mailer{DB: db, Table: table, SES: ses, From: from, Now: time.Now}
	return m, rec, table
}

func status(t *testing.T, m Mailer, id string) string {
	t.Helper()
	out, err := m.DB.(*dynamodb.Client).GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(m.Table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "EMAIL#" + id}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item["status"].(*types.AttributeValueMemberS).Value
}

func TestMailerSendsOnceThroughSES(t *testing.T) {
	e := receipt("fr", "once")
	e.To, e.ID = "once-only@example.org", "receipt_once_only"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	env := emulator.Get(t)
	for i := 0; i < 3; i++ { // the stream may deliver a record again
		res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(res.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d: %v %v", i, err, res.BatchItemFailures)
		}
	}
	sent := env.SentEmails(t, "once-only@example.org")
	if len(sent) != 1 || sent[0].Subject != "Reçu de votre don — Campagne financière 2024" || sent[0].Source != "appeal@solidarity.example" {
		t.Fatalf("sent %+v", sent)
	}
	if got := status(t, m, e.ID); got != outbox.StatusSent {
		t.Fatalf("status %s", got)
	}
}

func TestMailerIgnoresOtherRecords(t *testing.T) {
	e := receipt("en", "once")
	e.To, e.ID = "ignored@example.org", "receipt_ignored"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	modify := rec
	modify.EventName = "MODIFY"
	other := rec
	other.Change.NewImage = map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("donation")}
	res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{modify, other}})
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("%v %v", err, res.BatchItemFailures)
	}
	if n := len(emulator.Get(t).SentEmails(t, "ignored@example.org")); n != 0 {
		t.Fatalf("%d sent", n)
	}
}

func TestMailerReportsFailuresAndReleasesTheEmail(t *testing.T) {
	e := receipt("en", "once")
	e.To, e.ID = "rejected@example.org", "receipt_rejected"
	// moto rejects a sender with no verified identity, as SES does.
	m, rec, _ := mailerOn(t, "nobody@unverified.example", e)
	res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	if err != nil || len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "100" {
		t.Fatalf("%v %+v", err, res)
	}
	if got := status(t, m, e.ID); got != outbox.StatusPending {
		t.Fatalf("status %s, want pending so a retry can send it", got)
	}
}
