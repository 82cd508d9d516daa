package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/token"
)

func init() { emulator.Logs.Personal("Ozymandias", "Strangeways") }

// askNews posts a donation for email with the news box ticked, from the organization's
// own donation page (the Referer a browser sends), by a donor named first last.
func (s *stack) askNews(email, first, last string) {
	s.t.Helper()
	res := s.postJSON("/donations", map[string]any{
		"campaign": localdev.AppealSlug, "amount_cents": 2500, "frequency": "once", "first_name": first,
		"last_name": last, "email": email, "language": "fr", "consent_updates": true,
	}, map[string]string{"Origin": allowed, "Referer": allowed + "/donner"})
	if res.status != http.StatusCreated {
		s.t.Fatalf("POST /donations: %d %s", res.status, res.body)
	}
}

// optOut makes email unsubscribed, with the button of a news email's link, an hour and
// more ago: too long ago for that link's way back.
func (s *stack) optOut(email string) {
	s.t.Helper()
	if res := s.press(s.newsLink(email)); res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes désabonné·e") {
		s.t.Fatalf("unsubscribe: %d\n%s", res.status, res.body)
	}
	s.ageWithdrawal(email, time.Now().Add(-consent.UndoWindow-time.Minute))
	if st, ok := s.newsState(email); !ok || st.Subscribed {
		s.t.Fatalf("%s is not unsubscribed: %+v", email, st)
	}
}

// newsRequestMarker is the item that holds back a second news-confirm email to email.
func (s *stack) newsRequestMarker(email string) (map[string]types.AttributeValue, bool) {
	s.t.Helper()
	out, err := s.env.DB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table),
		Key: dynamo.NewsRequestKey(email), ConsistentRead: aws.Bool(true)})
	if err != nil {
		s.t.Fatal(err)
	}
	return out.Item, out.Item != nil
}

// TestNewsAgainAfterOptOut: against the emulators, a person who unsubscribed can opt in
// again, only with the button of a link emailed to them. A form's news box for their
// address sends one "confirm" email (at most one a day) and changes nothing; following
// its link changes nothing; its button subscribes them, once, with a grant record that
// names the form's page. A stranger's form for someone who opted out sends the email, with
// nothing the stranger typed, and changes nothing until the person presses the button.
func TestNewsAgainAfterOptOut(t *testing.T) {
	s := newStack(t, true)
	const email = "news-again@example.org"
	s.newsMember(email) // the confirmation and the welcome: 2 emails
	s.optOut(email)
	before, _ := s.newsState(email)
	records := len(s.consentRecords(email))

	var confirm string
	t.Run("a donation with the news box sends one email asking to confirm, and changes nothing", func(t *testing.T) {
		s.askNews(email, "Élise", "Tremblay")
		sent := s.waitEmails(email, 3)
		if !strings.Contains(sent[2].Subject, "Confirmez que vous voulez de nouveau nos nouvelles") {
			t.Fatalf("subject %q\n%s", sent[2].Subject, sent[2].Body)
		}
		confirm = link(t, sent[2], "/news/confirm")
		if strings.Contains(sent[2].Body, "Élise") || strings.Contains(sent[2].Body, "Tremblay") {
			t.Errorf("the email holds typed text:\n%s", sent[2].Body)
		}
		if st, _ := s.newsState(email); st != before || s.member(email).News {
			t.Errorf("the form changed the state: %+v", st)
		}
		recs := s.consentRecords(email)
		if len(recs) != records+1 || recs[len(recs)-1].Source != "donation_form" || !recs[len(recs)-1].Granted {
			t.Errorf("consent records %+v", recs)
		}
		if _, ok := s.newsRequestMarker(email); !ok {
			t.Error("no marker holds back a second email")
		}
	})

	t.Run("a second donation with the box within a day sends no second email", func(t *testing.T) {
		s.askNews(email, "Élise", "Tremblay")
		s.waitEmails(email, 3)
		if st, _ := s.newsState(email); st != before {
			t.Errorf("state %+v", st)
		}
	})

	t.Run("following the link changes nothing", func(t *testing.T) {
		recs := len(s.consentRecords(email))
		s.scan(confirm)
		page := s.open(http.MethodGet, confirm)
		if !strings.Contains(string(page.body), "Recevoir de nouveau nos nouvelles") || !strings.Contains(string(page.body), "Oui, envoyez-moi vos nouvelles") {
			t.Errorf("the link's page:\n%s", page.body)
		}
		if st, _ := s.newsState(email); st != before || s.member(email).News || len(s.consentRecords(email)) != recs || s.tokenUsed(confirm) {
			t.Errorf("a GET changed something: state %+v", st)
		}
	})

	t.Run("the button subscribes again, once, with a grant naming the form's page", func(t *testing.T) {
		recs := len(s.consentRecords(email))
		page := s.open(http.MethodGet, confirm) // kept open: its button is pressed twice
		res := s.press(confirm)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes de nouveau abonné·e") {
			t.Fatalf("the button: %d\n%s", res.status, res.body)
		}
		st, _ := s.newsState(email)
		all := s.consentRecords(email)
		if !st.Subscribed || st.Source != consent.SourceNewsConfirm || !s.member(email).News || len(all) != recs+1 || !s.tokenUsed(confirm) {
			t.Fatalf("after the button: state %+v, records %+v", st, all)
		}
		g := all[len(all)-1]
		if !g.Granted || g.Source != "news_reconfirm" || g.FormURL != allowed+"/donner" || g.Language != "fr" ||
			g.Version != consent.NewsConfirmVersion || !strings.Contains(g.Wording, "Oui, envoyez-moi vos nouvelles") {
			t.Errorf("the grant %+v", g)
		}
		again := s.pressOn(confirm, page)
		if again.status != http.StatusOK || !strings.Contains(string(again.body), "Vous êtes de nouveau abonné·e") {
			t.Errorf("a second press: %d\n%s", again.status, again.body)
		}
		if later := s.open(http.MethodGet, confirm); later.status != http.StatusOK || strings.Contains(string(later.body), "<form") ||
			!strings.Contains(string(later.body), "Vous êtes de nouveau abonné·e") {
			t.Errorf("the link once subscribed: %d\n%s", later.status, later.body)
		}
		if now, _ := s.newsState(email); now != st || len(s.consentRecords(email)) != recs+1 {
			t.Errorf("a second press changed something: %+v", now)
		}
		// Subscribed again, a form's news box sends nothing more.
		s.askNews(email, "Élise", "Tremblay")
		s.waitEmails(email, 3)
	})

	const victim = "opted-out@example.org"
	var stranger string
	t.Run("a stranger's donation for someone who opted out sends the email and changes nothing", func(t *testing.T) {
		s.optOut(victim)
		was, _ := s.newsState(victim)
		s.askNews(victim, "Ozymandias", "Strangeways")
		sent := s.waitEmails(victim, 1)
		for _, typed := range []string{"Ozymandias", "Strangeways"} {
			if strings.Contains(sent[0].Body, typed) || strings.Contains(sent[0].Subject, typed) {
				t.Errorf("the email holds the stranger's %q:\n%s", typed, sent[0].Body)
			}
		}
		stranger = link(t, sent[0], "/news/confirm")
		if st, _ := s.newsState(victim); st != was {
			t.Errorf("the stranger's form changed the state: %+v", st)
		}
	})

	t.Run("the subscription form's news box asks the same way", func(t *testing.T) {
		const subscriber = "opted-out-reader@example.org"
		s.optOut(subscriber)
		was, _ := s.newsState(subscriber)
		res := s.postJSON("/subscriptions", map[string]any{"plan": "solidarity-monthly", "first_name": "Nora", "last_name": "Kasongo",
			"email": subscriber, "language": "en", "consent_updates": true}, map[string]string{"Origin": allowed, "Referer": allowed + "/subscribe"})
		if res.status != http.StatusCreated {
			t.Fatalf("POST /subscriptions: %d %s", res.status, res.body)
		}
		sent := s.waitEmails(subscriber, 1)
		if sent[0].Subject != "Confirm you want our news again" || strings.Contains(sent[0].Body, "Nora") {
			t.Errorf("%q\n%s", sent[0].Subject, sent[0].Body)
		}
		link(t, sent[0], "/news/confirm")
		if st, _ := s.newsState(subscriber); st != was {
			t.Errorf("the form changed the state: %+v", st)
		}
	})

	t.Run("privacy find reaches the link's token and the marker", func(t *testing.T) {
		held, err := s.sys.Store.Find(context.Background(), dynamo.Query{Email: victim})
		if err != nil {
			t.Fatal(err)
		}
		var marker, tok bool
		for _, f := range held.Items {
			switch {
			case dynamo.ItemType(f.Item) == dynamo.TypeNewsRequest:
				marker = f.Action == dynamo.ActionDelete
			case dynamo.ItemType(f.Item) == dynamo.TypeToken:
				if p, ok := f.Item["purpose"].(*types.AttributeValueMemberS); ok && p.Value == token.NewsConfirm {
					tok = f.Action == dynamo.ActionDelete
				}
			}
		}
		if !marker || !tok {
			t.Errorf("find: marker %v, token %v, in %d items", marker, tok, len(held.Items))
		}
	})

	t.Run("once a day has passed, a form may ask again; the button then subscribes", func(t *testing.T) {
		if _, err := s.env.DB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
			TableName: aws.String(s.table), Key: dynamo.NewsRequestKey(victim),
			UpdateExpression:          aws.String("SET sent_at = :at"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberN{Value: "1000000000"}},
		}); err != nil {
			t.Fatal(err)
		}
		s.askNews(victim, "Ozymandias", "Strangeways")
		s.waitEmails(victim, 2)
		if st, _ := s.newsState(victim); st.Subscribed {
			t.Fatalf("state %+v", st)
		}
		if res := s.press(stranger); res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes de nouveau abonné·e") {
			t.Fatalf("the button: %d\n%s", res.status, res.body)
		}
		if st, _ := s.newsState(victim); !st.Subscribed || st.Source != consent.SourceNewsConfirm {
			t.Errorf("state %+v", st)
		}
	})
}
