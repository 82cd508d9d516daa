// Command bench is `make bench`: it measures the figures the README keeps — each
// function's cold start against a hello-world Lambda and its arm64 binary size, the
// DynamoDB calls of each operation, the request paths against a decode-and-encode floor,
// and reading an export against jq — prints them as a table, and writes the table into
// the README between its bench markers, with the machine it ran on.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

func main() {
	var out strings.Builder
	fmt.Fprintf(&out, "Measured %s on %s (%d cores, %s, %s/%s).\n\n", time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)

	step("binary sizes (make build)")
	run("make", "build")
	sizes := map[string]float64{}
	dirs, _ := filepath.Glob("build/*/bootstrap")
	for _, p := range dirs {
		if info, err := os.Stat(p); err == nil {
			sizes[filepath.Base(filepath.Dir(p))] = float64(info.Size()) / (1 << 20)
		}
	}
	step("cold starts under the Lambda emulator (15 alternating launches each)")
	cold := parse(run("go", "test", "./functions", "-run", "^$", "-bench", "ColdStart", "-benchtime", "15x"),
		`BenchmarkColdStart/([\w-]+)-\d+\s.*?([\d.]+) ms-median.*?([\d.]+) x-hello`)
	out.WriteString("| function | cold start (ms, median) | × hello world | arm64 binary (MiB) |\n|---|---:|---:|---:|\n")
	names := map[string]string{"donate": "DonateFunction", "campaign": "CampaignFunction", "stripe-webhook": "StripeWebhookFunction",
		"mailer": "MailerFunction", "signup": "SignupFunction", "unsubscribe": "UnsubscribeFunction", "subscribe": "SubscribeFunction",
		"portal": "PortalFunction", "export": "ExportFunction"}
	for _, fn := range []string{"donate", "campaign", "stripe-webhook", "mailer", "signup", "unsubscribe", "subscribe", "portal", "export"} {
		ms, ratio := "—", "—"
		if m, ok := cold[fn]; ok {
			ms, ratio = m[0], m[1]
		}
		fmt.Fprintf(&out, "| %s | %s | %s | %.2f |\n", fn, ms, ratio, sizes[names[fn]])
	}

	step("DynamoDB calls per operation (asserted in shared/dynamo/calls_test.go)")
	out.WriteString("\n| operation | DynamoDB calls |\n|---|---|\n")
	calls := regexp.MustCompile(`dynamodb calls \| (.+?) \| map\[(.*)\]`)
	for _, m := range calls.FindAllStringSubmatch(run("go", "test", "./shared/dynamo", "-run", "Calls", "-count=1", "-v"), -1) {
		fmt.Fprintf(&out, "| %s | %s |\n", m[1], strings.ReplaceAll(m[2], ":", " "))
	}

	step("request paths in process, beside their floors")
	paths := parse(run("go", "test", "./shared/donate", "./shared/signup", "./shared/webhook", "-run", "^$", "-bench", "Path|Floor", "-benchmem"),
		`Benchmark(\w+?(?:Path|Floor))-\d+\s+\d+\s+(\d+) ns/op\s+\d+ B/op\s+(\d+) allocs/op`)
	out.WriteString("\n| request path | ns/op | allocs/op | floor ns/op | floor allocs/op | × floor |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range []string{"Donate", "Signup", "Webhook"} {
		path, floor := paths[p+"Path"], paths[p+"Floor"]
		if len(path) < 2 || len(floor) < 2 {
			continue
		}
		var a, f float64
		fmt.Sscan(path[0], &a)
		fmt.Sscan(floor[0], &f)
		fmt.Fprintf(&out, "| %s | %s | %s | %s | %s | %.1f |\n", p, path[0], path[1], floor[0], floor[1], a/f)
	}

	step("reading an export of one million items, and jq on the same files")
	exp := parse(run("go", "test", "./shared/export", "-run", "^$", "-bench", "ReadExport", "-benchtime", "1x", "-timeout", "30m"),
		`Benchmark(ReadExport)-\d+\s.*?([\d.]+) MB/s\s+([\d.]+) jq-MB/s\s+([\d.]+) jq-peak-RSS-MiB\s+([\d.]+) peak-RSS-MiB\s+([\d.]+) peak-heap-MiB\s+([\d.]+) x-faster-than-jq`)
	if e, ok := exp["ReadExport"]; ok && len(e) >= 6 {
		fmt.Fprintf(&out, "\n| export read (1,000,000 items) | MB/s | peak RSS (MiB) |\n|---|---:|---:|\n| staff tool | %s | %s |\n| zcat \\| jq | %s | %s |\n| ratio | %s× | |\n",
			e[0], e[3], e[1], e[2], e[5])
	}

	table := out.String()
	fmt.Println()
	fmt.Print(table)
	if err := writeREADME(table); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Println("\nWritten into README.md.")
}

func step(what string) { fmt.Fprintln(os.Stderr, "bench:", what, "…") }

// run runs a command and returns its output; a failure ends the run.
func run(name string, args ...string) string {
	cmd := exec.Command(name, args...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s %s: %v\n%s", name, strings.Join(args, " "), err, b.String())
		os.Exit(1)
	}
	return b.String()
}

// parse maps each match's first group to its other groups.
func parse(s, pattern string) map[string][]string {
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2:]
	}
	return out
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

const start, end = "<!-- bench:start -->", "<!-- bench:end -->"

func writeREADME(table string) error {
	b, err := os.ReadFile("README.md")
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("README.md has no %s … %s section", start, end)
	}
	s = s[:i+len(start)] + "\n" + table + s[j:]
	return os.WriteFile("README.md", []byte(s), 0o644)
}
