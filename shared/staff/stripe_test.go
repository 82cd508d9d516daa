package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"
	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/stripewebhookfn"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/webhook"
)

// stripeCall is one request the staff tool sent to Stripe.
type stripeCall struct {
	Method, Path string
	Form         url.Values
}

func (c stripeCall) String() string { return c.Method + " " + c.Path }

// stripeAccount stands for a Stripe account's webhook endpoints. stripe-mock keeps no
// state and returns fixtures, so every request is first sent to stripe-mock, which
// checks it against Stripe's 2023-10-16 OpenAPI spec (a refusal is passed back as it
// is); then the account answers from its own endpoints, as Stripe would: lists in pages
// of two (newest first), the secret only on creation, updates and deletions kept.
type stripeAccount struct {
	t    *testing.T
	mock string
	now  *time.Time

	mu        sync.Mutex
	endpoints []*stripe.WebhookEndpoint // newest first
	made      int
	calls     []stripeCall
}

func newStripeAccount(t *testing.T, now *time.Time) (*stripeAccount, *httptest.Server) {
	a := &stripeAccount{t: t, mock: emulator.Get(t).Stripe.URL, now: now}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

// seed adds an endpoint made before the test, created at.
func (a *stripeAccount) seed(url, version, status string, events []string, at time.Time) *stripe.WebhookEndpoint {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.made++
	ep := &stripe.WebhookEndpoint{ID: fmt.Sprintf("we_seed%d", a.made), Object: "webhook_endpoint", URL: url,
		APIVersion: version, Status: status, EnabledEvents: events, Created: at.Unix(), Metadata: map[string]string{}}
	a.endpoints = append([]*stripe.WebhookEndpoint{ep}, a.endpoints...)
	slices.SortStableFunc(a.endpoints, func(x, y *stripe.WebhookEndpoint) int { return int(y.Created - x.Created) })
	return ep
}

// writes are the calls that changed something.
func (a *stripeAccount) writes() []stripeCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	var w []stripeCall
	for _, c := range a.calls {
		if c.Method != http.MethodGet {
			w = append(w, c)
		}
	}
	return w
}

func (a *stripeAccount) at(url string) []*stripe.WebhookEndpoint {
	a.mu.Lock()
	defer a.mu.Unlock()
	var eps []*stripe.WebhookEndpoint
	for _, ep := range a.endpoints {
		if ep.URL == url {
			cp := *ep
			eps = append(eps, &cp)
		}
	}
	return eps
}

func (a *stripeAccount) reset() {
	a.mu.Lock()
	a.calls = nil
	a.mu.Unlock()
}

func (a *stripeAccount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	a.mu.Lock()
	a.calls = append(a.calls, stripeCall{r.Method, r.URL.Path, form})
	a.mu.Unlock()

	// stripe-mock first: the request must be one Stripe's spec accepts.
	fwd, _ := http.NewRequest(r.Method, a.mock+r.URL.RequestURI(), bytes.NewReader(body))
	fwd.Header = r.Header.Clone()
	fwd.Header.Set("Authorization", "Bearer sk_test_123") // stripe-mock takes test keys only
	res, err := http.DefaultClient.Do(fwd)
	if err != nil {
		a.t.Errorf("stripe-mock: %v", err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	mockBody, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		a.t.Errorf("stripe-mock refused %s %s: %s", r.Method, r.URL.Path, mockBody)
		w.WriteHeader(res.StatusCode)
		w.Write(mockBody)
		return
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	id := strings.TrimPrefix(r.URL.Path, "/v1/webhook_endpoints/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/webhook_endpoints":
		start := 0
		if after := form.Get("starting_after"); after != "" {
			start = slices.IndexFunc(a.endpoints, func(ep *stripe.WebhookEndpoint) bool { return ep.ID == after }) + 1
		}
		end := min(start+2, len(a.endpoints))
		writeJSON(w, map[string]any{"object": "list", "url": "/v1/webhook_endpoints", "has_more": end < len(a.endpoints), "data": a.endpoints[start:end]})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/webhook_endpoints":
		var ep stripe.WebhookEndpoint // what stripe-mock reflected of the request
		if err := json.Unmarshal(mockBody, &ep); err != nil {
			a.t.Fatal(err)
		}
		a.made++
		ep.ID, ep.Created, ep.Status = fmt.Sprintf("we_made%d", a.made), a.now.Unix(), "enabled"
		stored := ep
		a.endpoints = append([]*stripe.WebhookEndpoint{&stored}, a.endpoints...)
		ep.Secret = fmt.Sprintf("whsec_made%d", a.made)
		writeJSON(w, ep)
	case r.URL.Path == "/v1/webhook_endpoints/"+id:
		i := slices.IndexFunc(a.endpoints, func(ep *stripe.WebhookEndpoint) bool { return ep.ID == id })
		if i < 0 {
			w.WriteHeader(http.StatusNotFound)
			writeJSON(w, map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "No such webhook endpoint: '" + id + "'"}})
			return
		}
		ep := a.endpoints[i]
		if r.Method == http.MethodDelete {
			a.endpoints = slices.Delete(a.endpoints, i, i+1)
			writeJSON(w, map[string]any{"id": id, "object": "webhook_endpoint", "deleted": true})
			return
		}
		if events, ok := form["enabled_events[]"]; ok {
			ep.EnabledEvents = events
		} else if len(form["enabled_events[0]"]) > 0 {
			ep.EnabledEvents = indexed(form, "enabled_events")
		}
		for k, v := range form {
			if key, ok := strings.CutPrefix(k, "metadata["); ok {
				if ep.Metadata == nil {
					ep.Metadata = map[string]string{}
				}
				ep.Metadata[strings.TrimSuffix(key, "]")] = v[0]
			}
		}
		switch form.Get("disabled") {
		case "true":
			ep.Status = "disabled"
		case "false":
			ep.Status = "enabled"
		}
		writeJSON(w, ep)
	default:
		a.t.Errorf("unexpected Stripe call %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// indexed reads a form list sent as name[0], name[1]… (stripe-go's encoding).
func indexed(form url.Values, name string) []string {
	var v []string
	for i := 0; ; i++ {
		s, ok := form[name+"["+strconv.Itoa(i)+"]"]
		if !ok {
			return v
		}
		v = append(v, s...)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// connectRig is a Stripe account, an SSM parameter name in moto and a clock, and the
// command run against them.
type connectRig struct {
	stripe *stripeAccount
	ssm    *ssm.Client
	param  string
	url    string
	now    time.Time
	key    string
	srvURL string
}

func newConnectRig(t *testing.T) *connectRig {
	t.Helper()
	env := emulator.Get(t)
	r := &connectRig{ssm: ssm.NewFromConfig(env.AWS), param: "/" + emulator.TableName(t) + "/stripe-webhook-secret",
		url: "https://api.example.org/webhooks/stripe", now: time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC), key: "sk_test_connect"}
	var srv *httptest.Server
	r.stripe, srv = newStripeAccount(t, &r.now)
	r.srvURL = srv.URL
	// Another stack's endpoint and two at other addresses: only the exact URL counts,
	// and the list takes pages.
	r.stripe.seed("https://other.example.org/webhooks/stripe", webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(-72*time.Hour))
	r.stripe.seed("https://api.example.org/webhooks/stripe/", webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(-71*time.Hour))
	r.stripe.seed("https://api.example.org/webhooks/other", webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(-70*time.Hour))
	return r
}

func (r *connectRig) run(args ...string) (string, error) {
	src := Sources{Now: func() time.Time { return r.now }, Stripe: func(context.Context) (StripeAccount, error) {
		a := NewStripeAccount(payment.Backend(r.srvURL), r.key, r.ssm)
		a.Stack = "solidarity-prod"
		return a, nil
	}}
	var out bytes.Buffer
	err := Run(context.Background(), nil, src, append([]string{"stripe", "connect", "-url", r.url, "-param", r.param}, args...), &out)
	return out.String(), err
}

// stored is the parameter as SSM holds it (found false: there is none).
func (r *connectRig) stored(t *testing.T) (p ssmtypes.Parameter, found bool) {
	t.Helper()
	res, err := r.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(r.param), WithDecryption: aws.Bool(true)})
	var notFound *ssmtypes.ParameterNotFound
	if errors.As(err, &notFound) {
		return ssmtypes.Parameter{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return *res.Parameter, true
}

func (r *connectRig) put(t *testing.T, value string) {
	t.Helper()
	if _, err := r.ssm.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String(r.param), Value: aws.String(value),
		Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
}

// accepts reports whether the stripe-webhook function, built as in AWS with its secret
// read from the parameter, accepts an event signed with secret.
func (r *connectRig) accepts(t *testing.T, secret string) bool {
	t.Helper()
	env := emulator.Get(t)
	h, err := stripewebhookfn.New(context.Background(), assembly.Env{AWS: env.AWS,
		Config: config.Config{Table: "unused", StripeWebhookSecretParam: r.param, StripeMode: config.StripeTest}})
	if err != nil {
		t.Fatal(err)
	}
	// A type the webhook ignores: the answer is the signature's verdict alone.
	payload := localpay.Event("customer.created", localpay.Object{"id": "cus_1", "object": "customer"}, time.Now())
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", strings.NewReader(string(payload)))
	req.Header.Set("Stripe-Signature", localpay.Sign(payload, secret, time.Now()))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 && w.Code != 400 {
		t.Fatalf("status %d", w.Code)
	}
	return w.Code == 200
}

func wantIn(t *testing.T, got string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("%q\nlacks %q", got, p)
		}
	}
}

func TestStripeConnectCreatesThenChangesNothing(t *testing.T) {
	r := newConnectRig(t)
	out, err := r.run()
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "warning: the Stripe key is a test key (sk_test_…)", "created webhook endpoint we_made4 for https://api.example.org/webhooks/stripe: API version 2023-10-16, the "+handledCount+" handled events",
		"stored its signing secret in the SSM parameter "+r.param+" (SecureString)")

	w := r.stripe.writes()
	if len(w) != 2 || w[0].String() != "POST /v1/webhook_endpoints" || w[1].String() != "POST /v1/webhook_endpoints/we_made4" ||
		w[1].Form.Get("metadata["+SecretMark+"]") != Fingerprint("whsec_made4") || len(w[1].Form) != 1 {
		t.Fatalf("writes %v, want a creation, then the mark of its secret (alone)", w)
	}
	f := w[0].Form
	if f.Get("url") != r.url || f.Get("api_version") != "2023-10-16" || f.Get("connect") != "" {
		t.Errorf("created with %v", f)
	}
	if events := indexed(f, "enabled_events"); !slices.Equal(events, webhook.HandledEvents()) {
		t.Errorf("created with events %v, want exactly %v", events, webhook.HandledEvents())
	}
	wantIn(t, f.Get("description"), organization.Default().Name.EN+" (stack solidarity-prod)")
	pages := 0
	for _, c := range r.stripe.calls {
		if c.Method == http.MethodGet {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("listed %d pages of three endpoints, in pages of two: want 2", pages)
	}
	p, found := r.stored(t)
	if !found || p.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(p.Value) != "whsec_made4" {
		t.Fatalf("parameter %+v (found %v), want the SecureString whsec_made4", p, found)
	}
	if !r.accepts(t, "whsec_made4") || r.accepts(t, "whsec_other") {
		t.Fatal("the webhook function does not go by the stored secret")
	}

	r.stripe.reset()
	out, err = r.run()
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "already connected: webhook endpoint we_made4 sends the "+handledCount+" handled events, API version 2023-10-16")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("the second run changed %v", w)
	}
	if again, _ := r.stored(t); again.Version != p.Version {
		t.Fatalf("the second run wrote the parameter (version %d → %d)", p.Version, again.Version)
	}
}

func TestStripeConnectDryRunChangesNothing(t *testing.T) {
	r := newConnectRig(t)
	out, err := r.run("-dry-run")
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "would create a webhook endpoint for "+r.url+" with API version 2023-10-16", "nothing changed")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("a dry run sent %v", w)
	}
	if _, found := r.stored(t); found {
		t.Fatal("a dry run wrote the parameter")
	}
}

func TestStripeConnectRefusesAnotherAPIVersion(t *testing.T) {
	for _, version := range []string{"2024-06-20", ""} {
		t.Run("version "+version, func(t *testing.T) {
			r := newConnectRig(t)
			old := r.stripe.seed(r.url, version, "enabled", webhook.HandledEvents(), r.now.Add(-24*time.Hour))
			r.put(t, "whsec_old")
			before, _ := r.stored(t)
			_, err := r.run()
			shown := "API version " + version
			if version == "" {
				shown = "the account's default API version"
			}
			if err == nil {
				t.Fatal("connected an endpoint of another API version")
			}
			wantIn(t, err.Error(), "webhook endpoint "+old.ID+" for "+r.url+" sends events of "+shown+", but this code reads 2023-10-16 only, so the webhook refuses every event it sends",
				"Stripe cannot change the API version of an existing endpoint: run again with -replace")
			if w := r.stripe.writes(); len(w) != 0 {
				t.Fatalf("refused, yet sent %v", w)
			}
			if after, _ := r.stored(t); after.Version != before.Version {
				t.Fatal("refused, yet wrote the parameter")
			}
		})
	}
}

func TestStripeConnectUpdatesEventsAndStatus(t *testing.T) {
	r := newConnectRig(t)
	events := slices.DeleteFunc(webhook.HandledEvents(), func(e string) bool { return e == "invoice.upcoming" })
	ep := r.stripe.seed(r.url, webhook.APIVersion, "disabled", append(events, "charge.succeeded"), r.now.Add(-24*time.Hour))
	r.put(t, "whsec_kept")
	out, err := r.run()
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "updated webhook endpoint "+ep.ID+" for "+r.url+": added invoice.upcoming; removed charge.succeeded; enabled it (it was disabled)",
		"cannot check the secret: the endpoint was not made by stripe connect")
	w := r.stripe.writes()
	if len(w) != 1 || w[0].String() != "POST /v1/webhook_endpoints/"+ep.ID {
		t.Fatalf("writes %v, want one update", w)
	}
	if got := indexed(w[0].Form, "enabled_events"); !slices.Equal(got, webhook.HandledEvents()) || w[0].Form.Get("disabled") != "false" {
		t.Fatalf("updated with %v", w[0].Form)
	}
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_kept" {
		t.Fatalf("an update changed the secret: %q", aws.ToString(p.Value))
	}
	// Seeded as in the dashboard, it carries no fingerprint: connect cannot tell whether
	// the parameter holds its secret, and says so rather than "already connected".
	r.stripe.reset()
	out, err = r.run()
	if err != nil || len(r.stripe.writes()) != 0 || strings.Contains(out, "already connected") {
		t.Fatalf("second run: %q %v %v", out, err, r.stripe.writes())
	}
	wantIn(t, out, "connected (cannot check the secret: the endpoint was not made by stripe connect): webhook endpoint "+ep.ID+" sends the "+handledCount+" handled events, API version 2023-10-16, to "+r.url,
		"run again with -replace, then -finish-rotation")
}

// Stripe's secret key: STRIPE_SECRET_KEY locally, else its parameter, whose absence is
// said with the command that creates it.
func TestReadStripeKey(t *testing.T) {
	ctx := context.Background()
	r := newConnectRig(t)
	if k, err := ReadStripeKey(ctx, r.ssm, "sk_test_local", r.param, "ca-central-1"); err != nil || k != "sk_test_local" {
		t.Fatalf("local key: %q %v", k, err)
	}
	_, err := ReadStripeKey(ctx, r.ssm, "", r.param, "ca-central-1")
	want := "The SSM parameter " + r.param + " (the Stripe secret key) does not exist: create it (README deploy step 3): aws ssm put-parameter --region ca-central-1 --type SecureString --name " + r.param +
		" --value 'sk_live_…' (the secret key in Stripe's dashboard: Developers → API keys)"
	if err == nil || err.Error() != want {
		t.Fatalf("missing parameter: %v\nwant %s", err, want)
	}
	r.put(t, "sk_test_fromssm")
	if k, err := ReadStripeKey(ctx, r.ssm, "", r.param, "ca-central-1"); err != nil || k != "sk_test_fromssm" {
		t.Fatalf("from SSM: %q %v", k, err)
	}
	if _, err := ReadStripeKey(ctx, r.ssm, "", "", "ca-central-1"); err == nil || !strings.Contains(err.Error(), "STRIPE_SECRET_KEY_PARAM") {
		t.Fatalf("no parameter named: %v", err)
	}
}

func TestStripeConnectWithoutTheParameter(t *testing.T) {
	r := newConnectRig(t)
	ep := r.stripe.seed(r.url, webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(-24*time.Hour))
	_, err := r.run()
	if err == nil {
		t.Fatal("connected without the secret")
	}
	wantIn(t, err.Error(), "webhook endpoint "+ep.ID+" sends to "+r.url+", but the SSM parameter "+r.param+" does not exist",
		"Stripe shows an endpoint's signing secret only when it creates it: it cannot be read back", "Run again with -replace")
	if len(r.stripe.writes()) != 0 {
		t.Fatal("changed the endpoint")
	}
	if _, found := r.stored(t); found {
		t.Fatal("made up a parameter")
	}

	// -replace is the way out: the old secret being unknown, the new one alone is stored.
	out, err := r.run("-replace")
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "holds the new signing secret only")
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_made5" {
		t.Fatalf("parameter %q", aws.ToString(p.Value))
	}
}

func TestStripeConnectRotation(t *testing.T) {
	r := newConnectRig(t)
	old := r.stripe.seed(r.url, "2024-06-20", "enabled", webhook.HandledEvents(), r.now.Add(-30*24*time.Hour))
	r.put(t, "whsec_old")

	out, err := r.run("-replace")
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "created webhook endpoint we_made5 for "+r.url+": API version 2023-10-16, the "+handledCount+" handled events, beside the old "+old.ID,
		"now holds both signing secrets, the new one first",
		"the webhook applies an event id once, so the second delivery changes nothing",
		"finish after 2026-11-27 18:10 UTC", "staff stripe connect -url "+r.url+" -param "+r.param+" -finish-rotation")
	if w := r.stripe.writes(); len(w) != 2 || w[0].String() != "POST /v1/webhook_endpoints" || w[0].Form.Get("api_version") != "2023-10-16" ||
		w[1].Form.Get("metadata["+SecretMark+"]") != Fingerprint("whsec_made5") {
		t.Fatalf("writes %v", w)
	}
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_made5,whsec_old" || p.Type != ssmtypes.ParameterTypeSecureString {
		t.Fatalf("parameter %q (%s), want the new secret then the old", aws.ToString(p.Value), p.Type)
	}
	if !r.accepts(t, "whsec_made5") || !r.accepts(t, "whsec_old") || r.accepts(t, "whsec_other") {
		t.Fatal("during the overlap the webhook must accept both secrets, and only them")
	}

	// Neither a second -replace nor a plain run piles up endpoints meanwhile.
	r.stripe.reset()
	_, err = r.run("-replace")
	wantIn(t, errText(err), "a rotation is under way already", "Finish it first with -finish-rotation")
	_, err = r.run()
	wantIn(t, errText(err), "a rotation is under way", "-finish-rotation")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("sent %v", w)
	}

	// Too early: running functions may not have read the new secret yet.
	r.now = r.now.Add(5 * time.Minute)
	_, err = r.run("-finish-rotation")
	wantIn(t, errText(err), "webhook endpoint we_made5 was created at 18:00:00 UTC", "finish after 18:10:00 UTC (in 5m0s)")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("finished early: %v", w)
	}

	r.now = r.now.Add(5 * time.Minute)
	if out, err := r.run("-finish-rotation", "-dry-run"); err != nil || !strings.Contains(out, "would delete webhook endpoint "+old.ID) || len(r.stripe.writes()) != 0 {
		t.Fatalf("dry run: %q %v %v", out, err, r.stripe.writes())
	}
	out, err = r.run("-finish-rotation")
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "deleted webhook endpoint "+old.ID+" (API version 2024-06-20", "now holds only the new signing secret", "rotation finished: webhook endpoint we_made5 alone sends to "+r.url)
	if w := r.stripe.writes(); len(w) != 1 || w[0].String() != "DELETE /v1/webhook_endpoints/"+old.ID {
		t.Fatalf("writes %v, want the old endpoint's deletion", w)
	}
	if eps := r.stripe.at(r.url); len(eps) != 1 || eps[0].ID != "we_made5" {
		t.Fatalf("endpoints at the URL: %v", eps)
	}
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_made5" {
		t.Fatalf("parameter %q, want the new secret alone", aws.ToString(p.Value))
	}
	if !r.accepts(t, "whsec_made5") || r.accepts(t, "whsec_old") {
		t.Fatal("after the rotation only the new secret may be accepted")
	}

	r.stripe.reset()
	for _, args := range [][]string{nil, {"-finish-rotation"}} {
		out, err := r.run(args...)
		if err != nil || !strings.Contains(out, "already connected") {
			t.Fatalf("%v after the rotation: %q %v", args, out, err)
		}
	}
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("sent %v", w)
	}
}

// A rotation of the secret alone (same API version) goes the same way; an SSM failure
// after the endpoint was made deletes it again, so nothing is left half done.
func TestStripeConnectReplaceUndoesWhenTheSecretCannotBeStored(t *testing.T) {
	r := newConnectRig(t)
	r.stripe.seed(r.url, webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(-24*time.Hour))
	r.put(t, "whsec_old")
	good := r.ssm
	defer func() { r.ssm = good }()
	r.ssm = ssm.NewFromConfig(emulator.Get(t).AWS, func(o *ssm.Options) {
		o.APIOptions = append(o.APIOptions, failPut)
	})
	_, err := r.run("-replace")
	wantIn(t, errText(err), "write the SSM parameter", "was deleted again, nothing else changed")
	w := r.stripe.writes()
	if len(w) != 3 || w[0].String() != "POST /v1/webhook_endpoints" || w[2].String() != "DELETE /v1/webhook_endpoints/we_made5" {
		t.Fatalf("writes %v, want the creation, its mark, then its deletion", w)
	}
	if eps := r.stripe.at(r.url); len(eps) != 1 {
		t.Fatalf("endpoints left: %v", eps)
	}
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_old" {
		t.Fatalf("parameter %q", aws.ToString(p.Value))
	}
}

func TestStripeConnectRefusals(t *testing.T) {
	r := newConnectRig(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-url", "http://api.example.org/webhooks/stripe"}, "must be an https address"},
		{[]string{"-url", "api.example.org/webhooks/stripe"}, "is not an address"},
		{[]string{"-url", "https://api.example.org/webhooks/stripe?x=1"}, "without a user, query or fragment"},
		{[]string{"-url", ""}, "-url"},
		{[]string{"-param", ""}, "-param"},
		{[]string{"-replace", "-finish-rotation"}, "give one"},
		{[]string{"extra"}, `stripe connect takes only options (words that start with -), not "extra"`},
	} {
		_, err := r.run(tt.args...)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want a usage error with %q", tt.args, err, tt.want)
		}
	}
	if len(r.stripe.calls) != 0 {
		t.Fatalf("refused input reached Stripe: %v", r.stripe.calls)
	}
	r.key = liveKeyPrefix + "connect"
	out, err := r.run("-dry-run")
	if err != nil || !strings.Contains(out, "Stripe key: live mode") || strings.Contains(out, "warning: the Stripe key") {
		t.Fatalf("live key: %q %v", out, err)
	}
}

func TestCheckWebhookURL(t *testing.T) {
	for _, tt := range []struct {
		in      string
		ok      bool
		warning bool
	}{
		{"https://api.example.org/webhooks/stripe", true, false},
		{"https://abc123.execute-api.ca-central-1.amazonaws.com/webhooks/stripe", true, false},
		{"https://api.example.org/v1/webhooks/stripe", true, false},
		{"https://api.example.org/", true, true},
		{"https://api.example.org/webhooks/stripe/", true, true},
		{"http://127.0.0.1:8080/webhooks/stripe", true, false},
		{"http://localhost:8080/webhooks/stripe", true, false},
		{"http://[::1]:8080/webhooks/stripe", true, false},
		{"http://api.example.org/webhooks/stripe", false, false},
		{"http://127.0.0.1.example.org/webhooks/stripe", false, false},
		{"ftp://api.example.org/webhooks/stripe", false, false},
		{"https:///webhooks/stripe", false, false},
		{"https://user:pw@api.example.org/webhooks/stripe", false, false},
		{"https://api.example.org/webhooks/stripe?", false, false},
		{"https://api.example.org/webhooks/stripe#x", false, false},
		{"api.example.org/webhooks/stripe", false, false},
		{"", false, false},
		{"https://api.example.org:bad/webhooks/stripe", false, false},
	} {
		warning, err := CheckWebhookURL(tt.in)
		if (err == nil) != tt.ok || (warning != "") != tt.warning {
			t.Errorf("CheckWebhookURL(%q) = %q, %v", tt.in, warning, err)
		}
		if err != nil && !errors.Is(err, ErrUsage) {
			t.Errorf("CheckWebhookURL(%q): %v is not a usage error", tt.in, err)
		}
	}
}

// FuzzCheckWebhookURL: whatever it accepts is an https address with a host (http only
// to this machine), with nothing after the path.
func FuzzCheckWebhookURL(f *testing.F) {
	for _, s := range []string{"https://api.example.org/webhooks/stripe", "http://127.0.0.1:8080/webhooks/stripe", "http://x/", "https://a@b/c?d#e", "https://[::1]/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if _, err := CheckWebhookURL(in); err != nil {
			return
		}
		u, err := url.Parse(in)
		if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("accepted %q", in)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && IsLocalEndpoint(in)) {
			t.Fatalf("accepted %q over %s", in, u.Scheme)
		}
	})
}

// The doctor's view of the endpoint is the newest at the URL.
func TestFindWebhookEndpoint(t *testing.T) {
	r := newConnectRig(t)
	api := NewStripeAccount(payment.Backend(r.srvURL), r.key, nil).Endpoints
	if _, found, err := FindWebhookEndpoint(context.Background(), api, r.url); err != nil || found {
		t.Fatalf("found %v, %v with no endpoint at the URL", found, err)
	}
	r.stripe.seed(r.url, "2024-06-20", "enabled", webhook.HandledEvents(), r.now.Add(-48*time.Hour))
	newest := r.stripe.seed(r.url, webhook.APIVersion, "disabled", []string{"invoice.paid"}, r.now.Add(-time.Hour))
	ep, found, err := FindWebhookEndpoint(context.Background(), api, r.url)
	if err != nil || !found || ep.ID != newest.ID || ep.APIVersion != webhook.APIVersion || ep.Enabled || !slices.Equal(ep.Events, []string{"invoice.paid"}) {
		t.Fatalf("%+v %v %v", ep, found, err)
	}
}

// failPut makes an SSM client's PutParameter fail before it is sent, as when the staff
// policy does not allow it.
func failPut(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("failPut", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		if _, ok := in.Parameters.(*ssm.PutParameterInput); ok {
			return middleware.InitializeOutput{}, middleware.Metadata{}, errors.New("AccessDeniedException: not allowed (test)")
		}
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

// Each endpoint connect makes carries its secret's fingerprint: a parameter changed by
// hand is caught, and -finish-rotation keeps the endpoint whose secret the parameter
// names first, whatever else was made at the URL meanwhile.
func TestStripeConnectKnowsWhichSecretIsWhose(t *testing.T) {
	r := newConnectRig(t)
	if _, err := r.run(); err != nil {
		t.Fatal(err)
	}
	r.put(t, "whsec_pasted")
	r.stripe.reset()
	_, err := r.run()
	wantIn(t, errText(err), "the SSM parameter "+r.param+" does not hold the signing secret of webhook endpoint we_made4", "run again with -replace")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("sent %v", w)
	}

	r.put(t, "whsec_made4")
	if _, err := r.run("-replace"); err != nil {
		t.Fatal(err)
	}
	// Someone adds an endpoint for the same URL in the dashboard, after -replace.
	dashboard := r.stripe.seed(r.url, webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(time.Minute))
	r.now = r.now.Add(RotationWait)
	out, err := r.run("-finish-rotation")
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, out, "deleted webhook endpoint we_made4", "deleted webhook endpoint "+dashboard.ID, "rotation finished: webhook endpoint we_made5 alone sends")
	if eps := r.stripe.at(r.url); len(eps) != 1 || eps[0].ID != "we_made5" {
		t.Fatalf("endpoints left %v", eps)
	}
	if p, _ := r.stored(t); aws.ToString(p.Value) != "whsec_made5" {
		t.Fatalf("parameter %q", aws.ToString(p.Value))
	}

	// A parameter whose newest secret is no endpoint's: finishing could keep the wrong one.
	r.stripe.seed(r.url, webhook.APIVersion, "enabled", webhook.HandledEvents(), r.now.Add(time.Minute))
	r.put(t, "whsec_pasted,whsec_made5")
	r.stripe.reset()
	_, err = r.run("-finish-rotation")
	wantIn(t, errText(err), "is the signing secret of no webhook endpoint for "+r.url+" that staff stripe connect made")
	if w := r.stripe.writes(); len(w) != 0 {
		t.Fatalf("sent %v", w)
	}
}

// handledCount is how many event types the webhook handles, as the messages count them.
var handledCount = strconv.Itoa(len(webhook.HandledEvents()))
