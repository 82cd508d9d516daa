// Package emulator starts the local emulators — moto_server (DynamoDB, Streams, SES v2,
// S3, SQS) single-threaded and stripe-mock — on chosen or free ports, waits until they
// answer, and stops them. The test harness and `make dev` use the same code.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// StripeMockVersion is the pinned stripe-mock: its OpenAPI spec is 2023-10-16, the same
// API version as stripe-go v76.
const StripeMockVersion = "v0.180.0"

// Proc is a started emulator.
type Proc struct {
	Name string
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Stop ends the process and its group, and waits for it.
func (p *Proc) Stop() {
	if p == nil || p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// FreePorts asks the kernel for n distinct free loopback ports, holding each until all
// are chosen (two separate asks may return the same port).
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// OnFreePorts runs start on n free ports and tries again on others when the server could
// not have them: between the kernel naming a free port and the server binding it, any
// process (an outgoing connection's ephemeral port among them) may take it. Five tries.
func OnFreePorts[T any](n int, start func(ports []int) (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	for range 5 {
		var ports []int
		if ports, err = FreePorts(n); err != nil {
			return v, err
		}
		if v, err = start(ports); err == nil || !errors.Is(err, ErrPortTaken) {
			return v, err
		}
	}
	return v, err
}

// ErrPortTaken means a server could not listen on its port: it was already in use, or
// the server exited before it answered.
var ErrPortTaken = errors.New("port taken")

// Root is the module's root folder (where go.mod is).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Tool finds an installed tool: $ENV, then the repo's bin/ (where `make tools` puts
// them), then PATH.
func Tool(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if p := filepath.Join(Root(), "bin", name); fileExists(p) {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: run `make tools` (or set %s)", name, env)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func start(name, url string, logTo *os.File, bin string, args ...string) (*Proc, error) {
	// Another server on the port would answer the readiness check in our stead.
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: %s is already in use: %w", name, url, ErrPortTaken)
	}
	cmd := exec.Command(bin, args...)
	// Its own process group, stopped as a group; and killed if this process dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if logTo != nil {
		cmd.Stdout, cmd.Stderr = logTo, logTo
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, URL: url, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// waitHTTP polls url until it answers at all (any status), the process dies, or 20 s pass.
func (p *Proc) waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%w?)", p.Name, ErrPortTaken)
		case <-ctx.Done():
			p.Stop()
			return errors.Join(fmt.Errorf("%s not ready", p.Name), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// StartMoto starts moto_server single-threaded on port.
func StartMoto(ctx context.Context, port int, logTo *os.File) (*Proc, error) {
	python := os.Getenv("PYTHON")
	if python == "" {
		python = "python3"
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := start("moto_server", url, logTo, python,
		filepath.Join(Root(), "infra", "local", "moto_single.py"), "127.0.0.1", strconv.Itoa(port))
	if err != nil {
		return nil, err
	}
	return p, p.waitHTTP(ctx, url+"/moto-api/")
}

// StartStripeMock starts stripe-mock on port (HTTP) and httpsPort, in strict version mode.
func StartStripeMock(ctx context.Context, port, httpsPort int, logTo *os.File) (*Proc, error) {
	bin, err := Tool("stripe-mock", "STRIPE_MOCK_BIN")
	if err != nil {
		return nil, err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	p, err := start("stripe-mock", url, logTo, bin,
		"-http-addr", "127.0.0.1:"+strconv.Itoa(port), "-https-addr", "127.0.0.1:"+strconv.Itoa(httpsPort),
		"-strict-version-check")
	if err != nil {
		return nil, err
	}
	return p, p.waitHTTP(ctx, url+"/v1/charges")
}
