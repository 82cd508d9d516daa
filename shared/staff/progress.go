package staff

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar on a terminal, at most ten times a second: of bytes read
// (newProgress) or of things counted (newCountProgress).
type progress struct {
	w     io.Writer
	total int64
	count bool // things, not bytes
	mu    sync.Mutex
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

// newCountProgress is a bar of n things of total ("1200/2500  40/s").
func newCountProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total, count: true, start: time.Now()}
}

func (p *progress) set(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw(n)
}

func (p *progress) draw(n int64) {
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(n)/float64(p.total))
	}
	const width = 30
	k := int(frac * width)
	secs := max(time.Since(p.start).Seconds(), 0.001)
	what := fmt.Sprintf("%d/%d  %.0f/s", n, p.total, float64(n)/secs)
	if !p.count {
		mb := float64(n) / (1 << 20)
		what = fmt.Sprintf("%.1f MB  %.1f MB/s", mb, mb/secs)
	}
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %s", strings.Repeat("=", k), strings.Repeat(" ", width-k), frac*100, what)
}

// done draws the bar at n (bytes: the total) and ends its line.
func (p *progress) done(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(n)
	fmt.Fprintln(p.w)
}
