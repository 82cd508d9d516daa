package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Env is a running pair of emulators shared by a test binary's tests.
type Env struct {
	Moto   *Proc
	Stripe *Proc
	AWS    aws.Config
}

var (
	once    sync.Once
	shared  *Env
	initErr error
	tables  atomic.Int64
)

// Run runs a package's tests and then stops the emulators they started. Use it from
// TestMain: func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }. Every log line the
// tests' code writes through slog (and Lambda output sent to Logs) is checked: one that
// carries personal data fails the run.
func Run(m *testing.M) int {
	captureSlog()
	code := m.Run()
	if shared != nil {
		shared.Moto.Stop()
		shared.Stripe.Stop()
	}
	if code == 0 {
		code = checkLogs()
	} else {
		Logs.printTail(60) // what the code logged before the failure (no personal data)
	}
	return code
}

// Get starts moto_server (single-threaded) and stripe-mock on free ports the first time
// it is called, and returns them. A missing emulator fails the test: run `make tools`.
func Get(t testing.TB) *Env {
	t.Helper()
	once.Do(func() { shared, initErr = startEnv() })
	if initErr != nil {
		t.Fatalf("emulators: %v", initErr)
	}
	return shared
}

func startEnv() (*Env, error) {
	ctx := context.Background()
	moto, err := OnFreePorts(1, func(p []int) (*Proc, error) { return StartMoto(ctx, p[0], logFile("moto")) })
	if err != nil {
		return nil, err
	}
	stripeMock, err := OnFreePorts(2, func(p []int) (*Proc, error) {
		return StartStripeMock(ctx, p[0], p[1], logFile("stripe-mock"))
	})
	if err != nil {
		moto.Stop()
		return nil, err
	}
	return &Env{Moto: moto, Stripe: stripeMock, AWS: AWSConfig(moto.URL)}, nil
}

// logFile keeps an emulator's output out of the test output, in the temp folder.
func logFile(name string) *os.File {
	f, err := os.CreateTemp("", "solidarity-"+name+"-*.log")
	if err != nil {
		return nil
	}
	return f
}

// TableName returns a table name not used before in this test binary.
func TableName(t testing.TB) string {
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	if len(name) > 200 {
		name = name[:200]
	}
	return fmt.Sprintf("t%d-%d-%s", os.Getpid(), tables.Add(1), name)
}

// DB is a DynamoDB client for the emulator.
func (e *Env) DB() *dynamodb.Client { return dynamodb.NewFromConfig(e.AWS) }

// SentEmail is one message SES accepted, as moto keeps it.
type SentEmail struct {
	Source       string `json:"source"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
	Destinations struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"destinations"`
}

// SentEmails returns the messages moto's SES accepted for the address to.
func (e *Env) SentEmails(t testing.TB, to string) []SentEmail {
	t.Helper()
	return SentEmailsAt(t, e.Moto.URL, to)
}

// SentEmailsAt reads moto's sent messages at motoURL, for the address to.
func SentEmailsAt(t testing.TB, motoURL, to string) []SentEmail {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	// infra/local/moto_single.py's own list: moto's /moto-api/data.json serializes every
	// item of every table, and grows slow as the tests fill them.
	res, err := client.Get(motoURL + "/solidarity/ses/sent")
	if err != nil {
		t.Fatalf("read moto data: %v", err)
	}
	defer res.Body.Close()
	var data struct {
		SES struct {
			Message []SentEmail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(res.Body).Decode(&data); err != nil {
		t.Fatalf("decode moto data: %v", err)
	}
	var out []SentEmail
	for _, m := range data.SES.Message {
		for _, d := range m.Destinations.ToAddresses {
			if strings.EqualFold(d, to) {
				out = append(out, m)
			}
		}
	}
	return out
}
