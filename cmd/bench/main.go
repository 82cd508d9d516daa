// Command bench is `make bench`: it measures the figures docs/performance.md keeps — each
// function's cold start against a hello-world Lambda and its arm64 binary size, the
// DynamoDB calls of each operation, the request paths against a decode-and-encode floor,
// and reading an export against jq — prints them as a table, and writes the table into
// that page between its bench markers, with the machine it ran on; the cold starts and
// the hot appeal go between README.md's markers too.
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
	"strconv"
	"strings"
	"time"
)

func main() {
	var out, readme strings.Builder
	machine := fmt.Sprintf("Measured %s on %s (%d cores, %s, %s/%s).\n\n", time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.NumCPU(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	out.WriteString(machine)
	readme.WriteString(machine)

	step("binary sizes (make build)")
	run("make", "build")
	sizes := map[string]float64{}
	dirs, _ := filepath.Glob("build/*/bootstrap")
	for _, p := range dirs {
		if info, err := os.Stat(p); err == nil {
			sizes[filepath.Base(filepath.Dir(p))] = float64(info.Size()) / (1 << 20)
		}
	}
	step("cold starts under the Lambda emulator (25 alternating launches each)")
	cold := parse(run("go", "test", "./functions", "-run", "^$", "-bench", "ColdStart", "-benchtime", "25x"), coldPattern)
	var coldOut strings.Builder
	coldOut.WriteString("| function | cold start (ms, median) | hello world, same run (ms, median) | × hello world | arm64 binary (MiB) |\n|---|---:|---:|---:|---:|\n")
	names := map[string]string{"donate": "DonateFunction", "campaign": "CampaignFunction", "stripe-webhook": "StripeWebhookFunction",
		"mailer": "MailerFunction", "signup": "SignupFunction", "unsubscribe": "UnsubscribeFunction", "subscribe": "SubscribeFunction",
		"portal": "PortalFunction", "export": "ExportFunction", "mail-events": "MailEventsFunction", "broadcast-sender": "BroadcastSenderFunction"}
	for _, fn := range []string{"donate", "campaign", "stripe-webhook", "mailer", "signup", "unsubscribe", "subscribe", "portal", "export", "mail-events", "broadcast-sender", "campaign-read"} {
		ms, hello, ratio := "—", "—", "—"
		if m, ok := cold[fn]; ok && len(m) >= 3 {
			hello, ms, ratio = m[0], m[1], m[2]
		}
		label, size := fn, fmt.Sprintf("%.2f", sizes[names[fn]])
		if fn == "campaign-read" {
			label, size = "campaign, answering from DynamoDB (its first Query on moto)", ""
		}
		fmt.Fprintf(&coldOut, "| %s | %s | %s | %s | %s |\n", label, ms, hello, ratio, size)
	}
	coldOut.WriteString("\nEach function answers a request that needs no I/O (a page, a malformed link or slug, an event to skip, an empty batch), with its secrets given as variables (deployed, a form function's cold start adds its one `ssm:GetParameters`); hello world an empty event. export and reconcile, daily runs, are not measured.\n")
	out.WriteString(coldOut.String())
	readme.WriteString(coldOut.String())

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

	step("requests per second through the local server, against the bare emulator calls they make")
	tp := parse(run("go", "test", "./shared/dev/e2e", "-run", "^$", "-bench", "WebhookThroughput", "-benchtime", "300x"),
		`Benchmark(WebhookThroughput)-\d+\s.*?([\d.]+) bare-req/s\s+([\d.]+) calls/req\s+([\d.]+) req/s\s+([\d.]+) x-bare`)
	if m, ok := tp["WebhookThroughput"]; ok && len(m) >= 4 {
		fmt.Fprintf(&out, "\n| payment webhooks, in sequence (300) | req/s | DynamoDB calls/req |\n|---|---:|---:|\n"+
			"| through the local server | %s | %s |\n| the same calls, bare, on a twin table | %s | |\n| server ÷ bare (time) | %s× | |\n",
			m[2], m[1], m[0], m[3])
	}

	step("cost model: a gift, a signup, a renewal through the local system (50 each)")
	cost := parse(run("go", "test", "./shared/dev/e2e", "-run", "^$", "-bench", "OperationCost", "-benchtime", "50x"),
		`BenchmarkOperationCost/(\w+)-\d+\s.*?([\d.]+) RRU/op\s+([\d.]+) WRU/op\s+([\d.]+) emails/op\s+([\d.]+) mailer-invocations/op\s+([\d.]+) mailer-ms/op\s+([\d.]+) request-ms/op\s+([\d.]+) requests/op`)
	out.WriteString(costTable(cost))

	step("one appeal at 10, 50 and 100 payments a second, on one counter item and spread over its default")
	hot := hotAppealTable(run("go", "test", "./shared/dev/e2e", "-run", "^$", "-bench", "HotAppeal", "-benchtime", "1x", "-timeout", "30m"))
	out.WriteString(hot)
	readme.WriteString(hot)

	step("a broadcast: queueing and sending 10,000 recipients, and pacing two senders")
	bc := parse(run("go", "test", "./shared/dev/e2e", "-run", "^$", "-bench", "BroadcastSend", "-benchtime", "1x", "-timeout", "60m"),
		`Benchmark(BroadcastSend)-\d+\s.*?([\d.]+) emails/s\s+([\d.]+) paced-average-emails/s\s+([\d.]+) paced-busiest-second-emails\s+([\d.]+) paced-configured-emails/s\s+([\d.]+) queue-RRU/recipient\s+([\d.]+) queue-WRU/recipient\s+([\d.]+) queue-dynamodb-calls/recipient\s+([\d.]+) queue-s\s+([\d.]+) recipients\s+([\d.]+) send-RRU/recipient\s+([\d.]+) send-WRU/recipient\s+([\d.]+) send-dynamodb-calls/recipient\s+([\d.]+) send-s\s+([\d.]+) ses-calls/recipient`)
	out.WriteString(broadcastTable(bc["BroadcastSend"]))

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
	for _, p := range []struct{ page, figures string }{{figuresPage, table}, {readmePage, readme.String()}} {
		if err := writeFigures(p.page, p.figures); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	fmt.Println("\nWritten into " + figuresPage + ", and the cold starts and the hot appeal into " + readmePage + ".")
}

// Prices of the cost model: AWS list prices in USD as the pricing pages published them
// (Lambda, DynamoDB on-demand after its 2024-11-01 reduction, SES, API Gateway HTTP
// APIs; US East, first tier, free tiers left out), taken as Canada (Central)'s; they were
// written down in PricesAsOf and not re-read since (the machines that run this have no
// internet). USDToCAD converts them. Check both before budgeting.
const (
	PricesAsOf      = "2024-11"
	LambdaArmGBs    = 0.0000133334 // per GB-second, arm64
	LambdaRequest   = 0.20 / 1e6   // per invocation
	HTTPAPIRequest  = 1.00 / 1e6   // per API Gateway HTTP API request
	DynamoWRU       = 0.625 / 1e6  // per on-demand write request unit
	DynamoRRU       = 0.125 / 1e6  // per on-demand read request unit
	SESEmail        = 0.10 / 1000  // per email
	USDToCAD        = 1.40         // assumed exchange rate
	FunctionMemoryG = 0.25         // template.yaml's 256 MB for donate, webhook, signup, subscribe, mailer
)

// costTable prices 1,000 of each operation from the measured figures: the functions'
// time (requests' and mailer's) at 256 MB on arm64, one Lambda invocation per request
// and per email (the mailer's batching is ignored: an upper bound), an HTTP API request
// per request, request units, and SES per email.
func costTable(m map[string][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nCost per 1,000, in CAD (AWS list prices as published in %s, US East taken for Canada (Central), not re-checked on the day: Lambda arm64 US$%.10f/GB-s and US$0.20/M invocations, HTTP API US$1.00/M, "+
		"DynamoDB on-demand US$0.625/M WRU and US$0.125/M RRU, SES US$0.10/1,000 emails; US$1 = CA$%.2f). Stripe's fees are not included.\n\n",
		PricesAsOf, LambdaArmGBs, USDToCAD)
	b.WriteString("| 1,000 … | function ms/op | WRU/op | RRU/op | emails/op | Lambda | HTTP API | DynamoDB | SES | total CA$ |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, op := range []string{"gift", "signup", "renewal"} {
		v, ok := m[op]
		if !ok || len(v) < 7 {
			continue
		}
		f := make([]float64, len(v))
		for i, x := range v {
			fmt.Sscan(x, &f[i])
		}
		rru, wru, emails, mailerMS, requestMS, requests := f[0], f[1], f[2], f[4], f[5], f[6]
		ms := mailerMS + requestMS
		lambda := 1000 * (ms/1000*FunctionMemoryG*LambdaArmGBs + (requests+emails)*LambdaRequest) * USDToCAD
		api := 1000 * requests * HTTPAPIRequest * USDToCAD
		dynamo := 1000 * (wru*DynamoWRU + rru*DynamoRRU) * USDToCAD
		ses := 1000 * emails * SESEmail * USDToCAD
		fmt.Fprintf(&b, "| %ss | %.1f | %.1f | %.1f | %.1f | %.4f | %.4f | %.4f | %.4f | %.4f |\n",
			op, ms, wru, rru, emails, lambda, api, dynamo, ses, lambda+api+dynamo+ses)
	}
	return b.String()
}

// coldPattern reads BenchmarkColdStart's lines: the function, hello world's median, the
// function's, and their ratio (go test prints the metrics by name).
const coldPattern = `BenchmarkColdStart/([\w-]+)-\d+\s.*?([\d.]+) hello-ms-median\s+([\d.]+) ms-median\s+([\d.]+) x-hello`

// hotAppealTable is BenchmarkHotAppeal's figures, before (one counter item) and after
// (the campaign's default counter items), by rate.
func hotAppealTable(output string) string {
	re := regexp.MustCompile(`BenchmarkHotAppeal/shards=(\d+)/rate=(\d+)-\d+\s.*?([\d.]+) 5xx\s+([\d.]+) conflicts/1000\s+([\d.]+) p50-ms\s+([\d.]+) p99-ms\s+([\d.]+) payments/s\s+([\d.]+) retries/1000`)
	var b strings.Builder
	b.WriteString("\n| one appeal's payment webhooks (local server, DynamoDB's conflict rule) | counter items | offered /s | served /s | conflicts per 1,000 payments | transaction retries per 1,000 | webhook p50 (ms) | p99 (ms) | 5xx | total exact |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, m := range re.FindAllStringSubmatch(output, -1) {
		when := "after: spread"
		if m[1] == "1" {
			when = "before: one item"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | yes |\n", when, m[1], m[2], m[7], m[4], m[8], m[5], m[6], m[3])
	}
	return b.String()
}

// broadcastTable is the broadcast's figures (BenchmarkBroadcastSend's metrics, in the
// order go test prints them: by name) and its cost per 1,000 emails: the sender's time
// at 256 MB on arm64 (its invocations, one per 15 minutes, left out), request units of
// queueing and sending, and SES. Queueing runs in the staff tool: no Lambda.
func broadcastTable(v []string) string {
	if len(v) < 14 {
		return ""
	}
	f := make([]float64, len(v))
	for i, x := range v {
		fmt.Sscan(x, &f[i])
	}
	rate, pacedAvg, pacedBusiest, pacedRate := f[0], f[1], f[2], f[3]
	qRRU, qWRU, qCalls, qSecs, n := f[4], f[5], f[6], f[7], f[8]
	sRRU, sWRU, sCalls, sSecs, sesCalls := f[9], f[10], f[11], f[12], f[13]
	var b strings.Builder
	fmt.Fprintf(&b, "\n| broadcast to %s people (local emulators) | time (s) | DynamoDB calls/recipient | WRU/recipient | RRU/recipient | SES calls/recipient |\n|---|---:|---:|---:|---:|---:|\n", thousands(int(n)))
	fmt.Fprintf(&b, "| queue (`staff broadcast send`: count, then queue) | %.1f | %.2f | %.2f | %.2f | |\n", qSecs, qCalls, qWRU, qRRU)
	fmt.Fprintf(&b, "| send (one sender, %.1f emails/s) | %.1f | %.2f | %.2f | %.2f | %.2f |\n", rate, sSecs, sCalls, sWRU, sRRU, sesCalls)
	fmt.Fprintf(&b, "\nPacing: two senders at a configured %.0f emails/s sent %.1f a second on average, %.0f in the busiest second.\n", pacedRate, pacedAvg, pacedBusiest)
	perEmailMS := 0.0
	if rate > 0 {
		perEmailMS = 1000 / rate
	}
	lambda := 1000 * perEmailMS / 1000 * FunctionMemoryG * LambdaArmGBs * USDToCAD
	dynamo := 1000 * ((qWRU+sWRU)*DynamoWRU + (qRRU+sRRU)*DynamoRRU) * USDToCAD
	ses := 1000 * SESEmail * USDToCAD
	fmt.Fprintf(&b, "\n| 1,000 … | sender ms/op | WRU/op | RRU/op | emails/op | Lambda | HTTP API | DynamoDB | SES | total CA$ |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| broadcast emails | %.1f | %.1f | %.1f | 1.0 | %.4f | — | %.4f | %.4f | %.4f |\n", perEmailMS, qWRU+sWRU, qRRU+sRRU, lambda, dynamo, ses, lambda+dynamo+ses)
	return b.String()
}

// thousands writes n with commas between its thousands: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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

// figuresPage is where the figures are kept, between the bench markers; readmePage
// keeps the cold starts and the hot appeal between its own.
const figuresPage, readmePage = "docs/performance.md", "README.md"

// writeFigures puts table between page's bench markers.
func writeFigures(page, table string) error {
	b, err := os.ReadFile(page)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s … %s section", page, start, end)
	}
	s = s[:i+len(start)] + "\n" + table + s[j:]
	return os.WriteFile(page, []byte(s), 0o644)
}
