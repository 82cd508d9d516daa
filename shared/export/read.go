package export

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

var jsonUnmarshal = json.Unmarshal

// MaxLine is the longest export line read: an item is at most 400 KB, which DynamoDB JSON
// can make a few times longer.
const MaxLine = 8 << 20

// eachLine calls fn with each non-empty line of r and its number (from 1).
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

// Reader streams exports: one goroutine reads and decompresses, Workers decode lines in
// batches, and the caller's function receives the items — memory stays bounded by the
// batches in flight, whatever the export's size.
type Reader struct {
	Source  Source
	Workers int // line decoders; 0 means one per core
	// Progress, if set, is called now and then with the compressed bytes read so far.
	Progress func(read int64)
}

const batchLines = 512

type batch struct {
	file  string
	first int    // number of the first line
	buf   []byte // the lines, end to end
	ends  []int  // where each line ends in buf
	nums  []int  // each line's number
	items []Item // decoded
	err   error
}

// Read sends every item of files to fn, from one goroutine at a time. A file that is not
// gzip, is truncated, or has a line that is not an export item stops the read with an
// error naming the file and the line.
func (r Reader) Read(ctx context.Context, files []File, fn func(Item) error) error {
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *batch, workers*2)
	done := make(chan *batch, workers*2)
	var readErr error
	go func() {
		defer close(jobs)
		readErr = r.produce(ctx, files, jobs)
	}()
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				decode(b)
				select {
				case done <- b:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	var err error
	for b := range done {
		if err != nil {
			continue // drain
		}
		if b.err != nil {
			err = b.err
			cancel()
			continue
		}
		for _, it := range b.items {
			if err = fn(it); err != nil {
				cancel()
				break
			}
		}
	}
	if err != nil {
		return err
	}
	return readErr
}

func decode(b *batch) {
	start := 0
	b.items = make([]Item, 0, len(b.ends))
	for i, end := range b.ends {
		it, err := ParseLine(b.buf[start:end])
		if err != nil {
			b.err = fmt.Errorf("%s line %d: %w", b.file, b.nums[i], err)
			return
		}
		b.items = append(b.items, it)
		start = end
	}
	b.buf = nil
}

// counter counts the bytes read through it.
type counter struct {
	r    io.Reader
	n    *atomic.Int64
	tick func(int64)
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.tick != nil {
		c.tick(c.n.Add(int64(n)))
	} else {
		c.n.Add(int64(n))
	}
	return n, err
}

func (r Reader) produce(ctx context.Context, files []File, jobs chan<- *batch) error {
	var read atomic.Int64
	for _, f := range files {
		if err := r.produceFile(ctx, f, counter{n: &read, tick: r.Progress}, jobs); err != nil {
			return err
		}
	}
	return nil
}

func (r Reader) produceFile(ctx context.Context, f File, c counter, jobs chan<- *batch) error {
	rc, err := r.Source.Open(ctx, f.Name)
	if err != nil {
		return err
	}
	defer rc.Close()
	c.r = rc
	var in io.Reader = bufio.NewReaderSize(c, 256<<10)
	if strings.HasSuffix(f.Name, ".gz") {
		gz, err := gzip.NewReader(in)
		if err != nil {
			return fmt.Errorf("%s: not a gzip file: %w", f.Name, err)
		}
		defer gz.Close()
		in = gz
	}
	b := &batch{file: f.Name}
	send := func() error {
		if len(b.ends) == 0 {
			return nil
		}
		select {
		case jobs <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = &batch{file: f.Name}
		return nil
	}
	lines := 0
	err = eachLine(in, func(n int, line []byte) error {
		lines = n
		b.buf = append(b.buf, line...)
		b.ends = append(b.ends, len(b.buf))
		b.nums = append(b.nums, n)
		if len(b.ends) == batchLines {
			return send()
		}
		return nil
	})
	if err != nil {
		if strings.HasPrefix(err.Error(), "line ") {
			return fmt.Errorf("%s %w (corrupt or truncated file)", f.Name, err)
		}
		return fmt.Errorf("%s after line %d: %w", f.Name, lines, err)
	}
	return send()
}
