package export_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/report"
)

// generate writes an export of n donation items in moto's layout (8 data files), the
// shape of the real table's largest item type, and returns its folder and total sizes.
func generate(b *testing.B, n int) (string, []string, int64) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("solidarity-bench-export-%d", n))
	data := filepath.Join(dir, "AWSDynamoDB", "01700000000000-bench", "data")
	const files = 8
	var paths []string
	var raw int64
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil { // made by an earlier run
		for i := 0; i < files; i++ {
			paths = append(paths, filepath.Join(data, fmt.Sprintf("part-%d.json.gz", i)))
		}
		s, _ := os.ReadFile(filepath.Join(dir, "complete"))
		raw, _ = strconv.ParseInt(string(s), 10, 64)
		return dir, paths, raw
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < files; i++ {
		p := filepath.Join(data, fmt.Sprintf("part-%d.json.gz", i))
		paths = append(paths, p)
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		w := bufio.NewWriter(zw)
		for j := i; j < n; j += files {
			line := fmt.Sprintf(`{"Item":{"pk":{"S":"DONATION#don_%08d"},"sk":{"S":"META"},"type":{"S":"donation"},"id":{"S":"don_%08d"},`+
				`"campaign":{"S":"appeal-2024"},"campaign_title":{"S":"Campagne financière 2024"},"currency":{"S":"cad"},`+
				`"amount_cents":{"N":"%d"},"charge_cents":{"N":"%d"},"cover_fees":{"BOOL":false},"frequency":{"S":"once"},`+
				`"first_name":{"S":"Prénom%d"},"last_name":{"S":"Nom%d"},"email":{"S":"donor%d@example.org"},"language":{"S":"fr"},`+
				`"anonymous":{"BOOL":false},"consent_updates":{"BOOL":true},"status":{"S":"paid"},"created_at":{"S":"2026-11-%02dT12:00:00Z"},`+
				`"address":{"M":{"line1":{"S":"%d rue Saint-Denis"},"city":{"S":"Montréal"},"province":{"S":"QC"},"postal_code":{"S":"H2X 1Y4"},"country":{"S":"CA"}}},`+
				`"gsi1pk":{"S":"PERSON#donor%d@example.org"},"gsi1sk":{"S":"DONATION#2026-11-27T12:00:00Z#don_%08d"}}}`+"\n",
				j, j, 500+j%100000, 500+j%100000, j, j, j, 1+j%28, j%9999, j, j)
			raw += int64(len(line))
			if _, err := w.WriteString(line); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), []byte(strconv.FormatInt(raw, 10)), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir, paths, raw
}

// peakRSS is the process's peak resident memory (VmHWM) since resetPeak, in MiB.
func peakRSS() float64 {
	s, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(s), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkReadExport flattens a generated export of one million items (BENCH_ITEMS to
// change) into the donations CSV, and jq flattening the same files the same way, in the
// same run. It reports the uncompressed MB/s of each, our peak memory and jq's, and the
// speed ratio:
//
//	go test ./shared/export -run '^$' -bench ReadExport -benchtime 1x -timeout 30m
func BenchmarkReadExport(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_ITEMS")); err == nil && v > 0 {
		n = v
	}
	dir, paths, raw := generate(b, n)
	jq, err := exec.LookPath("jq")
	if err != nil {
		b.Fatal("jq is needed for the comparison: apt-get install jq")
	}
	mb := float64(raw) / (1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		resetPeak()
		var heapPeak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the live heap, sampled
			defer wg.Done()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					heapPeak = max(heapPeak, ms.HeapInuse)
				}
			}
		}()
		start := time.Now()
		files, err := export.Locate(context.Background(), export.Dir(dir))
		if err != nil {
			b.Fatal(err)
		}
		rep, err := report.New("donations", report.Options{}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		err = export.Reader{Source: export.Dir(dir)}.Read(context.Background(), files, func(it export.Item) error {
			count++
			return rep.Add(it)
		})
		if err == nil {
			err = rep.Finish()
		}
		ours := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil || count != n {
			b.Fatalf("%d items, %v", count, err)
		}
		rss := peakRSS()

		// jq, the same flattening: each item to a CSV row of the same columns, fed by zcat.
		theirs, jqRSS := runJQ(b, jq, paths)

		b.ReportMetric(mb/ours.Seconds(), "MB/s")
		b.ReportMetric(rss, "peak-RSS-MiB")
		b.ReportMetric(float64(heapPeak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(mb/theirs.Seconds(), "jq-MB/s")
		b.ReportMetric(jqRSS, "jq-peak-RSS-MiB")
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-faster-than-jq")
		b.Logf("%d items, %.0f MB uncompressed: ours %v, jq %v", n, mb, ours.Round(time.Millisecond), theirs.Round(time.Millisecond))
	}
}

const jqProgram = `.Item | [.id.S, "online", .created_at.S, .campaign.S, .status.S, .frequency.S, .amount_cents.N, ` +
	`.charge_cents.N, .first_name.S, .last_name.S, .email.S, .language.S, (.anonymous.BOOL|tostring), ` +
	`(.consent_updates.BOOL|tostring), "card", ""] | @csv`

// runJQ runs zcat | jq over the files and returns jq's time and peak memory (VmHWM,
// polled: the rusage of a child started by Go reports the parent's peak).
func runJQ(b *testing.B, jq string, paths []string) (time.Duration, float64) {
	b.Helper()
	zcat := exec.Command("zcat", paths...)
	cmd := exec.Command(jq, "-r", jqProgram)
	pipe, err := zcat.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pipe, io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	if err := zcat.Start(); err != nil {
		b.Fatal(err)
	}
	var peak float64
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("jq: %v", err)
			}
			if err := zcat.Wait(); err != nil {
				b.Fatalf("zcat: %v", err)
			}
			return time.Since(start), peak
		case <-time.After(10 * time.Millisecond):
			if s, err := os.ReadFile(status); err == nil {
				for _, l := range strings.Split(string(s), "\n") {
					if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
						kb, _ := strconv.ParseFloat(f[1], 64)
						peak = max(peak, kb/1024)
					}
				}
			}
		}
	}
}
