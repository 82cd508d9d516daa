package e2e

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/token"
)

// newsMember makes email an active member who agreed to news, and returns the unsubscribe
// link of their welcome.
func (s *stack) newsMember(email string) string {
	s.t.Helper()
	s.join(joiner(email, nil))
	s.press(link(s.t, s.waitEmails(email, 1)[0], "/members/confirm"))
	unsub := link(s.t, s.waitEmails(email, 2)[1], "/unsubscribe")
	if st, ok := s.newsState(email); !ok || !st.Subscribed || !s.member(email).News {
		s.t.Fatalf("%s is not subscribed: %+v", email, st)
	}
	return unsub
}

// ageWithdrawal moves the time of email's news state back to at, as if the withdrawal
// had been made then.
func (s *stack) ageWithdrawal(email string, at time.Time) {
	s.t.Helper()
	av, err := attributevalue.Marshal(at)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.env.DB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: dynamo.NewsKey(email),
		UpdateExpression:          aws.String("SET changed_at = :at"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": av},
	}); err != nil {
		s.t.Fatalf("age the withdrawal: %v", err)
	}
}

// undo posts the way back's button for link, from the API's own page, as a browser does
// (or as someone holding a forwarded email, who saved the page, does).
func (s *stack) undo(link string) response {
	s.t.Helper()
	raw := link[strings.Index(link, "token=")+len("token="):]
	return s.do(http.MethodPost, "/unsubscribe/undo", "application/x-www-form-urlencoded", url.Values{"token": {raw}}.Encode(),
		map[string]string{"Origin": s.url, "Referer": s.url + "/unsubscribe"})
}

// TestUnsubscribeWayBackIsTheLinksOwn: against the emulators, only the RFC 8058 body or
// the page's button unsubscribes (a scanner's bare POST changes nothing), following the
// link again says the person is unsubscribed, and the way back undoes only the link's
// own recent withdrawal: a forwarded news email cannot re-grant an old opt-out.
func TestUnsubscribeWayBackIsTheLinksOwn(t *testing.T) {
	s := newStack(t, true)
	const email = "forwarded@example.org"
	unsub := s.newsMember(email)
	raw := unsub[strings.Index(unsub, "token=")+len("token="):]
	records := len(s.consentRecords(email))

	t.Run("a scanner's POST to the List-Unsubscribe address changes nothing", func(t *testing.T) {
		for _, body := range []struct{ contentType, body string }{
			{"", ""},
			{"application/x-www-form-urlencoded", ""},
			{"application/x-www-form-urlencoded", "unsubscribe=1"},
			{"application/x-www-form-urlencoded", "List-Unsubscribe=One-Click&x=1"},
			{"application/json", `{"List-Unsubscribe":"One-Click"}`},
		} {
			res := s.do(http.MethodPost, strings.TrimPrefix(unsub, s.url), body.contentType, body.body, nil)
			if res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous désabonner de nos nouvelles") {
				t.Fatalf("%q: %d\n%s", body.body, res.status, res.body)
			}
		}
		if st, _ := s.newsState(email); !st.Subscribed || !s.member(email).News || len(s.consentRecords(email)) != records {
			t.Fatalf("after the scanner: state %+v, consent %+v", st, s.consentRecords(email))
		}
	})

	t.Run("the RFC 8058 body unsubscribes, and following the link again says so", func(t *testing.T) {
		res := s.oneClick(unsub)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes désabonné·e") {
			t.Fatalf("one-click: %d\n%s", res.status, res.body)
		}
		st, _ := s.newsState(email)
		if st.Subscribed || st.Source != consent.SourceOneClick || st.SourceID != token.Hash(raw)[:16] || s.member(email).News ||
			len(s.consentRecords(email)) != records+1 {
			t.Fatalf("after one-click: state %+v, consent %+v", st, s.consentRecords(email))
		}
		for _, c := range []struct{ path, action string }{
			{strings.TrimPrefix(unsub, s.url), "unsubscribe/undo"},
			{"/unsubscribe/undo?token=" + raw, "../unsubscribe/undo"}, // from a browser's history
		} {
			page := s.do(http.MethodGet, c.path, "", "", nil)
			body := string(page.body)
			if page.status != http.StatusOK || !strings.Contains(body, "<h1>Vous êtes désabonné·e</h1>") ||
				strings.Contains(body, "Vous désabonner de nos nouvelles") || !strings.Contains(body, `action="`+c.action+`"`) {
				t.Fatalf("GET %s: %d\n%s", c.path, page.status, body)
			}
		}
		if noToken := s.do(http.MethodGet, "/unsubscribe/undo", "", "", map[string]string{"Accept-Language": "fr"}); noToken.status != http.StatusNotFound ||
			!strings.HasPrefix(noToken.header.Get("Content-Type"), "text/html") || !strings.Contains(string(noToken.body), "Ce lien de désabonnement n’est pas valide") {
			t.Fatalf("GET /unsubscribe/undo: %d %s\n%s", noToken.status, noToken.header.Get("Content-Type"), noToken.body)
		}
		if now, _ := s.newsState(email); now != st || len(s.consentRecords(email)) != records+1 {
			t.Fatalf("a GET changed the state: %+v", now)
		}
	})

	t.Run("once the withdrawal is old, the way back refuses and changes nothing", func(t *testing.T) {
		s.ageWithdrawal(email, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
		before, _ := s.newsState(email)
		recs := s.consentRecords(email)
		res := s.undo(unsub)
		if res.status != http.StatusGone || !strings.Contains(string(res.body), "Ce lien ne peut plus vous réabonner") ||
			!strings.Contains(string(res.body), "cochez la case des nouvelles") || strings.Contains(string(res.body), "<form") {
			t.Fatalf("the way back: %d\n%s", res.status, res.body)
		}
		if after, _ := s.newsState(email); after != before || s.member(email).News || !reflect.DeepEqual(s.consentRecords(email), recs) {
			t.Fatalf("after the way back: state %+v (was %+v), consent %+v", after, before, s.consentRecords(email))
		}
		// The link's page says the person is unsubscribed, without the way back.
		page := s.open(http.MethodGet, unsub)
		if page.status != http.StatusOK || !strings.Contains(string(page.body), "<h1>Vous êtes désabonné·e</h1>") ||
			strings.Contains(string(page.body), "<form") || !strings.Contains(string(page.body), "cochez la case des nouvelles") {
			t.Fatalf("the link's page: %d\n%s", page.status, page.body)
		}
		// Pressing the unsubscribe button again changes nothing either.
		if again := s.postForm("/unsubscribe", url.Values{"token": {raw}}, map[string]string{"Origin": s.url}); again.status != http.StatusOK ||
			strings.Contains(string(again.body), "<form") || len(s.consentRecords(email)) != len(recs) {
			t.Fatalf("the button again: %d\n%s", again.status, again.body)
		}
	})

	t.Run("a recent withdrawal by another news email's link is not this link's to undo", func(t *testing.T) {
		const other = "two-links@example.org"
		first := s.newsMember(other)
		// A second news email, with its own link, as a later news email would carry.
		second := s.newsLink(other)
		if res := s.press(second); res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes désabonné·e") {
			t.Fatalf("the second link's button: %d\n%s", res.status, res.body)
		}
		before, _ := s.newsState(other)
		if res := s.undo(first); res.status != http.StatusGone {
			t.Fatalf("the first link's way back: %d\n%s", res.status, res.body)
		}
		if after, _ := s.newsState(other); after != before || after.Subscribed {
			t.Fatalf("state %+v, was %+v", after, before)
		}
		// The link that unsubscribed may still undo it, at once.
		if res := s.undo(second); res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes de nouveau abonné·e") {
			t.Fatalf("the second link's way back: %d\n%s", res.status, res.body)
		}
		if st, _ := s.newsState(other); !st.Subscribed || !s.member(other).News {
			t.Fatalf("state %+v", st)
		}
	})
}

// newsLink mints another unsubscribe link for email, as the mailer does for each news
// email, and returns it.
func (s *stack) newsLink(email string) string {
	s.t.Helper()
	raw, tok := token.Mint(token.Unsubscribe, email, "fr", time.Now(), token.UnsubscribeTTL)
	if err := s.sys.Store.PutToken(context.Background(), tok); err != nil {
		s.t.Fatal(err)
	}
	return s.url + "/unsubscribe?token=" + raw
}
