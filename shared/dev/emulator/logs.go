package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// LogBook keeps every log line a test binary's own code writes — its slog output and the
// output of the Lambda binaries it runs — so that Run can check that no personal data was
// logged.
type LogBook struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	personal []string
}

// Logs is the test binary's log book.
var Logs = &LogBook{}

// Write implements io.Writer.
func (l *LogBook) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Personal registers values a test sends (names, street addresses…) that must never
// appear in a log line. Email addresses, phone numbers (E.164, or written with
// separators) and postal codes are found by their shape without registering; a bare run
// of digits is not taken for a phone number, since ids and paths are full of them.
func (l *LogBook) Personal(values ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.personal = append(l.personal, values...)
}

var personalShapes = []*regexp.Regexp{
	regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`),      // email
	regexp.MustCompile(`\+[1-9]\d{7,14}\b`),                                                    // phone, E.164 as stored
	regexp.MustCompile(`(?:^|\D)(?:1[ .-])?\(?[2-9]\d{2}\)?[ .-][2-9]\d{2}[ .-]\d{4}(?:\D|$)`), // phone, as typed
	regexp.MustCompile(`\b[A-CEGHJ-NPR-TVXY]\d[A-CEGHJ-NPR-TV-Z] ?\d[A-CEGHJ-NPR-TV-Z]\d\b`),   // postal code
}

// Leaks returns the log lines that carry personal data.
func (l *LogBook) Leaks() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if leaks(line, l.personal) {
			out = append(out, line)
		}
	}
	return out
}

func leaks(line string, personal []string) bool {
	for _, re := range personalShapes {
		if re.MatchString(line) {
			return true
		}
	}
	for _, v := range personal {
		if v != "" && strings.Contains(line, v) {
			return true
		}
	}
	return false
}

// captureSlog sends the default logger's JSON lines to the log book (and, with
// TEST_LOG set, to standard error as well).
func captureSlog() {
	var w io.Writer = Logs
	if os.Getenv("TEST_LOG") != "" {
		w = io.MultiWriter(Logs, os.Stderr)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(w, nil)))
}

// checkLogs fails the test binary if any log line carried personal data.
func checkLogs() int {
	bad := Logs.Leaks()
	if len(bad) == 0 {
		return 0
	}
	fmt.Fprintf(os.Stderr, "FAIL: %d log lines carry personal data (an email address, phone number, postal code or a name the tests sent):\n", len(bad))
	for _, line := range bad {
		fmt.Fprintln(os.Stderr, "  "+line)
	}
	return 1
}

// printTail writes the last n log lines to standard error.
func (l *LogBook) printTail(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(l.buf.String()), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Fprintf(os.Stderr, "--- the last %d log lines of the code under test:\n%s\n", len(lines), strings.Join(lines, "\n"))
}

// Logged runs f with the default logger writing JSON lines to a buffer as well as to the
// log book (which still checks them for personal data), and returns those lines,
// decoded: for tests of what the code logs.
func Logged(t testing.TB, f func()) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.MultiWriter(&buf, Logs), nil)))
	defer slog.SetDefault(prev)
	f()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("not a JSON line: %s", l)
		}
		lines = append(lines, m)
	}
	return lines
}
