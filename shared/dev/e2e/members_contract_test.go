package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/token"
)

func init() {
	// Names and streets the member tests send: none may reach a log line.
	emulator.Logs.Personal("Éloïse", "Bergeron", "Kwame", "Asante", "Maëlle", "Okonkwo-Roy", "4321 rue Saint-Denis", "5145550199")
}

// joiner is a person who signs up, with the fields docs/api.md lists.
func joiner(email string, overrides map[string]any) map[string]any {
	body := map[string]any{
		"first_name": "Éloïse", "last_name": "Bergeron", "email": email, "phone": "(514) 555-0199",
		"address":  map[string]any{"line1": "4321 rue Saint-Denis", "city": "Montréal", "province": "qc", "postal_code": "h2x1y4"},
		"language": "fr", "consent_updates": true, "message": "Pour la justice sociale.\nEt le journal !",
	}
	for k, v := range overrides {
		body[k] = v
	}
	return body
}

func (s *stack) join(body map[string]any) response {
	s.t.Helper()
	res := s.postJSON("/members", body, map[string]string{"Referer": allowed + "/fr/adherer", "User-Agent": "TestBrowser/1.0"})
	// The same answer whatever the address's state: the status, and the sealed notice of
	// the post for the "check your inbox" page.
	if got := res.json(s.t); res.status != http.StatusAccepted || len(got) != 2 || got["status"] != "pending_confirmation" || got["notice"] == "" {
		s.t.Fatalf("POST /members: %d %s", res.status, res.body)
	}
	return res
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_-]{43}`)

// link returns the link to path in an email.
func link(t *testing.T, e emulator.SentEmail, path string) string {
	t.Helper()
	for _, l := range linkRE.FindAllString(e.Body, -1) {
		if strings.Contains(l, path+"?token=") {
			return l
		}
	}
	t.Fatalf("no %s link in %q:\n%s", path, e.Subject, e.Body)
	return ""
}

// open follows an emailed link with method and returns the answer.
func (s *stack) open(method, link string) response {
	s.t.Helper()
	return s.do(method, strings.TrimPrefix(link, s.url), "", "", nil)
}

func (s *stack) member(email string) member.Member {
	s.t.Helper()
	m, err := s.sys.Store.Member(context.Background(), email)
	if err != nil {
		s.t.Fatalf("member %s: %v", email, err)
	}
	return m
}

// TestJoinInFrenchInMontreal is the newcomer path: join in French with a Montreal
// postal code, get the French confirmation, open the link, press its button, see the page, get the welcome
// naming the Montreal branch, and the Montreal organizer gets the notice.
func TestJoinInFrenchInMontreal(t *testing.T) {
	s := newStack(t, true)
	s.join(joiner("eloise@example.org", nil))

	m := s.member("eloise@example.org")
	if m.Status != member.StatusPending || m.Branch != "montreal" || m.RoutedBy != "postal_code" ||
		m.Phone != "+15145550199" || m.Address.PostalCode != "H2X 1Y4" || m.Address.Province != "QC" || m.Language != "fr" {
		t.Fatalf("stored %+v", m)
	}
	if exp, want := s.memberExpiry("eloise@example.org"), m.NoticeSentAt.Add(member.PendingRetention).Unix(); exp != want {
		t.Fatalf("a pending signup expires at %d, want %d: 30 days after its link", exp, want)
	}
	mails := s.waitEmails("eloise@example.org", 1)
	confirm := mails[0]
	if confirm.Subject != orgFR+" : confirmez votre adhésion" || !strings.Contains(confirm.Body, "Section de Montréal") {
		t.Fatalf("confirmation %q:\n%s", confirm.Subject, confirm.Body)
	}
	if strings.Contains(confirm.Body, "unsubscribe") {
		t.Fatal("the confirmation is not a news email")
	}
	confirmURL := link(t, confirm, "/members/confirm")
	// Only the hash of the link's secret is stored.
	raw := confirmURL[strings.Index(confirmURL, "token=")+6:]
	for _, it := range append(s.items("token"), s.items("email")...) {
		for _, v := range it {
			if sv, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(sv.Value, raw) {
				t.Fatal("the raw token is stored in the table")
			}
		}
	}

	page := s.press(confirmURL)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "Bienvenue à "+orgFR) ||
		!strings.Contains(string(page.body), "Section de Montréal") || !strings.Contains(string(page.body), `lang="fr"`) {
		t.Fatalf("confirmation page %d:\n%s", page.status, page.body)
	}
	if page.header.Get("Cache-Control") != "no-store" || page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("page headers %v", page.header)
	}
	m = s.member("eloise@example.org")
	if m.Status != member.StatusActive || m.ConfirmedAt == nil || !m.News {
		t.Fatalf("after confirming %+v", m)
	}
	if exp := s.memberExpiry("eloise@example.org"); exp != 0 {
		t.Fatalf("a member expires at %d", exp)
	}

	welcome := s.waitEmails("eloise@example.org", 2)[1]
	if !strings.HasPrefix(welcome.Subject, orgFR+" : bienvenue") || !strings.Contains(welcome.Body, "Section de Montréal") ||
		!strings.Contains(welcome.Body, "montreal@solidarity.example") {
		t.Fatalf("welcome %q:\n%s", welcome.Subject, welcome.Body)
	}
	link(t, welcome, "/unsubscribe") // she agreed to news: the welcome carries the way out

	notice := s.waitEmailsAbout("montreal@solidarity.example", "eloise@example.org", 1)[0]
	for _, want := range []string{"Éloïse Bergeron", "eloise@example.org", "+15145550199", "H2X 1Y4", "Montréal", "code postal", "Nouvelles par courriel : oui", "Pour la justice sociale."} {
		if !strings.Contains(notice.Body, want) {
			t.Errorf("the organizer's notice lacks %q:\n%s", want, notice.Body)
		}
	}
	if notice.Subject != "Nouvelle adhésion : Éloïse Bergeron (Section de Montréal)" {
		t.Errorf("notice subject %q", notice.Subject)
	}

	// Consent: the grant at signup (what, words, where) and its confirmation by the link.
	var grants []consent.Record
	for _, it := range s.items("consent") {
		grants = append(grants, unmarshal[consent.Record](t, it))
	}
	if len(grants) != 2 {
		t.Fatalf("%d consent records, want the signup's and the confirmation's", len(grants))
	}
	g := grants[0]
	if grants[1].Source == "membership_form" {
		g = grants[1]
	}
	if g.Source != "membership_form" || !g.Granted || g.Version != consent.Version || g.Wording != consent.Wording["fr"] ||
		g.Language != "fr" || g.FormURL != allowed+"/fr/adherer" || g.IP != "127.0.0.1" || g.UserAgent != "TestBrowser/1.0" {
		t.Fatalf("signup consent %+v", g)
	}

	// The link again: used, refused cleanly, nothing changes.
	again := s.open(http.MethodGet, confirmURL)
	if again.status != http.StatusGone || !strings.Contains(string(again.body), "Ce lien a déjà été utilisé") {
		t.Fatalf("reused link %d:\n%s", again.status, again.body)
	}
	s.waitEmails("eloise@example.org", 2)
	s.waitEmailsAbout("montreal@solidarity.example", "eloise@example.org", 1)
}

// TestRouting: the other two people, through confirmation to their organizers.
func TestRouting(t *testing.T) {
	s := newStack(t, true)
	tests := []struct {
		email, lang, city, province, postal, branch, organizer, subject string
	}{
		{"kwame@example.org", "en", "Toronto", "ON", "M5V 2T6", "toronto", "toronto@solidarity.example", "New member: Kwame Asante (Toronto branch)"},
		{"maelle@example.org", "en", "Morris", "MB", "R0G 1A0", "manitoba-at-large", "manitoba.at-large@solidarity.example", "New member: Maëlle Okonkwo-Roy (Manitoba members at large)"},
	}
	names := map[string][2]string{"kwame@example.org": {"Kwame", "Asante"}, "maelle@example.org": {"Maëlle", "Okonkwo-Roy"}}
	for _, tt := range tests {
		s.join(joiner(tt.email, map[string]any{"first_name": names[tt.email][0], "last_name": names[tt.email][1],
			"language": tt.lang, "address": map[string]any{"city": tt.city, "province": tt.province, "postal_code": tt.postal}}))
		if m := s.member(tt.email); m.Branch != tt.branch {
			t.Fatalf("%s routed to %s, want %s", tt.email, m.Branch, tt.branch)
		}
		confirm := s.waitEmails(tt.email, 1)[0]
		if confirm.Subject != "Confirm your membership in "+orgEN {
			t.Fatalf("confirmation subject %q", confirm.Subject)
		}
		if res := s.press(link(t, confirm, "/members/confirm")); res.status != http.StatusOK {
			t.Fatalf("confirm: %d %s", res.status, res.body)
		}
		notice := s.waitEmailsAbout(tt.organizer, tt.email, 1)[0]
		if notice.Subject != tt.subject || !strings.Contains(notice.Body, tt.email) {
			t.Fatalf("notice %q:\n%s", notice.Subject, notice.Body)
		}
	}
	// Toronto has two organizers: each is told.
	s.waitEmailsAbout("toronto.outreach@solidarity.example", "kwame@example.org", 1)
}

// TestSignupTwice: one member per address whatever its case, the same answer each time;
// each post with new details is an application of its own with its own link at once
// (docs/api.md), a repeated one gets a re-sent link only once the previous one has had
// time to arrive, and each link confirms its own post's details.
func TestSignupTwice(t *testing.T) {
	s := newStack(t, true)
	first := s.join(joiner("Twice.Member@Example.org", nil))
	second := s.join(joiner("twice.member@EXAMPLE.ORG", map[string]any{"first_name": "Autre", "phone": ""}))
	// The same answer, and the same page behind its notice (a notice is signed with the
	// second it was issued in, so two posts a second apart carry different ones).
	var a, b map[string]string
	if json.Unmarshal(first.body, &a) != nil || json.Unmarshal(second.body, &b) != nil {
		t.Fatalf("answers: %s / %s", first.body, second.body)
	}
	pageOf := func(notice string) string {
		return string(s.do(http.MethodGet, "/members/check-email?lang=fr&notice="+url.QueryEscape(notice), "", "", nil).body)
	}
	if a["status"] != b["status"] || len(a) != len(b) || a["notice"] == "" || pageOf(a["notice"]) != pageOf(b["notice"]) {
		t.Fatalf("answers differ: %s / %s", first.body, second.body)
	}
	if n := len(s.items("member")); n != 1 {
		t.Fatalf("%d members, want 1", n)
	}
	if n := len(s.items(dynamo.TypeApplication)); n != 2 {
		t.Fatalf("%d applications, want one per post with new details", n)
	}
	// The pending member holds the newest application; each got its own link.
	if m := s.member("twice.member@example.org"); m.FirstName != "Autre" || m.Phone != "" || m.Status != member.StatusPending {
		t.Fatalf("pending member %+v", m)
	}
	mails := s.waitEmails("twice.member@example.org", 2)
	eloise, autre := link(t, mails[0], "/members/confirm"), link(t, mails[1], "/members/confirm")

	// The same post again is not new: too soon for another email.
	s.join(joiner("twice.member@example.org", map[string]any{"first_name": "Autre", "phone": ""}))
	s.waitEmails("twice.member@example.org", 2)

	// Twenty minutes later (the second email counts: each wait doubles), asking again with
	// the first details re-sends a fresh link for that application.
	s.age("twice.member@example.org", 2*member.FirstResendAfter)
	s.join(joiner("twice.member@example.org", nil))
	mails = s.waitEmails("twice.member@example.org", 3)
	if mails[2].Subject != orgFR+" : confirmez votre adhésion" {
		t.Fatalf("re-sent %q", mails[2].Subject)
	}
	if n := len(s.items(dynamo.TypeApplication)); n != 2 {
		t.Fatalf("%d applications after a re-send, want 2", n)
	}
	if m, exp := s.member("twice.member@example.org"), s.memberExpiry("twice.member@example.org"); exp != m.NoticeSentAt.Add(member.PendingRetention).Unix() {
		t.Fatalf("a re-sent signup expires at %d, want 30 days after its newest link (%v)", exp, m.NoticeSentAt)
	}
	fresh := link(t, mails[2], "/members/confirm")
	if fresh == eloise {
		t.Fatal("the re-sent link is the same")
	}
	// The next re-send waits twice as long.
	s.age("twice.member@example.org", member.FirstResendAfter)
	s.join(joiner("twice.member@example.org", nil))
	s.waitEmails("twice.member@example.org", 3)

	// A link confirms its own post's details; the others then say so, without a second
	// welcome or notice.
	if res := s.press(fresh); res.status != http.StatusOK {
		t.Fatalf("fresh link %d", res.status)
	}
	if m := s.member("twice.member@example.org"); m.FirstName != "Éloïse" || m.Phone != "+15145550199" || m.Status != member.StatusActive {
		t.Fatalf("confirmed %+v", m)
	}
	for _, old := range []string{eloise, autre} {
		if res := s.open(http.MethodGet, old); res.status != http.StatusOK || !strings.Contains(string(res.body), "déjà confirmée") {
			t.Fatalf("older link %d:\n%s", res.status, res.body)
		}
	}
	s.pressConfirm(autre) // its button, had its page been kept open: already a member
	if m := s.member("twice.member@example.org"); m.FirstName != "Éloïse" {
		t.Fatalf("the other application's button changed the member: %+v", m)
	}
	if n := len(s.items(dynamo.TypeApplication)); n != 0 {
		t.Fatalf("%d applications left once confirmed", n)
	}
	s.waitEmails("twice.member@example.org", 4)
	s.waitEmailsAbout("montreal@solidarity.example", "twice.member@example.org", 1)

	// An active member who signs up again is told they are a member, at most so often,
	// and nothing of theirs changes.
	s.age("twice.member@example.org", 4*member.FirstResendAfter)
	s.join(joiner("TWICE.member@example.org", map[string]any{"first_name": "Autre"}))
	s.join(joiner("twice.member@example.org", nil))
	already := s.waitEmails("twice.member@example.org", 5)[4]
	if already.Subject != orgFR+" : vous êtes déjà membre" || !strings.Contains(already.Body, "Section de Montréal") {
		t.Fatalf("already-a-member note %q:\n%s", already.Subject, already.Body)
	}
	if n := len(s.items("member")); n != 1 || s.member("twice.member@example.org").FirstName != "Éloïse" || len(s.items(dynamo.TypeApplication)) != 0 {
		t.Fatalf("%d members, the signup of an active member changed it", n)
	}
}

// memberExpiry is the TTL of a member's item (0 for none).
func (s *stack) memberExpiry(email string) int64 {
	s.t.Helper()
	out, err := s.env.DB().GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(s.table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PERSON#" + email},
			"sk": &types.AttributeValueMemberS{Value: "MEMBER"}}})
	if err != nil {
		s.t.Fatal(err)
	}
	n, ok := out.Item["expires_at"].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, _ := strconv.ParseInt(n.Value, 10, 64)
	return v
}

// age moves a member's last notice back by d, as if that much time had passed.
func (s *stack) age(email string, d time.Duration) {
	s.t.Helper()
	m := s.member(email)
	at := m.NoticeSentAt.Add(-d).UTC().Format(time.RFC3339Nano)
	_, err := s.env.DB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PERSON#" + email},
			"sk": &types.AttributeValueMemberS{Value: "MEMBER"}},
		UpdateExpression:          aws.String("SET notice_sent_at = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at}},
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

// TestConfirmationLinks: expired, unknown and malformed links get clear pages, not 500s,
// and change nothing.
func TestConfirmationLinks(t *testing.T) {
	s := newStack(t, true)
	s.join(joiner("late@example.org", map[string]any{"language": "en"}))
	confirmURL := link(t, s.waitEmails("late@example.org", 1)[0], "/members/confirm")
	raw := confirmURL[strings.Index(confirmURL, "token=")+6:]
	_, err := s.env.DB().UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       dynamo.TokenKey(token.Hash(raw)),
		UpdateExpression:          aws.String("SET expires_at = :past"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":past": &types.AttributeValueMemberN{Value: "1700000000"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		status     int
		want       string
	}{
		{"expired", strings.TrimPrefix(confirmURL, s.url), http.StatusGone, "This link has expired"},
		{"unknown", "/members/confirm?token=" + strings.Repeat("A", 43), http.StatusNotFound, "This link is not valid"},
		{"malformed", "/members/confirm?token=%27%3B--", http.StatusNotFound, "This link is not valid"},
		{"missing", "/members/confirm", http.StatusNotFound, "This link is not valid"},
		{"unknown in French", "/members/confirm?lang=fr&token=" + strings.Repeat("B", 43), http.StatusNotFound, "Ce lien n’est pas valide"},
	}
	for _, tt := range tests {
		res := s.do(http.MethodGet, tt.path, "", "", nil)
		if res.status != tt.status || !strings.Contains(string(res.body), tt.want) {
			t.Errorf("%s: %d\n%s", tt.name, res.status, res.body)
		}
	}
	if m := s.member("late@example.org"); m.Status != member.StatusPending {
		t.Fatalf("member %s after an expired link", m.Status)
	}
	s.waitEmails("late@example.org", 1)
}

// TestUnsubscribe: the button of the welcome's link, and a mail client's one-click POST,
// each record the withdrawal once, however often they are used; opening the link again
// says the person is unsubscribed (with the way back), and its button, pressed again from
// a page opened before, changes nothing.
func TestUnsubscribe(t *testing.T) {
	s := newStack(t, true)
	for _, tt := range []struct{ email, first, second string }{
		{"by-button@example.org", "button", "one-click"},
		{"one-click@example.org", "one-click", "button"},
	} {
		s.join(joiner(tt.email, nil))
		s.press(link(t, s.waitEmails(tt.email, 1)[0], "/members/confirm"))
		unsub := link(t, s.waitEmails(tt.email, 2)[1], "/unsubscribe")
		for i, way := range []string{tt.first, tt.second, tt.first} {
			var res response
			switch {
			case way == "button" && i == 0:
				res = s.press(unsub)
			case way == "button":
				res = s.postForm("/unsubscribe", url.Values{"token": {unsub[strings.Index(unsub, "token=")+len("token="):]}},
					map[string]string{"Origin": s.url})
			default:
				res = s.oneClick(unsub)
			}
			if res.status != http.StatusOK || !strings.Contains(string(res.body), "Vous êtes désabonné") {
				t.Fatalf("%s %s (%d): %d\n%s", tt.email, way, i+1, res.status, res.body)
			}
		}
		if page := s.open(http.MethodGet, unsub); !strings.Contains(string(page.body), "<h1>Vous êtes désabonné·e</h1>") {
			t.Fatalf("%s: the link again: %d\n%s", tt.email, page.status, page.body)
		}
		if m := s.member(tt.email); m.News || !m.NewsRequested {
			t.Fatalf("member after unsubscribing %+v", m)
		}
		var withdrawals []consent.Record
		for _, it := range s.items("consent") {
			if r := unmarshal[consent.Record](t, it); r.Email == tt.email && !r.Granted {
				withdrawals = append(withdrawals, r)
			}
		}
		wantSource := map[string]string{"button": "unsubscribe_button", "one-click": "unsubscribe_one_click"}[tt.first]
		if len(withdrawals) != 1 || withdrawals[0].Source != wantSource || withdrawals[0].Purpose != "news" {
			t.Fatalf("%s: withdrawals %+v", tt.email, withdrawals)
		}
	}
	for _, bad := range []string{"/unsubscribe", "/unsubscribe?token=" + strings.Repeat("C", 43)} {
		if res := s.do(http.MethodPost, bad, "", "", nil); res.status != http.StatusNotFound {
			t.Fatalf("POST %s: %d", bad, res.status)
		}
	}
}

// TestJoinFormPost: a plain HTML form works without JavaScript.
func TestJoinFormPost(t *testing.T) {
	s := newStack(t, false)
	form := url.Values{"first_name": {"Éloïse"}, "last_name": {"Bergeron"}, "email": {"form@example.org"},
		"address.city": {"Montréal"}, "address.province": {"QC"}, "address.postal_code": {"H2X 1Y4"},
		"language": {"fr"}, "consent_updates": {"on"}, "utm_source": {"tract"}}
	res := s.postForm("/members", form, nil)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/members/check-email?lang=fr&notice=") {
		t.Fatalf("form post %d %v", res.status, res.header)
	}
	page := s.do(http.MethodGet, res.header.Get("Location"), "", "", nil)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "Vérifiez votre boîte de réception") {
		t.Fatalf("check-email page %d:\n%s", page.status, page.body)
	}
	if m := s.member("form@example.org"); !m.NewsRequested || m.Branch != "montreal" {
		t.Fatalf("member %+v", m)
	}
	form.Set("address.postal_code", "90210")
	form.Set("email", "form2@example.org")
	bad := s.postForm("/members", form, nil)
	if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.body), "Code postal") ||
		!strings.Contains(bad.header.Get("Content-Type"), "text/html") {
		t.Fatalf("bad form post %d:\n%s", bad.status, bad.body)
	}
	if _, err := s.sys.Store.Member(context.Background(), "form2@example.org"); err != member.ErrNotFound {
		t.Fatalf("a refused form stored a member: %v", err)
	}
}

// TestJoinHoneypot: a bot that fills the hidden field is answered like a person; nothing
// is stored or sent.
func TestJoinHoneypot(t *testing.T) {
	s := newStack(t, true)
	s.join(joiner("bot@example.org", map[string]any{"website": "http://spam.example"}))
	if n := len(s.items("member")) + len(s.items("email")); n != 0 {
		t.Fatalf("%d items stored for a bot", n)
	}
	s.waitEmails("bot@example.org", 0)
}

// TestMemberRules breaks each rule of docs/api.md's POST /members, in English and in French,
// and expects 400 validation_failed naming the request's own field, in that language,
// with nothing stored or sent.
func TestMemberRules(t *testing.T) {
	s := newStack(t, true)
	long := strings.Repeat("x", 101)
	addr := func(set map[string]any) map[string]any {
		a := map[string]any{"city": "Montréal", "province": "QC", "postal_code": "H2X 1Y4"}
		for k, v := range set {
			if v == nil {
				delete(a, k)
			} else {
				a[k] = v
			}
		}
		return a
	}
	s.expectRules(t, "/members", func() map[string]any { return joiner("rules@example.org", nil) }, []fieldRule{
		{name: "first name missing", drop: "first_name", field: "first_name", en: "required", fr: "obligatoire"},
		{name: "first name blank", set: map[string]any{"first_name": "  "}, field: "first_name", en: "required", fr: "obligatoire"},
		{name: "first name too long", set: map[string]any{"first_name": long}, field: "first_name", en: "at most 100", fr: "au plus 100"},
		{name: "first name with a line break", set: map[string]any{"first_name": "Éloïse\r\nBcc: x@example.org"}, field: "first_name", en: "single line", fr: "une seule ligne"},
		{name: "last name missing", drop: "last_name", field: "last_name", en: "required", fr: "obligatoire"},
		{name: "last name too long", set: map[string]any{"last_name": long}, field: "last_name", en: "at most 100", fr: "au plus 100"},
		{name: "email missing", drop: "email", field: "email", en: "required", fr: "obligatoire"},
		{name: "email invalid", set: map[string]any{"email": "eloise-at-example.org"}, field: "email", en: "valid email", fr: "courriel valide"},
		{name: "email too long", set: map[string]any{"email": strings.Repeat("a", 250) + "@example.org"}, field: "email", en: "at most 254", fr: "au plus 254"},
		{name: "phone too short", set: map[string]any{"phone": "555-0199"}, field: "phone", en: "phone number", fr: "numéro de téléphone"},
		{name: "phone with letters", set: map[string]any{"phone": "514-CALL-NOW"}, field: "phone", en: "phone number", fr: "numéro de téléphone"},
		{name: "phone with an extension", set: map[string]any{"phone": "514-555-0199 x12"}, field: "phone", en: "phone number", fr: "numéro de téléphone"},
		{name: "phone not a string", set: map[string]any{"phone": 5145550199}, field: "phone", en: "Enter text", fr: "Entrez du texte"},
		{name: "address missing: city", drop: "address", field: "address.city", en: "required", fr: "obligatoire"},
		{name: "address missing: province", drop: "address", field: "address.province", en: "required", fr: "obligatoire"},
		{name: "address missing: postal code", drop: "address", field: "address.postal_code", en: "required", fr: "obligatoire"},
		{name: "address not an object", set: map[string]any{"address": "Montréal"}, field: "address", en: "object", fr: "objet"},
		{name: "city missing", set: map[string]any{"address": addr(map[string]any{"city": nil})}, field: "address.city", en: "required", fr: "obligatoire"},
		{name: "city too long", set: map[string]any{"address": addr(map[string]any{"city": long})}, field: "address.city", en: "at most 100", fr: "au plus 100"},
		{name: "province missing", set: map[string]any{"address": addr(map[string]any{"province": nil})}, field: "address.province", en: "required", fr: "obligatoire"},
		{name: "province unknown", set: map[string]any{"address": addr(map[string]any{"province": "Québec"})}, field: "address.province", en: "province or territory", fr: "province"},
		{name: "postal code missing", set: map[string]any{"address": addr(map[string]any{"postal_code": nil})}, field: "address.postal_code", en: "required", fr: "obligatoire"},
		{name: "postal code American", set: map[string]any{"address": addr(map[string]any{"postal_code": "90210"})}, field: "address.postal_code", en: "postal code", fr: "code postal"},
		{name: "postal code with a letter Canada Post never uses", set: map[string]any{"address": addr(map[string]any{"postal_code": "H2X 1O4"})}, field: "address.postal_code", en: "postal code", fr: "code postal"},
		{name: "outside Canada", set: map[string]any{"address": addr(map[string]any{"country": "FR"})}, field: "address.country", en: "live in Canada", fr: "vivent au Canada"},
		{name: "address line too long", set: map[string]any{"address": addr(map[string]any{"line1": strings.Repeat("x", 201)})}, field: "address.line1", en: "at most 200", fr: "au plus 200"},
		{name: "unknown address field", set: map[string]any{"address": addr(map[string]any{"zip": "H2X1Y4"})}, field: "address.zip", en: "not recognized", fr: "pas reconnu"},
		{name: "branch too long", set: map[string]any{"branch": strings.Repeat("b", 61)}, field: "branch", en: "at most 60", fr: "au plus 60"},
		{name: "language other", set: map[string]any{"language": "de"}, field: "language", en: "en (English) or fr", fr: "en (anglais) ou fr"},
		{name: "consent not a boolean", set: map[string]any{"consent_updates": "yes"}, field: "consent_updates", en: "true or false", fr: "vrai"},
		{name: "message too long", set: map[string]any{"message": strings.Repeat("é", 2001)}, field: "message", en: "at most 2000", fr: "au plus 2000"},
		{name: "message with control characters", set: map[string]any{"message": "hello\x00\x1b[31m"}, field: "message", en: "control characters", fr: "caractères de contrôle"},
		{name: "unknown field", set: map[string]any{"postal_code": "H2X 1Y4"}, field: "postal_code", en: "not recognized", fr: "pas reconnu"},
	})
	t.Run("a message of 2,000 accented characters is accepted", func(t *testing.T) {
		s.join(joiner("long-message@example.org", map[string]any{"message": strings.Repeat("é", 2000)}))
	})
	t.Run("nothing was stored or sent for refused requests", func(t *testing.T) {
		if _, err := s.sys.Store.Member(context.Background(), "rules@example.org"); err != member.ErrNotFound {
			t.Fatalf("member stored: %v", err)
		}
		s.waitEmails("rules@example.org", 0)
	})
}
