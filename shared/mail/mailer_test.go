package mail

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
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
			msg, err := Render(receipt(tt.lang, tt.freq), organization.Identity{})
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
	if _, err := Render(outbox.Email{Template: "no_such", Language: "en"}, organization.Identity{}); err == nil {
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
	item, err := dynamo.EmailItem(e)
	if err != nil {
		t.Fatal(err)
	}
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
	store := dynamo.New(db, table)
	m := Mailer{Outbox: store, Suppressions: store, SES: ses, From: from, Now: time.Now}
	return m, rec, table
}

func status(t *testing.T, m Mailer, id string) string {
	t.Helper()
	store := m.Outbox.(*dynamo.Store)
	out, err := store.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(store.Table),
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
	if len(sent) != 1 || sent[0].Subject != "Reçu de votre don — Campagne financière 2024" || sent[0].Source != organization.Default().From(i18n.FR, "appeal@solidarity.example") {
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

// recordingSES passes each email on to moto's SES and keeps what was asked of it, since
// moto does not keep headers.
type recordingSES struct {
	SES
	sent []*sesv2.SendEmailInput
}

func (r *recordingSES) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	r.sent = append(r.sent, in)
	return r.SES.SendEmail(ctx, in, opts...)
}

var tokenURL = regexp.MustCompile(`https://api\.example\.org(/[a-z/]+)\?token=([A-Za-z0-9_-]{43})`)

// TestMailerMintsLinks: secret links are minted at sending and stored as hashes; a news
// email carries the unsubscribe link in its body and RFC 8058 one-click headers.
func TestMailerMintsLinks(t *testing.T) {
	ctx := context.Background()
	news := outbox.Email{ID: "member_welcome_mem_1", Template: outbox.MemberWelcome, Language: "fr", To: "news@example.org",
		News: true, Status: outbox.StatusPending, Data: map[string]string{"first_name": "Éloïse", "branch_name": "Section de Montréal",
			"branch_contact": "montreal@solidarity.example"}}
	m, _, _ := mailerOn(t, "appeal@solidarity.example", news)
	rec := &recordingSES{SES: m.SES}
	m.SES, m.PublicURL = rec, "https://api.example.org"
	if err := m.Send(ctx, dynamo.EmailKey(news.ID), news); err != nil {
		t.Fatal(err)
	}
	store := m.Outbox.(*dynamo.Store)
	in := rec.sent[0]
	text := aws.ToString(in.Content.Simple.Body.Text.Data)
	found := tokenURL.FindStringSubmatch(text)
	if found == nil || found[1] != "/unsubscribe" || !strings.Contains(text, "désabonnez-vous ici : "+found[0]) {
		t.Fatalf("no unsubscribe link in the text:\n%s", text)
	}
	if html := aws.ToString(in.Content.Simple.Body.Html.Data); !strings.Contains(html, `<a href="`+found[0]+`" style="color:`+organization.Default().Accent()+`">`) {
		t.Fatalf("the HTML link is not clickable:\n%s", html)
	}
	headers := map[string]string{}
	for _, h := range in.Content.Simple.Headers {
		headers[aws.ToString(h.Name)] = aws.ToString(h.Value)
	}
	if headers["List-Unsubscribe"] != "<"+found[0]+">" || headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers %v", headers)
	}
	tok, err := store.Token(ctx, token.Hash(found[2]))
	if err != nil || tok.Purpose != token.Unsubscribe || tok.Subject != "news@example.org" || tok.Language != "fr" ||
		tok.Expired(time.Now().Add(399*24*time.Hour)) || !tok.Expired(time.Now().Add(401*24*time.Hour)) {
		t.Fatalf("stored token %+v %v", tok, err)
	}
	if n := len(emulator.Get(t).SentEmails(t, "news@example.org")); n != 1 {
		t.Fatalf("moto has %d emails", n)
	}

	// A confirmation: its own link, and no unsubscribe headers (not news).
	confirm := outbox.Email{ID: "member_confirm_mem_2_1", Template: outbox.MemberConfirm, Language: "en", To: "join@example.org",
		Status: outbox.StatusPending, Data: map[string]string{"first_name": "Ana", "branch_name": "Toronto branch"},
		Links: []outbox.Link{{Name: "confirm_url", Purpose: token.Confirm, Path: "/members/confirm", Subject: "join@example.org", TTLSecs: 3600}}}
	item, _ := attributevalue.MarshalMap(confirm)
	item["pk"], item["sk"] = &types.AttributeValueMemberS{Value: "EMAIL#" + confirm.ID}, &types.AttributeValueMemberS{Value: "META"}
	if _, err := store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(store.Table), Item: item}); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, dynamo.EmailKey(confirm.ID), confirm); err != nil {
		t.Fatal(err)
	}
	in = rec.sent[1]
	text = aws.ToString(in.Content.Simple.Body.Text.Data)
	found = tokenURL.FindStringSubmatch(text)
	if found == nil || found[1] != "/members/confirm" || len(in.Content.Simple.Headers) != 0 || strings.Contains(text, "unsubscribe") {
		t.Fatalf("confirmation:\n%s\nheaders %v", text, in.Content.Simple.Headers)
	}
	if tok, err := store.Token(ctx, token.Hash(found[2])); err != nil || tok.Purpose != token.Confirm || tok.Subject != "join@example.org" {
		t.Fatalf("stored token %+v %v", tok, err)
	}
}

// TestEveryTemplateRendersInBothLanguages renders each template with the data its writer
// gives, and fails on a missing value or an English word left in French.
func TestEveryTemplateRendersInBothLanguages(t *testing.T) {
	member := map[string]string{"first_name": "Éloïse", "branch_name": "Section de Montréal", "branch_contact": "montreal@solidarity.example",
		"confirm_url": "https://api.example.org/members/confirm?token=x"}
	notice := map[string]string{"member_name": "Éloïse Bergeron", "email": "eloise@example.org", "phone": "", "city": "Montréal",
		"province": "QC", "postal_code": "H2X 1Y4", "member_language": "fr", "confirmed_at": "2026-11-27T12:00:00Z",
		"routed_by": "postal_code", "news": "false", "message": "", "branch_name": "Section de Montréal"}
	planData := map[string]string{"first_name": "Ana", "plan_name": "Abonnement de solidarité", "kind": "subscription",
		"interval": "year", "amount_cents": "6000", "currency_upper": "CAD", "mailed": "true",
		"paid_through": "2027-01-15T00:00:00Z", "receipt_number": "SOL-2026-in_1", "period_start": "2026-01-15T00:00:00Z",
		"period_end": "2027-01-15T00:00:00Z", "renews_on": "2027-01-15T00:00:00Z", "portal_url": "https://api.example.org/portal?token=x"}
	duesData := map[string]string{"kind": "dues", "mailed": "false", "interval": "month"}
	for k, v := range planData {
		if _, set := duesData[k]; !set {
			duesData[k] = v
		}
	}
	moved := map[string]string{"moved": "true", "routed_by": "staff"}
	for k, v := range notice {
		if _, set := moved[k]; !set {
			moved[k] = v
		}
	}
	cases := map[string]map[string]string{
		outbox.DonationReceipt: receipt("en", "once").Data,
		outbox.DonationFailed:  {"first_name": "Ana", "campaign_title": "Appeal", "amount_cents": "2500", "retry_url": "https://x.example/"},
		outbox.MemberConfirm:   member, outbox.MemberWelcome: member, outbox.MemberAlready: member,
		outbox.BranchNotice: notice, outbox.BranchNotice + "/moved": moved,
		outbox.PlanWelcome: planData, outbox.PlanWelcome + "/dues": duesData, outbox.PlanReceipt: planData,
		outbox.PlanReceipt + "/dues": duesData, outbox.PlanPaymentFailed: planData, outbox.PlanRenewalReminder: planData,
		outbox.PlanLapsed: planData, outbox.PortalLink: planData,
		outbox.DonationPaymentFailed: {"first_name": "Ana", "campaign_title": "Appeal", "amount_cents": "1000", "portal_url": "https://x.example/portal?token=y"},
		outbox.DonationEnded:         {"first_name": "Ana", "campaign_title": "Appeal", "amount_cents": "1000"},
		outbox.NewsConfirm:           {"confirm_url": "https://api.example.org/news/confirm?token=x"},
	}
	for name, data := range cases {
		for _, lang := range []string{"en", "fr"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				tmpl, _, _ := strings.Cut(name, "/")
				msg, err := Render(outbox.Email{Template: tmpl, Language: lang, Data: data}, organization.Identity{})
				if err != nil {
					t.Fatal(err)
				}
				all := msg.Subject + "\n" + msg.Text
				if msg.Subject == "" || strings.Contains(all, "<no value>") {
					t.Fatalf("%q\n%s", msg.Subject, msg.Text)
				}
				if lang == "fr" {
					for _, en := range []string{" the ", "Hello", "Dear", "Thank you", " your "} {
						if strings.Contains(all, en) {
							t.Errorf("French email has %q:\n%s", en, all)
						}
					}
				}
			})
		}
	}
}

// lossy is m with its store's DynamoDB calls going through a lossyDB.
func lossy(m Mailer, lose string) Mailer {
	store := *m.Outbox.(*dynamo.Store)
	store.DB = &lossyDB{DB: store.DB, lose: lose, times: 1}
	m.Outbox = &store
	return m
}

// lossyDB applies each call, but loses the answer of the first calls whose update
// expression contains lose, as a timeout after the service acted would.
type lossyDB struct {
	dynamo.DB
	lose  string
	times int
}

func (l *lossyDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := l.DB.UpdateItem(ctx, in, opts...)
	if err == nil && l.times > 0 && strings.Contains(aws.ToString(in.UpdateExpression), l.lose) {
		l.times--
		return nil, errors.New("answer lost")
	}
	return out, err
}

// TestMailerLostAnswers: when the claim's answer is lost, the retry of the same stream
// record takes its own claim up and sends (the email is neither lost nor held for the
// claim timeout); when marking sent loses its answer, the mailer tries again and the
// email goes out once. Another sender's live claim is reported, not skipped, so the
// stream retries the record.
func TestMailerLostAnswers(t *testing.T) {
	for _, lose := range []string{"claimant = :me", ":sent"} {
		e := receipt("en", "once")
		e.To, e.ID = "lost-"+strings.Fields(lose)[0][1:]+"@example.org", "receipt_lost_"+strings.Fields(lose)[0][1:]
		m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
		plain := m
		m = lossy(m, lose)
		rec.EventID = "evt-" + e.ID
		for i := 0; i < 3; i++ {
			if _, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(emulator.Get(t).SentEmails(t, e.To)); n != 1 {
			t.Errorf("%s lost: %d emails sent, want 1", lose, n)
		}
		if got := status(t, plain, e.ID); got != outbox.StatusSent {
			t.Errorf("%s lost: status %s", lose, got)
		}
	}

	// A claim applied whose answer never comes back, even on the SDK's retry, is given
	// up at once: the email is pending again, for the stream's next try or a redrive.
	e := receipt("en", "once")
	e.To, e.ID = "lost-claim@example.org", "receipt_lost_claim"
	m, rec, _ := mailerOn(t, "appeal@solidarity.example", e)
	plain := m
	m = lossy(m, "claimant = :me")
	rec.EventID = "evt-lost-claim"
	if res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil || len(res.BatchItemFailures) != 1 {
		t.Fatalf("a claim with no answer was acknowledged: %v %+v", err, res)
	}
	if got := status(t, plain, e.ID); got != outbox.StatusPending {
		t.Errorf("after a claim with no answer: status %s, want pending", got)
	}

	e = receipt("en", "once")
	e.To, e.ID = "held@example.org", "receipt_held"
	m, rec, _ = mailerOn(t, "appeal@solidarity.example", e)
	rec.EventID = "evt-held"
	if ok, err := m.claim(context.Background(), dynamo.EmailKey(e.ID), "another-mailer"); !ok || err != nil {
		t.Fatalf("claim %v %v", ok, err)
	}
	res, err := m.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
	if err != nil || len(res.BatchItemFailures) != 1 {
		t.Fatalf("a record held by another sender was acknowledged: %v %+v", err, res)
	}
	// A redrive neither takes a live claim nor counts the email as done.
	r, err := m.Redrive(context.Background(), 0)
	if err != nil || r != (Redriven{Held: 1}) {
		t.Fatalf("redrive of a held email: %+v %v", r, err)
	}
	if n := len(emulator.Get(t).SentEmails(t, e.To)); n != 0 {
		t.Fatalf("%d sent", n)
	}
}
