package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/staff"
)

// TestMakeDev runs the local system as `make dev` does, on free ports, makes a French
// $25 gift through the form endpoint and the local checkout page, reads the receipt from
// moto, then presses Ctrl-C: everything it started must stop and free its ports.
func TestMakeDev(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "local")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	free, err := emulator.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{"PORT": free[0], "MOTO_PORT": free[1], "STRIPE_MOCK_PORT": free[2]}
	// stripe-mock also takes the port after its own (HTTPS): find one whose next is free
	// too, as the kernel's ephemeral ports of a busy machine often are not.
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(ports["STRIPE_MOCK_PORT"]+1))
		if err == nil {
			l.Close()
			break
		}
		next, err := emulator.FreePorts(3)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range next {
			if p != ports["PORT"] && p != ports["MOTO_PORT"] && p+1 != ports["PORT"] && p+1 != ports["MOTO_PORT"] {
				ports["STRIPE_MOCK_PORT"] = p
				break
			}
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(ports["PORT"]), "MOTO_PORT="+strconv.Itoa(ports["MOTO_PORT"]),
		"STRIPE_MOCK_PORT="+strconv.Itoa(ports["STRIPE_MOCK_PORT"]), "TABLE_NAME=dev-test")
	var out, errs strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://127.0.0.1:" + strconv.Itoa(ports["PORT"])
	moto := "http://127.0.0.1:" + strconv.Itoa(ports["MOTO_PORT"])
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// A readiness wait, not a timing: at the start of `go test ./...` every package
	// compiles and starts its emulators at once on the machine's two cores, and moto's
	// start once took longer than a minute (CI).
	deadline := time.Now().Add(150 * time.Second)
	for {
		res, err := client.Get(base + "/campaigns/appeal-2024")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not up after 150 s: %v\n%s\n%s", err, out.String(), tail(errs.String(), 4000))
		}
		time.Sleep(100 * time.Millisecond)
	}

	form := url.Values{"campaign": {"appeal-2024"}, "language": {"fr"}, "amount_cents": {"2500"}, "frequency": {"once"},
		"first_name": {"Élise"}, "last_name": {"Tremblay"}, "email": {"elise.dev@example.org"}}
	res, err := client.PostForm(base+"/donations", form)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("donation: %v %v", err, res)
	}
	checkout := res.Header.Get("Location")
	if res, err = client.Post(checkout+"/pay", "application/x-www-form-urlencoded", nil); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay: %v %v", err, res)
	}
	var p struct {
		Raised int64 `json:"raised_cents"`
	}
	res, err = client.Get(base + "/campaigns/appeal-2024")
	if err != nil || json.NewDecoder(res.Body).Decode(&p) != nil || p.Raised != 9_002_500 {
		t.Fatalf("raised %d %v", p.Raised, err)
	}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		sent := emulator.SentEmailsAt(t, moto, "elise.dev@example.org")
		if len(sent) == 1 && strings.Contains(sent[0].Subject, "Reçu de votre don") {
			break
		}
		if time.Since(start) > 30*time.Second { // moto behind the poller lags under CI's load
			t.Fatalf("no French receipt: %+v", sent)
		}
	}

	// The staff tool, pointed at this moto with no other setting, finds the queue of the
	// broadcast sender make dev runs and the server its emails link to.
	get, err := staff.Settings(func(k string) string {
		return map[string]string{"AWS_ENDPOINT_URL": moto, "PORT": strconv.Itoa(ports["PORT"])}[k]
	}, staff.Stack{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqs.NewFromConfig(emulator.AWSConfig(moto)).GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(localdev.BroadcastQueue)})
	if err != nil || aws.ToString(q.QueueUrl) != get("BROADCAST_QUEUE_URL") || get("PUBLIC_URL") != base {
		t.Fatalf("the staff tool's local settings: queue %q (%v), the tool's %q; public URL %q, the server %q",
			aws.ToString(q.QueueUrl), err, get("BROADCAST_QUEUE_URL"), get("PUBLIC_URL"), base)
	}

	// What it started: moto_server and stripe-mock, each the leader of its own process group.
	groups := childrenOf(t, cmd.Process.Pid)
	if len(groups) != 2 {
		t.Fatalf("expected moto_server and stripe-mock as children, found processes %v", groups)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20 s after Ctrl-C")
	}
	// No process of those groups outlives it, so none holds a port. (The ports themselves
	// are not probed: once freed, a port may be handed to another package's emulators,
	// which run beside this test under go test ./...)
	for _, p := range liveProcesses(t) {
		for _, g := range groups {
			if p.pgrp == g {
				t.Errorf("process %d (group %d, %s) still running after Ctrl-C", p.pid, g, p.comm)
			}
		}
	}
	if !strings.Contains(out.String(), "Stopped the server, moto_server and stripe-mock.") {
		t.Errorf("output:\n%s", out.String())
	}
}

type process struct {
	pid, ppid, pgrp int
	comm            string
}

// liveProcesses reads /proc: every process that is not a zombie.
func liveProcesses(t *testing.T) []process {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []process
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		s := string(stat)
		end := strings.LastIndexByte(s, ')')
		fields := strings.Fields(s[end+1:])
		if end < 0 || len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		pgrp, _ := strconv.Atoi(fields[2])
		out = append(out, process{pid: pid, ppid: ppid, pgrp: pgrp, comm: s[strings.IndexByte(s, '(')+1 : end]})
	}
	return out
}

// childrenOf returns the pids of parent's children.
func childrenOf(t *testing.T, parent int) []int {
	t.Helper()
	var out []int
	for _, p := range liveProcesses(t) {
		if p.ppid == parent {
			out = append(out, p.pid)
		}
	}
	return out
}

// tail is the last n bytes of s (the emulators' start-up messages, for a failure).
func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
