package webhook

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestMain silences the handler's logs: the fuzzer runs it hundreds of thousands of times.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
