package secret_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dev/emulator"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// counting is an HTTP client that counts the SSM operations it carries.
type counting struct {
	mu      sync.Mutex
	targets []string
	names   [][]string // the names each call asked for
}

func (c *counting) Do(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct{ Names []string }
	_ = json.Unmarshal(body, &in)
	c.mu.Lock()
	c.targets = append(c.targets, r.Header.Get("X-Amz-Target"))
	c.names = append(c.names, in.Names)
	c.mu.Unlock()
	return http.DefaultClient.Do(r)
}

// TestPreloadReadsEverySecretInOneCall: on moto's SSM, a form function's four secrets
// named by parameter are read by one GetParameters and land in the settings; a secret
// given locally, or one the settings do not use, is not asked for; a name SSM does not
// have is an error naming the setting and the parameter.
func TestPreloadReadsEverySecretInOneCall(t *testing.T) {
	env := emulator.Get(t)
	ctx := context.Background()
	prefix := "/" + emulator.TableName(t) + "/"
	values := map[string]string{"stripe": "sk_test_from_ssm", "hash": "a-hashing-key-of-thirty-two-bytes-at-least",
		"turnstile": "0x4AAA-from-ssm", "cdn": "cdn-secret-from-ssm-0123"}
	for name, v := range values {
		if _, err := ssm.NewFromConfig(env.AWS).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(prefix + name),
			Value: aws.String(v), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	build := func(t *testing.T, settings map[string]string) (assembly.Env, *counting) {
		t.Helper()
		c, err := config.LoadFrom(func(k string) string { return settings[k] })
		if err != nil {
			t.Fatal(err)
		}
		cfg := env.AWS.Copy()
		hc := &counting{}
		cfg.HTTPClient = hc
		return assembly.Env{Config: c, AWS: cfg}, hc
	}
	all := map[string]string{"TABLE_NAME": "t", "STRIPE_SECRET_KEY_PARAM": prefix + "stripe", "HASH_KEY_PARAM": prefix + "hash",
		"TURNSTILE_SECRET_PARAM": prefix + "turnstile", "CLIENT_IP_HEADER": "CloudFront-Viewer-Address", "CLIENT_IP_SECRET_PARAM": prefix + "cdn"}
	wants := []secret.Want{secret.StripeSecretKey, secret.HashKey, secret.TurnstileSecret, secret.ClientIPSecret}

	t.Run("four named, one call", func(t *testing.T) {
		e, hc := build(t, all)
		got, err := secret.Preload(ctx, e, wants...)
		if err != nil {
			t.Fatal(err)
		}
		c := got.Config
		if c.StripeSecretKey != values["stripe"] || c.HashKey != values["hash"] || c.TurnstileSecret != values["turnstile"] || c.ClientIPSecret != values["cdn"] {
			t.Errorf("settings after preload: %q %q %q %q", c.StripeSecretKey, c.HashKey, c.TurnstileSecret, c.ClientIPSecret)
		}
		if len(hc.targets) != 1 || hc.targets[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", hc.targets)
		}
		if e.Config.StripeSecretKey != "" {
			t.Error("Preload changed the Env it was given")
		}
		hc.targets, hc.names = nil, nil // the hashing key wanted twice is asked for once
		if _, err := secret.Preload(ctx, e, append(wants, secret.HashKey.Always())...); err != nil || len(hc.names) != 1 || len(hc.names[0]) != 4 {
			t.Errorf("asked for %q, %v; want the four names once", hc.names, err)
		}
	})
	t.Run("given, or not used: not asked for", func(t *testing.T) {
		s := map[string]string{}
		for k, v := range all {
			s[k] = v
		}
		s["STRIPE_SECRET_KEY"] = "sk_test_local"
		s["RATE_LIMIT_PER_IP"], s["RATE_LIMIT_PER_EMAIL"] = "0", "0" // no limit: no hashing key
		delete(s, "CLIENT_IP_HEADER")                                // no header: no CDN secret
		e, hc := build(t, s)
		got, err := secret.Preload(ctx, e, wants...)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Config; c.StripeSecretKey != "sk_test_local" || c.HashKey != "" || c.ClientIPSecret != "" || c.TurnstileSecret != values["turnstile"] {
			t.Errorf("settings after preload: %+v", c)
		}
		if len(hc.targets) != 1 {
			t.Errorf("calls %q, want one", hc.targets)
		}
		// Signup keys its notices with the hashing key, limits or not.
		hc.targets, hc.names = nil, nil
		got, err = secret.Preload(ctx, e, append(wants, secret.HashKey.Always())...)
		if err != nil || got.Config.HashKey != values["hash"] {
			t.Errorf("the hashing key, always: %q, %v", got.Config.HashKey, err)
		}
		if len(hc.targets) != 1 || len(hc.names[0]) != 2 {
			t.Errorf("calls %q asking for %q, want one asking for the hashing key once, and Turnstile's", hc.targets, hc.names)
		}
		s["TURNSTILE_SECRET"] = "local"
		e, hc = build(t, s)
		if _, err := secret.Preload(ctx, e, wants...); err != nil || len(hc.targets) != 0 {
			t.Errorf("nothing to read: %v, calls %q", err, hc.targets)
		}
	})
	t.Run("a name SSM does not have", func(t *testing.T) {
		s := map[string]string{}
		for k, v := range all {
			s[k] = v
		}
		s["TURNSTILE_SECRET_PARAM"] = prefix + "no-such-parameter"
		e, _ := build(t, s)
		_, err := secret.Preload(ctx, e, wants...)
		if err == nil || !strings.Contains(err.Error(), "TURNSTILE_SECRET") || !strings.Contains(err.Error(), "no-such-parameter") {
			t.Errorf("err %v, want one naming TURNSTILE_SECRET and its parameter", err)
		}
		for _, v := range values {
			if err != nil && strings.Contains(err.Error(), v) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	})
	t.Run("Resolve reads one", func(t *testing.T) {
		v, err := secret.Resolve(ctx, secret.NewClient(env.AWS), "HASH_KEY", "", prefix+"hash")
		if err != nil || v != values["hash"] {
			t.Errorf("%q, %v", v, err)
		}
	})
}

// TestClientAnswers: the request is SSM's, signed for it; a throttle is tried again; a
// refusal is an error with SSM's reason, not tried again; more than ten names take more
// calls.
func TestClientAnswers(t *testing.T) {
	var mu sync.Mutex
	var answers []func(w http.ResponseWriter, names string)
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r)
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := r.Body.Read(buf)
		b.Write(buf[:n])
		next := answers[0]
		if len(answers) > 1 {
			answers = answers[1:]
		}
		next(w, b.String())
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "ca-central-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "token")}
	ok := func(w http.ResponseWriter, names string) {
		fmt.Fprint(w, `{"Parameters":[{"Name":"/a","Value":"one","Type":"SecureString"}],"InvalidParameters":["/missing"]}`)
	}
	fail := func(status int, typ string) func(http.ResponseWriter, string) {
		return func(w http.ResponseWriter, _ string) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":"%s","message":"because"}`, typ)
		}
	}
	ctx := context.Background()

	answers = []func(http.ResponseWriter, string){fail(400, "ThrottlingException"), ok}
	got, err := secret.NewClient(cfg).Parameters(ctx, []string{"/a", "/missing"})
	if err != nil || len(got) != 1 || got["/a"] != "one" {
		t.Fatalf("%v, %v", got, err)
	}
	if len(seen) != 2 {
		t.Errorf("%d requests, want 2 (a throttle, then the answer)", len(seen))
	}
	r := seen[0]
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameters" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("X-Amz-Security-Token") != "token" ||
		!strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDTEST/") || !strings.Contains(r.Header.Get("Authorization"), "/ca-central-1/ssm/aws4_request") {
		t.Errorf("request %s %v", r.Method, r.Header)
	}

	seen, answers = nil, []func(http.ResponseWriter, string){fail(400, "com.amazonaws.ssm#AccessDeniedException")}
	_, err = secret.NewClient(cfg).Parameters(ctx, []string{"/a"})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException: because") || len(seen) != 1 {
		t.Errorf("a refusal: %v after %d requests", err, len(seen))
	}

	seen, answers = nil, []func(http.ResponseWriter, string){fail(500, "InternalServerError")}
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	if _, err := secret.NewClient(cfg).Parameters(ctx, []string{"/a"}); err == nil || len(seen) != 1 {
		t.Errorf("a server error with a retryer of one attempt: %v after %d requests", err, len(seen))
	}

	seen, answers = nil, []func(http.ResponseWriter, string){ok}
	names := make([]string, 23)
	for i := range names {
		names[i] = fmt.Sprintf("/n%d", i)
	}
	if _, err := secret.NewClient(cfg).Parameters(ctx, names); err != nil || len(seen) != 3 {
		t.Errorf("23 names: %v, %d calls, want 3", err, len(seen))
	}
}
