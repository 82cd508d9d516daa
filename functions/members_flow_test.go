package functions_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/organization"
)

func init() {
	emulator.Logs.Personal("Rosalie", "Gagnon", "1200 avenue du Mont-Royal Est", "5145550142")
}

// TestMembershipUnderTheEmulator invokes the signup and unsubscribe bootstraps with
// recorded API Gateway events, and the mailer with the stream records of the emails they
// owe: join in French, confirm by the emailed link's button, unsubscribe by one-click POST.
func TestMembershipUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	store := dynamo.New(s.env.DB(), s.table)
	if err := localdev.LoadBranches(ctx, store, filepath.Join(emulator.Root(), "infra", "branches.csv")); err != nil {
		t.Fatal(err)
	}
	bins := bootstraps(t)
	run := func(fn string) *rie { return startRIE(t, filepath.Join(bins, fn, "bootstrap"), s.vars) }
	signup, mailer, unsub := run("signup"), run("mailer"), run("unsubscribe")

	res := decodeHTTP(t, signup.invoke(t, recorded(t, "members-post.json")))
	if res.StatusCode != 202 || !strings.HasPrefix(res.Body, `{"status":"pending_confirmation","notice":"`) || res.Headers["Access-Control-Allow-Origin"] != "https://don.example.org" {
		t.Fatalf("POST /members: %+v", res)
	}
	m, err := store.Member(ctx, "rosalie.rie@example.org")
	if err != nil || m.Branch != "montreal" || m.Phone != "+15145550142" {
		t.Fatalf("member %+v %v", m, err)
	}

	// The mailer sends the confirmation, minting its link.
	send := func(template string) {
		t.Helper()
		var batch struct {
			BatchItemFailures []any `json:"batchItemFailures"`
		}
		out := mailer.invoke(t, streamEvent(t, s, template))
		if err := json.Unmarshal(out, &batch); err != nil || len(batch.BatchItemFailures) != 0 {
			t.Fatalf("mailer: %s %v", out, err)
		}
	}
	send("member_confirm")
	sent := s.env.SentEmails(t, "rosalie.rie@example.org")
	if len(sent) != 1 || sent[0].Subject != organization.Default().Name.FR+" : confirmez votre adhésion" {
		t.Fatalf("sent %+v", sent)
	}
	secret := regexp.MustCompile(`https://don\.example\.org/members/confirm\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(sent[0].Body)
	if secret == nil {
		t.Fatalf("no link:\n%s", sent[0].Body)
	}

	// Opening the link shows its button and changes nothing; the button's post confirms.
	res = decodeHTTP(t, signup.invoke(t, withToken(t, "members-confirm-get.json", secret[1])))
	if res.StatusCode != 200 || !strings.Contains(res.Body, `name="token" value="`+secret[1]+`"`) || res.Headers["Referrer-Policy"] != "same-origin" {
		t.Fatalf("the link's page: %+v", res)
	}
	if m, _ := store.Member(ctx, "rosalie.rie@example.org"); m.Status != "pending" {
		t.Fatalf("after opening the link %+v", m)
	}
	res = decodeHTTP(t, signup.invoke(t, withToken(t, "members-confirm-post.json", secret[1])))
	if res.StatusCode != 200 || !strings.Contains(res.Body, "Section de Montréal") || res.Headers["Cache-Control"] != "no-store" {
		t.Fatalf("confirm: %+v", res)
	}
	if m, _ := store.Member(ctx, "rosalie.rie@example.org"); m.Status != "active" || !m.News {
		t.Fatalf("after confirming %+v", m)
	}

	// The welcome carries the unsubscribe link; a mail client's one-click POST uses it.
	send("member_welcome")
	sent = s.env.SentEmails(t, "rosalie.rie@example.org")
	unsubSecret := regexp.MustCompile(`https://don\.example\.org/unsubscribe\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(sent[len(sent)-1].Body)
	if len(sent) != 2 || unsubSecret == nil {
		t.Fatalf("welcome %+v", sent)
	}
	for i := 0; i < 2; i++ {
		res = decodeHTTP(t, unsub.invoke(t, withToken(t, "unsubscribe-post.json", unsubSecret[1])))
		if res.StatusCode != 200 || !strings.Contains(res.Body, "désabonné") {
			t.Fatalf("unsubscribe %d: %+v", i+1, res)
		}
	}
	if m, _ := store.Member(ctx, "rosalie.rie@example.org"); m.News {
		t.Fatal("still subscribed to news")
	}
}

// withToken is a recorded event with its token=TOKEN query replaced.
func withToken(t *testing.T, name, token string) []byte {
	t.Helper()
	return []byte(strings.ReplaceAll(string(recorded(t, name)), "token=TOKEN", "token="+token))
}

// streamEvent is the DynamoDB stream event Lambda would deliver for the outbox email of
// template in s's table (its first, if several).
func streamEvent(t *testing.T, s *stack, template string) []byte {
	t.Helper()
	out, err := s.env.DB().Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		FilterExpression:          aws.String("#t = :t AND template = :tmpl"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: "email"}, ":tmpl": &types.AttributeValueMemberS{Value: template}},
	})
	if err != nil || len(out.Items) == 0 {
		t.Fatalf("no %s email in the outbox: %v", template, err)
	}
	img := map[string]events.DynamoDBAttributeValue{}
	for k, v := range out.Items[0] {
		img[k] = eventValue(v)
	}
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventID: "1", EventName: "INSERT", EventSource: "aws:dynamodb", AWSRegion: "ca-central-1",
		Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"pk": img["pk"], "sk": img["sk"]},
			NewImage: img, SequenceNumber: "4200000000000000000001", StreamViewType: "NEW_IMAGE"},
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func eventValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberM:
		m := map[string]events.DynamoDBAttributeValue{}
		for k, e := range v.Value {
			m[k] = eventValue(e)
		}
		return events.NewMapAttribute(m)
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = eventValue(e)
		}
		return events.NewListAttribute(l)
	}
	return events.NewNullAttribute()
}
