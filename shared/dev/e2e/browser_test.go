package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

func init() { emulator.Logs.Personal("Noémie", "Lafleur", "Jasper", "Okoro") }

// browser is headless Chromium (Debian's chromium, which `make tools` installs) on the
// stack's pages, with JavaScript on or off.
type browser struct {
	t   *testing.T
	ctx context.Context
	s   *stack
}

func newBrowser(t *testing.T, s *stack, javascript bool) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("no Chromium: run `make tools` (it installs Debian's chromium) or apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
		// Chromium's start is slow under the race detector with the other packages' tests
		// on two cores: chromedp's 20 s wait for its DevTools address was seen to run out.
		chromedp.WSURLReadTimeout(90*time.Second))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, s: s}
	b.run(emulation.SetScriptExecutionDisabled(!javascript))
	return b
}

func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	for i, a := range actions {
		if err := chromedp.Run(b.ctx, a); err != nil {
			b.t.Fatalf("browser step %d: %v", i+1, err)
		}
	}
}

// open loads a path of the stack.
func (b *browser) open(path string) {
	b.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = b.s.url + path
	}
	b.run(chromedp.Navigate(path), chromedp.WaitReady("body", chromedp.ByQuery))
}

// waitFor waits until the page's address contains part, and its body has loaded.
func (b *browser) waitFor(part string) string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var loc string
		if err := chromedp.Run(b.ctx, chromedp.Location(&loc)); err == nil && strings.Contains(loc, part) {
			// The body, and the page's scripts run (they are at its end).
			b.run(chromedp.WaitReady("body", chromedp.ByQuery), chromedp.Poll(`document.readyState !== "loading"`, nil))
			return loc
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the page never went to %q", part)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run(chromedp.Text(sel, &s, chromedp.ByQuery))
	return s
}

func (b *browser) fill(fields map[string]string) {
	b.t.Helper()
	for sel, v := range fields {
		b.run(chromedp.SendKeys(sel, v, chromedp.ByQuery))
	}
}

// pick clicks the visible part of a choice (radio buttons styled as buttons).
func (b *browser) pick(name, value string) {
	b.t.Helper()
	b.run(chromedp.Click(fmt.Sprintf(`input[name=%q][value=%q] + span`, name, value), chromedp.ByQuery))
}

// shot saves the page at phone and desktop widths in the artifacts folder
// ($ARTIFACTS_DIR, else .artifacts/screenshots at the repository's root).
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(emulator.Root(), ".artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, size := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"phone", 375, 812, true}, {"desktop", 1280, 900, false}} {
		var png []byte
		b.run(emulation.SetDeviceMetricsOverride(size.width, size.height, 1, size.mobile), chromedp.FullScreenshot(&png, 100))
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.label+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.run(emulation.ClearDeviceMetricsOverride())
}
