package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/subscription"
)

func init() {
	// The typed names of the guard tests: none may reach a log line (nor, here, an email).
	emulator.Logs.Personal("Zéphyrin", "Quillfeather", "phish.example")
}

// expectError checks an answer in the contract's shape: status, code, the message in
// lang, and (if field is not empty) a problem on field that says want.
func expectError(t *testing.T, res response, status int, code string, lang i18n.Lang, field, want string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	got := res.json(t)
	if got["error"] != code || got["message"] != i18n.Text(lang, i18n.M("error."+code)) && !waitMessage(lang, code, got["message"]) {
		t.Fatalf("answer %v, want %s in %s", got, code, lang)
	}
	if field == "" {
		return
	}
	fields, _ := got["fields"].(map[string]any)
	if msg, _ := fields[field].(string); !strings.Contains(msg, want) {
		t.Fatalf("fields[%q] = %q, want it to say %q (all: %v)", field, msg, want, fields)
	}
}

// TestCorrectingAFormIsNotLockedOut: with five posts per address an hour, a person who
// gets their form wrong eight times (each answered with its localized problems) still
// joins at the ninth; only valid posts count against the address; and a bot over the
// per-IP limit is refused with 429 whatever it sends.
func TestCorrectingAFormIsNotLockedOut(t *testing.T) {
	const perIP, perEmail = 20, 5
	s := newStack(t, false, set("RATE_LIMIT_PER_IP", strconv.Itoa(perIP), "RATE_LIMIT_PER_EMAIL", strconv.Itoa(perEmail),
		"RATE_LIMIT_WINDOW_MINUTES", "60"))
	posts := 0
	person := "typo-prone@example.org"
	wrong := map[i18n.Lang]string{i18n.EN: "Enter a valid Canadian postal code", i18n.FR: "Entrez un code postal canadien valide"}
	for i := 0; i < 8; i++ {
		lang := []i18n.Lang{i18n.EN, i18n.FR}[i%2]
		body := joiner(person, map[string]any{"language": string(lang),
			"address": map[string]any{"city": "Montréal", "province": "QC", "postal_code": "H2X " + strconv.Itoa(i)}})
		posts++
		expectError(t, s.postJSON("/members", body, nil), http.StatusBadRequest, "validation_failed", lang, "address.postal_code", wrong[lang])
	}
	if n := len(s.items("member")); n != 0 {
		t.Fatalf("%d members stored from invalid forms", n)
	}
	for i := 0; i < perEmail; i++ {
		posts++
		s.join(joiner(person, nil)) // corrected: accepted, five times
	}
	if n := len(s.items("member")); n != 1 {
		t.Fatalf("%d members, want the one who corrected their form", n)
	}
	posts++
	expectError(t, s.postJSON("/members", joiner(person, map[string]any{"language": "fr"}), nil),
		http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")

	// A bot on the same IP, inventing addresses: counted per IP, valid or not.
	for ; posts < perIP; posts++ {
		res := s.postJSON("/members", joiner(fmt.Sprintf("bot-%d@example.org", posts), map[string]any{"email": "not-an-address"}), nil)
		if res.status != http.StatusBadRequest {
			t.Fatalf("post %d: %d %s", posts+1, res.status, res.body)
		}
	}
	for _, body := range []map[string]any{joiner("bot-valid@example.org", nil), joiner("bot", nil)} {
		res := s.postJSON("/members", body, map[string]string{"Accept-Language": "fr"})
		expectError(t, res, http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
		if wait, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || wait < 1 || wait > 3600 {
			t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
		}
	}
	if n := len(s.items("member")); n != 1 {
		t.Fatalf("%d members after the bot, want 1", n)
	}
}

// TestConfirmationEmailHoldsNoTypedText: a stranger's words typed into the signup form
// (a name, a message with a link; a link in a name is refused) never reach the confirmation email that goes to the address
// nobody has proven: not its subject, not its body, not the queued email.
func TestConfirmationEmailHoldsNoTypedText(t *testing.T) {
	s := newStack(t, true)
	typed := []string{"Zéphyrin", "Quillfeather", "phish.example"}
	for _, lang := range []string{"en", "fr"} {
		to := "unproven-" + lang + "@example.org"
		s.join(joiner(to, map[string]any{"language": lang, "first_name": "Zéphyrin",
			"last_name": "Quillfeather", "message": "Verify at https://phish.example"}))
		mail := s.waitEmails(to, 1)[0]
		for _, word := range typed {
			if strings.Contains(mail.Subject, word) || strings.Contains(mail.Body, word) {
				t.Errorf("%s: the confirmation holds typed %q: %q\n%s", lang, word, mail.Subject, mail.Body)
			}
		}
		link(t, mail, "/members/confirm")
	}
	for _, item := range s.items("email") {
		e := unmarshal[map[string]any](t, item)
		if !strings.HasPrefix(fmt.Sprint(e["template"]), "member_confirm") {
			continue
		}
		for _, word := range typed {
			if strings.Contains(fmt.Sprint(e), word) {
				t.Errorf("the queued confirmation holds typed %q: %v", word, e)
			}
		}
	}
}

// TestPortalIsGuarded: POST /portal has the forms' guard: per address (valid requests
// only) and per IP, with 429 in the contract's shape.
func TestPortalIsGuarded(t *testing.T) {
	s := newStack(t, false, set("RATE_LIMIT_PER_IP", "6", "RATE_LIMIT_PER_EMAIL", "2", "RATE_LIMIT_WINDOW_MINUTES", "60"))
	ask := func(email string) response {
		return s.postJSON("/portal", map[string]any{"email": email, "language": "fr"}, nil)
	}
	for i := 0; i < 2; i++ {
		if res := ask("portal-person@example.org"); res.status != http.StatusAccepted {
			t.Fatalf("ask %d: %d %s", i+1, res.status, res.body)
		}
	}
	expectError(t, ask("Portal-Person@Example.org"), http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
	expectError(t, ask("not-an-address"), http.StatusBadRequest, "validation_failed", i18n.FR, "email", i18n.Text(i18n.FR, i18n.M("field.email")))
	if res := ask("someone-else@example.org"); res.status != http.StatusAccepted {
		t.Fatalf("another address: %d %s", res.status, res.body)
	}
	// Five posts so far from this IP; the sixth is the last.
	if res := s.postForm("/portal", formOf(map[string]any{"email": "third@example.org", "language": "fr"}), nil); res.status != http.StatusAccepted ||
		!strings.Contains(string(res.body), `lang="fr"`) {
		t.Fatalf("form post: %d %s", res.status, res.body)
	}
	res := s.postForm("/portal", formOf(map[string]any{"email": "fourth@example.org", "language": "fr"}), nil)
	if res.status != http.StatusTooManyRequests || !strings.Contains(string(res.body), "Trop de tentatives") || res.header.Get("Retry-After") == "" {
		t.Fatalf("over the per-IP limit: %d %v %s", res.status, res.header, res.body)
	}
}

// TestPortalHoneypot: a portal request with the honeypot filled in is answered like any
// other, and emails no one, even for an address that has something to manage.
func TestPortalHoneypot(t *testing.T) {
	s := newStack(t, false)
	sub := s.subscribe("honeypot-known@example.org", "solidarity-monthly", "fr")
	s.deliverUntilOK(localpay.Event("checkout.session.completed", localpay.PlanSessionCompleted(sub, &subscription.Shipping{
		Name: "Nora Kasongo", Line1: "77 Wellington St", City: "Ottawa", State: "ON", PostalCode: "K1A 0A9", Country: "CA"}), time.Now()))
	portalEmails := func() int {
		n := 0
		for _, item := range s.items("email") {
			if e := unmarshal[map[string]any](t, item); e["template"] == "portal_link" {
				n++
			}
		}
		return n
	}
	bot := s.postForm("/portal", formOf(map[string]any{"email": "honeypot-known@example.org", "website": "http://spam.example"}), nil)
	person := s.postForm("/portal", formOf(map[string]any{"email": "honeypot-unknown@example.org"}), nil)
	if bot.status != http.StatusAccepted || string(bot.body) != string(person.body) {
		t.Fatalf("the bot's answer %d differs from a person's:\n%s\n%s", bot.status, bot.body, person.body)
	}
	if n := portalEmails(); n != 0 {
		t.Fatalf("%d portal emails for the honeypot", n)
	}
	if res := s.postJSON("/portal", map[string]any{"email": "honeypot-known@example.org"}, nil); res.status != http.StatusAccepted {
		t.Fatalf("the person: %d %s", res.status, res.body)
	}
	if n := portalEmails(); n != 1 {
		t.Fatalf("%d portal emails for the person, want 1", n)
	}
}

// siteverify is a stand-in for Cloudflare's: it accepts Cloudflare's test token, solved
// on hostname; it counts what it is asked.
type siteverify struct {
	mu       sync.Mutex
	hostname string
	asked    int
}

func (v *siteverify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.asked++
	ok := r.FormValue("secret") == "turnstile-test-secret" && r.FormValue("response") == "XXXX.DUMMY.TOKEN.XXXX"
	fmt.Fprintf(w, `{"success":%v,"error-codes":[],"hostname":%q}`, ok, v.hostname)
}

func (v *siteverify) set(hostname string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.hostname = hostname
	return v.asked
}

// TestTurnstileFailsClosedWhereItEmails: with Turnstile configured, the forms that email
// an unproven address (members, portal) refuse when siteverify cannot be reached, with a
// localized "try again" on the widget's field, and store nothing; donations and
// subscriptions go on (Stripe Checkout has its own defences). A 4xx from siteverify is a
// refusal, not an outage: refused everywhere. A good token solved on a site that is not
// ours is refused everywhere, and a form refused by validation never
// asks siteverify, so the person's single-use token is not spent.
func TestTurnstileFailsClosedWhereItEmails(t *testing.T) {
	t.Run("siteverify unreachable", func(t *testing.T) {
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + closed.Addr().String()
		closed.Close()
		s := newStack(t, false, set("TURNSTILE_SECRET", "turnstile-test-secret", "TURNSTILE_VERIFY_URL", down))
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			want := i18n.Text(lang, i18n.M("field.turnstile_unavailable"))
			member := joiner("closed-"+string(lang)+"@example.org", map[string]any{"language": string(lang), "cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"})
			expectError(t, s.postJSON("/members", member, nil), http.StatusBadRequest, "validation_failed", lang, guard.TurnstileField, want)
			portal := map[string]any{"email": "closed@example.org", "language": string(lang), "cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"}
			expectError(t, s.postJSON("/portal", portal, nil), http.StatusBadRequest, "validation_failed", lang, guard.TurnstileField, want)
		}
		if n := len(s.items("member")) + len(s.items("email")); n != 0 {
			t.Fatalf("%d members or emails stored while siteverify was down", n)
		}
		gift := validDonation()
		gift["cf-turnstile-response"] = "XXXX.DUMMY.TOKEN.XXXX"
		if res := s.postJSON("/donations", gift, nil); res.status != http.StatusCreated {
			t.Fatalf("a donation while siteverify is down: %d %s", res.status, res.body)
		}
		sub := map[string]any{"plan": "solidarity-annual", "first_name": "Ana", "last_name": "Lima", "email": "open@example.org",
			"cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"}
		if res := s.postJSON("/subscriptions", sub, nil); res.status != http.StatusCreated {
			t.Fatalf("a subscription while siteverify is down: %d %s", res.status, res.body)
		}
		gift["cf-turnstile-response"] = ""
		expectError(t, s.postJSON("/donations", gift, nil), http.StatusBadRequest, "validation_failed", i18n.EN, guard.TurnstileField, "a person sent this form")
	})

	t.Run("siteverify refusing the request (a 4xx) refuses everywhere", func(t *testing.T) {
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"success":true,"hostname":"127.0.0.1"}`) // a 4xx's body is not believed
		}))
		t.Cleanup(refusing.Close)
		s := newStack(t, false, set("TURNSTILE_SECRET", "turnstile-test-secret", "TURNSTILE_VERIFY_URL", refusing.URL))
		want := i18n.Text(i18n.EN, i18n.M("field.turnstile"))
		gift := validDonation()
		gift["cf-turnstile-response"] = "XXXX.DUMMY.TOKEN.XXXX"
		expectError(t, s.postJSON("/donations", gift, nil), http.StatusBadRequest, "validation_failed", i18n.EN, guard.TurnstileField, want)
		sub := map[string]any{"plan": "solidarity-annual", "first_name": "Ana", "last_name": "Lima", "email": "refused@example.org",
			"cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"}
		expectError(t, s.postJSON("/subscriptions", sub, nil), http.StatusBadRequest, "validation_failed", i18n.EN, guard.TurnstileField, want)
		member := joiner("refused@example.org", map[string]any{"language": "en", "cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"})
		expectError(t, s.postJSON("/members", member, nil), http.StatusBadRequest, "validation_failed", i18n.EN, guard.TurnstileField, want)
		if n := len(s.items("donation")) + len(s.items("subscription")) + len(s.items("member")) + len(s.items("member_application")); n != 0 {
			t.Fatalf("%d records stored while siteverify refused", n)
		}
	})

	t.Run("a foreign hostname, and a validation error spends no token", func(t *testing.T) {
		v := &siteverify{hostname: "127.0.0.1"}
		srv := httptest.NewServer(v)
		t.Cleanup(srv.Close)
		s := newStack(t, false, set("TURNSTILE_SECRET", "turnstile-test-secret", "TURNSTILE_VERIFY_URL", srv.URL))
		member := func(email string) map[string]any {
			return joiner(email, map[string]any{"cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"})
		}
		bad := member("typo@example.org")
		bad["address"] = map[string]any{"city": "Montréal", "province": "QC", "postal_code": "nope"}
		expectError(t, s.postJSON("/members", bad, nil), http.StatusBadRequest, "validation_failed", i18n.FR, "address.postal_code", "code postal")
		if asked := v.set("127.0.0.1"); asked != 0 {
			t.Fatalf("siteverify asked %d times about an invalid form", asked)
		}
		s.join(member("ours@example.org")) // the API's own host
		v.set("allowed.example")           // an allowed origin's
		s.join(member("allowed@example.org"))
		v.set("evil.example")
		for _, path := range []string{"/members", "/donations", "/portal"} {
			body := map[string]any{"email": "foreign@example.org", "language": "fr", "cf-turnstile-response": "XXXX.DUMMY.TOKEN.XXXX"}
			switch path {
			case "/members":
				body = member("foreign@example.org")
			case "/donations":
				body = validDonation()
				body["cf-turnstile-response"] = "XXXX.DUMMY.TOKEN.XXXX"
				body["language"] = "fr"
			}
			expectError(t, s.postJSON(path, body, nil), http.StatusBadRequest, "validation_failed", i18n.FR, guard.TurnstileField, "une personne a envoyé")
		}
		if asked := v.set("127.0.0.1"); asked != 5 {
			t.Fatalf("siteverify asked %d times, want 5", asked)
		}
		if n := len(s.items("member")); n != 2 {
			t.Fatalf("%d members, want the two from our own sites", n)
		}
	})
}

// TestBehindACDN: with CLIENT_IP_HEADER naming CloudFront's viewer header and the CDN's
// secret configured (CLIENT_IP_SECRET, or the SecureString CLIENT_IP_SECRET_PARAM names),
// each visitor behind the CDN is counted apart (an IPv6 one by its /64), rather than all
// of them as the CDN's one address; a request straight to API Gateway, whose viewer
// header anyone can write, is believed only with the CDN's X-Origin-Verify secret, and
// without it counts as its own source address. The header without a secret does not
// start.
func TestBehindACDN(t *testing.T) {
	const secret = "cdn-origin-verify-secret-for-tests"
	behind := func(t *testing.T, s *stack) {
		from := func(viewer, proof string) int {
			h := map[string]string{"CloudFront-Viewer-Address": viewer}
			if proof != "" {
				h["X-Origin-Verify"] = proof
			}
			return s.postJSON("/portal", map[string]any{"email": "cdn@example.org"}, h).status
		}
		for _, tt := range []struct {
			viewer string
			want   int
		}{
			{"198.51.100.1:40000", http.StatusAccepted},
			{"198.51.100.1:40001", http.StatusAccepted},
			{"198.51.100.1:40002", http.StatusTooManyRequests}, // the same visitor, a third time
			{"198.51.100.2:40000", http.StatusAccepted},        // another visitor
			{"2001:db8:1:2::1:443", http.StatusAccepted},
			{"2001:db8:1:2:aaaa::9:443", http.StatusAccepted},
			{"2001:db8:1:2:ffff::1:443", http.StatusTooManyRequests}, // the same /64
			{"2001:db8:1:3::1:443", http.StatusAccepted},             // the next /64
		} {
			if got := from(tt.viewer, secret); got != tt.want {
				t.Fatalf("from %s through the CDN: %d, want %d", tt.viewer, got, tt.want)
			}
		}
		// Straight to API Gateway, forging a fresh viewer each time: without the CDN's
		// secret, or with a wrong one, each post counts as the sender's own address (here
		// the test's), so the third is refused.
		for i, proof := range []string{"", "a-guess", secret + "-not"} {
			want := http.StatusAccepted
			if i == 2 {
				want = http.StatusTooManyRequests
			}
			if got := from(fmt.Sprintf("203.0.113.%d:443", i+1), proof); got != want {
				t.Fatalf("forged viewer %d (proof %q): %d, want %d", i+1, proof, got, want)
			}
		}
	}
	limits := []string{"CLIENT_IP_HEADER", "CloudFront-Viewer-Address", "RATE_LIMIT_PER_IP", "2", "RATE_LIMIT_PER_EMAIL", "0"}
	t.Run("CLIENT_IP_SECRET", func(t *testing.T) {
		behind(t, newStack(t, false, set(append(limits, "CLIENT_IP_SECRET", secret)...)))
	})
	t.Run("CLIENT_IP_SECRET_PARAM", func(t *testing.T) {
		env := emulator.Get(t)
		name := "/" + emulator.TableName(t) + "/cdn-secret"
		_, err := ssm.NewFromConfig(env.AWS).PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(secret), Type: ssmtypes.ParameterTypeSecureString})
		if err != nil {
			t.Fatal(err)
		}
		behind(t, newStack(t, false, set(append(limits, "CLIENT_IP_SECRET_PARAM", name)...)))
	})
	t.Run("CLIENT_IP_HEADER without its secret does not start", func(t *testing.T) {
		vars := testVars(emulator.TableName(t))
		vars["CLIENT_IP_HEADER"] = "CloudFront-Viewer-Address"
		if _, err := localdev.Settings(vars.Get, "http://127.0.0.1:1", emulator.Get(t).Stripe.URL); err == nil ||
			!strings.Contains(err.Error(), "CLIENT_IP_SECRET") {
			t.Fatalf("settings with CLIENT_IP_HEADER and no secret: %v", err)
		}
	})
}

// TestTurnstileRefusalsLockNoOneOut: a bot posting a named person's address (in several
// spellings) with junk Turnstile tokens is refused each time, and costs that address
// nothing: no counter is written for it, and the person, with a solved widget, then
// joins and asks for the portal link as often as the per-address limit allows.
func TestTurnstileRefusalsLockNoOneOut(t *testing.T) {
	const key = "turnstile-lockout-test-hashing-key-0123"
	v := &siteverify{hostname: "127.0.0.1"}
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	s := newStack(t, false, set("TURNSTILE_SECRET", "turnstile-test-secret", "TURNSTILE_VERIFY_URL", srv.URL, "HASH_KEY", key,
		"RATE_LIMIT_PER_IP", "100", "RATE_LIMIT_PER_EMAIL", "3", "RATE_LIMIT_WINDOW_MINUTES", "60"))
	victim := "named-person@example.org"
	for i, addr := range []string{victim, victim, "Named-Person@Example.org", "named-person+1@example.org", victim, victim, victim, victim} {
		junk := fmt.Sprintf("junk-token-%d", i)
		expectError(t, s.postJSON("/members", joiner(addr, map[string]any{"cf-turnstile-response": junk}), nil),
			http.StatusBadRequest, "validation_failed", i18n.FR, guard.TurnstileField, "une personne a envoyé")
		expectError(t, s.postJSON("/portal", map[string]any{"email": addr, "language": "en", "cf-turnstile-response": junk}, nil),
			http.StatusBadRequest, "validation_failed", i18n.EN, guard.TurnstileField, "a person sent this form")
	}
	for _, endpoint := range []string{"members", "portal"} {
		counter := "RATE#" + guard.CounterKey([]byte(key), endpoint+"|email|"+victim)
		for _, item := range s.items("rate_limit") {
			if pk := unmarshal[map[string]any](t, item)["pk"]; pk == counter {
				t.Fatalf("the bot's refused posts were counted against the address at %s", endpoint)
			}
		}
	}
	if n := len(s.items("member")) + len(s.items("member_application")) + len(s.items("email")); n != 0 {
		t.Fatalf("%d members, applications or emails from refused tokens", n)
	}
	good := "XXXX.DUMMY.TOKEN.XXXX"
	for i := 0; i < 3; i++ {
		s.join(joiner(victim, map[string]any{"cf-turnstile-response": good}))
		if res := s.postJSON("/portal", map[string]any{"email": victim, "cf-turnstile-response": good}, nil); res.status != http.StatusAccepted {
			t.Fatalf("the person's portal request %d: %d %s", i+1, res.status, res.body)
		}
	}
	expectError(t, s.postJSON("/members", joiner(victim, map[string]any{"cf-turnstile-response": good}), nil),
		http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
}

// TestHoneypotLocksNoOneOut: a stranger posting a person's address (+tagged, in JSON and
// as a plain form) with the honeypot filled in, as often as the per-address limit, is
// answered like anyone and costs that address nothing: no counter is written for it, and
// the person's own post then succeeds at each form. Those posts still count per IP.
func TestHoneypotLocksNoOneOut(t *testing.T) {
	const key, perEmail = "honeypot-lockout-test-hashing-key-01234", 5
	s := newStack(t, false, set("HASH_KEY", key, "RATE_LIMIT_PER_IP", strconv.Itoa(perEmail+1),
		"RATE_LIMIT_PER_EMAIL", strconv.Itoa(perEmail), "RATE_LIMIT_WINDOW_MINUTES", "60"))
	victim, tagged := "honeypot-victim@example.org", "Honeypot-Victim+x@Example.org"
	bot := map[string]any{"email": tagged, "website": "x"}
	person := map[string]func(){
		"members": func() { s.join(joiner(victim, nil)) },
		"portal": func() {
			if res := s.postJSON("/portal", map[string]any{"email": victim}, nil); res.status != http.StatusAccepted {
				t.Fatalf("the person's portal request: %d %s", res.status, res.body)
			}
		},
		"donations":     func() { s.donate(map[string]any{"email": victim}) },
		"subscriptions": func() { s.subscribe(victim, "solidarity-monthly", "fr") },
	}
	for _, endpoint := range []string{"members", "portal", "donations", "subscriptions"} {
		for i := 0; i < perEmail; i++ {
			var res response
			if i%2 == 0 {
				res = s.postJSON("/"+endpoint, bot, nil)
			} else {
				res = s.postForm("/"+endpoint, formOf(bot), nil)
			}
			if res.status >= 400 {
				t.Fatalf("%s: honeypot post %d: %d %s", endpoint, i+1, res.status, res.body)
			}
		}
		counter := "RATE#" + guard.CounterKey([]byte(key), endpoint+"|email|"+victim)
		for _, item := range s.items("rate_limit") {
			if pk := unmarshal[map[string]any](t, item)["pk"]; pk == counter {
				t.Fatalf("%s: the honeypot posts were counted against the address", endpoint)
			}
		}
		person[endpoint]()
		// Five honeypot posts and the person's: the client's allowance is spent.
		expectError(t, s.postJSON("/"+endpoint, map[string]any{"email": tagged, "website": "x", "language": "fr"}, nil),
			http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
	}
	if n := len(s.items("member")); n != 1 {
		t.Fatalf("%d members, want the person alone", n)
	}
}

// TestRateLimitCountsBadlyFormedPosts: every post counts against its client, even one
// whose body cannot be decoded (malformed, oversize, another media type), each answered
// with its own error until the client's allowance is spent, then 429.
func TestRateLimitCountsBadlyFormedPosts(t *testing.T) {
	s := newStack(t, false, set("RATE_LIMIT_PER_IP", "4", "RATE_LIMIT_PER_EMAIL", "0", "RATE_LIMIT_WINDOW_MINUTES", "60"))
	oversize := `{"email":"` + strings.Repeat("a", 17<<10) + `@example.org"}`
	for _, p := range []struct {
		contentType, body string
		status            int
	}{
		{"application/json", `{"email":`, http.StatusBadRequest},
		{"application/json", oversize, http.StatusRequestEntityTooLarge},
		{"text/plain", `{"email":"a@example.org"}`, http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", "email=%zz", http.StatusBadRequest},
	} {
		if res := s.do(http.MethodPost, "/members", p.contentType, p.body, nil); res.status != p.status {
			t.Fatalf("%s %.40q: %d %s, want %d", p.contentType, p.body, res.status, res.body, p.status)
		}
	}
	expectError(t, s.postJSON("/members", joiner("well-formed@example.org", nil), nil),
		http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
	expectError(t, s.do(http.MethodPost, "/members", "application/json", `{"email":`, map[string]string{"Accept-Language": "fr"}),
		http.StatusTooManyRequests, "rate_limited", i18n.FR, "", "")
	if n := len(s.items("member")); n != 0 {
		t.Fatalf("%d members", n)
	}
}

// waitMessage reports whether msg is the rate limit's message of how long to wait, in
// lang ("Try again in 45 minutes."): its minutes depend on the wall clock here.
func waitMessage(lang i18n.Lang, code string, msg any) bool {
	m, _ := msg.(string)
	if code != "rate_limited" {
		return false
	}
	if m == i18n.Text(lang, i18n.M("error.rate_limited_wait_one")) {
		return true
	}
	for _, key := range []string{"error.rate_limited_wait", "error.rate_limited_wait_hours"} {
		before, after, _ := strings.Cut(i18n.Text(lang, i18n.M(key, 987654)), "987654")
		if regexp.MustCompile("^" + regexp.QuoteMeta(before) + "[0-9]+" + regexp.QuoteMeta(after) + "$").MatchString(m) {
			return true
		}
	}
	return false
}
