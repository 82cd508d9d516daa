// Package functions_test runs each function's real bootstrap binary under the Lambda
// Runtime Interface Emulator, with recorded API Gateway and DynamoDB stream events,
// against moto and stripe-mock.
package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// TestMain runs the tests, then checks that every AWS call the Lambdas made is one their
// roles in template.yaml allow (moto allows everything).
func TestMain(m *testing.M) {
	code := emulator.Run(m)
	if code == 0 {
		for _, p := range checkObservedActions() {
			fmt.Fprintln(os.Stderr, "FAIL:", p)
			code = 1
		}
	}
	os.Exit(code)
}

// The functions, by folder, and the hello-world baseline.
var functions = []string{"donate", "campaign", "stripe-webhook", "mailer", "signup", "unsubscribe", "subscribe", "portal", "export", "mail-events", "reconcile", "broadcast-sender"}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bootstraps builds every function for this machine (the emulator runs the host's
// architecture) the way SAM builds them, once per test binary.
func bootstraps(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "solidarity-bootstraps-")
		if buildErr != nil {
			return
		}
		for _, name := range append(functions, "testdata/hello") {
			out := filepath.Join(binDir, filepath.Base(name), "bootstrap")
			cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", out, "./functions/"+name)
			cmd.Dir = emulator.Root()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if msg, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", name, err, msg)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binDir
}

// rie is one aws-lambda-rie running one bootstrap.
type rie struct {
	url       string
	cmd       *exec.Cmd
	done      chan struct{}
	bootstrap string
	env       []string
}

func startRIE(tb testing.TB, bootstrap string, env []string) *rie {
	tb.Helper()
	// Outside a benchmark, the function's AWS calls go through an endpoint that notes
	// the IAM action each needs (iam_test.go).
	if fn := filepath.Base(filepath.Dir(bootstrap)); slices.Contains(functions, fn) {
		if _, bench := tb.(*testing.B); !bench {
			env = slices.Clone(env)
			for i, v := range env {
				if target, ok := strings.CutPrefix(v, "AWS_ENDPOINT_URL="); ok {
					env[i] = "AWS_ENDPOINT_URL=" + recordingEndpoint(tb, fn, target)
				}
			}
		}
	}
	e := &rie{bootstrap: bootstrap, env: env}
	e.start(tb)
	tb.Cleanup(e.stop)
	return e
}

// start launches the emulator on two free ports.
func (e *rie) start(tb testing.TB) {
	tb.Helper()
	bin, err := emulator.Tool("aws-lambda-rie", "AWS_LAMBDA_RIE_BIN")
	if err != nil {
		tb.Fatal(err)
	}
	ports, err := emulator.FreePorts(2)
	if err != nil {
		tb.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(bin, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]), e.bootstrap)
	cmd.Env = e.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The function's log lines (and the emulator's) go to the log book, which Run checks
	// for personal data.
	if os.Getenv("RIE_LOG") == "" {
		cmd.Stdout, cmd.Stderr = emulator.Logs, emulator.Logs
	} else {
		cmd.Stdout, cmd.Stderr = io.MultiWriter(emulator.Logs, os.Stderr), io.MultiWriter(emulator.Logs, os.Stderr)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	e.url, e.cmd, e.done = "http://"+addr+"/2015-03-31/functions/function/invocations", cmd, make(chan struct{})
	done := e.done
	go func() { _ = cmd.Wait(); close(done) }()
}

func (e *rie) stop() {
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	<-e.done
}

// invoke sends event, retrying while the emulator is still starting to listen. An
// emulator that exited before answering lost one of its ports to another process
// between the kernel naming it free and the emulator binding it: it starts again on
// others (five tries).
func (e *rie) invoke(tb testing.TB, event []byte) []byte {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for restarts := 0; ; {
		res, err := http.Post(e.url, "application/json", bytes.NewReader(event))
		if err == nil {
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				tb.Fatalf("emulator answered %d: %s", res.StatusCode, body)
			}
			return body
		}
		select {
		case <-e.done:
			if restarts++; restarts > 5 {
				tb.Fatalf("emulator exited before answering, %d times: %v", restarts, err)
			}
			e.start(tb)
			continue
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("emulator not reachable: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stack is a seeded table on moto, and the environment the functions run with.
type stack struct {
	env   *emulator.Env
	table string
	vars  []string
}

const webhookSecret = "whsec_rie_test"

func newStack(tb testing.TB) *stack {
	tb.Helper()
	env := emulator.Get(tb)
	ctx := context.Background()
	table := emulator.TableName(tb)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		tb.Fatal(err)
	}
	if err := localdev.Seed(ctx, dynamo.New(env.DB(), table)); err != nil {
		tb.Fatal(err)
	}
	ses := sesv2.NewFromConfig(env.AWS)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("appeal@solidarity.example")}); err != nil {
		tb.Fatal(err)
	}
	vars := append(os.Environ(),
		"AWS_ENDPOINT_URL="+env.Moto.URL, "AWS_REGION=ca-central-1",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"TABLE_NAME="+table, "PUBLIC_URL=https://don.example.org", "ALLOWED_ORIGINS=https://don.example.org",
		"STRIPE_API_URL="+env.Stripe.URL, "STRIPE_SECRET_KEY=sk_test_rie", "STRIPE_WEBHOOK_SECRET="+webhookSecret,
		"STRIPE_MODE=test", // localpay's events, as stripe-mock's objects, are test mode's
		"MAIL_FROM=appeal@solidarity.example", "HASH_KEY=bootstrap-tests-hashing-key-0123456789",
		"BROADCAST_QUEUE_URL="+env.Moto.URL+"/123456789012/solidarity-broadcasts", // its continuations' queue
	)
	return &stack{env: env, table: table, vars: vars}
}

func recorded(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// httpResponse is the API Gateway v2 response shape.
type httpResponse struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func decodeHTTP(tb testing.TB, raw []byte) httpResponse {
	tb.Helper()
	var r httpResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("not an HTTP API response: %s", raw)
	}
	return r
}
