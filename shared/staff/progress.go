package staff

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar of bytes read on a terminal, at most ten times a second.
type progress struct {
	w     io.Writer
	total int64
	mu    sync.Mutex
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

func (p *progress) set(read int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.draw(read)
}

func (p *progress) draw(read int64) {
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(read)/float64(p.total))
	}
	const width = 30
	n := int(frac * width)
	mb := float64(read) / (1 << 20)
	rate := mb / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %.1f MB  %.1f MB/s", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, mb, rate)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(p.total)
	fmt.Fprintln(p.w)
}
