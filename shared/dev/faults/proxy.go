// Package faults is a fault-injecting proxy for tests: it stands between the functions
// and the AWS emulator and makes a chosen share of DynamoDB and SES calls fail the ways
// AWS does — an internal error, throttling, a transaction conflict, an answer lost after
// the call was applied, a slow answer — so the suites can show that nothing is lost or
// counted twice when AWS misbehaves.
package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rates are the shares (0 to 1) of calls that meet each fault. At most one fault is
// drawn per call, so the shares of one service should add up to less than 1.
type Rates struct {
	// DynamoDB data calls (reads, writes, queries, transactions).
	InternalError float64 // 500 InternalServerError, nothing applied
	Throttle      float64 // 400 ProvisionedThroughputExceededException, nothing applied
	Conflict      float64 // writes: a transaction conflict, nothing applied
	LostAnswer    float64 // applied by the emulator, then answered 500
	Slow          float64 // delayed by up to MaxDelay before it is forwarded
	MaxDelay      time.Duration
	// SES sends.
	SESError    float64 // 500 InternalFailure, nothing sent
	SESThrottle float64 // 429 TooManyRequestsException, nothing sent
}

// Kinds of injected fault, as Counts names them.
const (
	KindInternalError = "dynamodb internal error"
	KindThrottle      = "dynamodb throttled"
	KindConflict      = "dynamodb transaction conflict"
	KindLostAnswer    = "dynamodb answer lost after applying"
	KindSlow          = "dynamodb delayed"
	KindSESError      = "ses internal failure"
	KindSESThrottle   = "ses throttled"
	KindSESOutage     = "ses outage"
)

// Proxy forwards every request to the emulator, injecting faults while it is on.
type Proxy struct {
	target *url.URL
	rates  Rates
	client *http.Client
	// Observe, if set before use, sees every call (faulted or not) and its body.
	Observe func(r *http.Request, body []byte)
	// Contention, if set before use, applies DynamoDB's conflict rule between concurrent
	// calls, whether faults are on or not: see Contention. Nil, no call ever conflicts.
	Contention *Contention

	on        atomic.Bool
	sesOutage atomic.Bool
	// unverified are recipients SES refuses, as the sandbox refuses an unverified one.
	unverified sync.Map

	mu     sync.Mutex
	rnd    *rand.Rand
	counts map[string]int
	calls  int
	// held are the items of the transactions in flight under Contention; transactions
	// counts the transactions it saw.
	held         map[string]bool
	transactions int
}

// New returns a proxy to the emulator at target, off until On, drawing faults from seed.
func New(target string, rates Rates, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faults: target: %w", err)
	}
	return &Proxy{
		target: u, rates: rates, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), counts: map[string]int{}, held: map[string]bool{},
		// The emulator serves one connection at a time: no parked keep-alive connections.
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}, nil
}

// On starts injecting faults; Off stops (setup and checks run without them).
func (p *Proxy) On()  { p.on.Store(true) }
func (p *Proxy) Off() { p.on.Store(false) }

// SESOutage makes every SES send fail while it lasts, as an outage of the service would:
// retries cannot help, so owed emails end in the dead-letter queue.
func (p *Proxy) SESOutage(down bool) { p.sesOutage.Store(down) }

// Unverified makes SES refuse every send to address, whether faults are on or not, as
// the sandbox refuses a recipient whose identity is not verified: 400 MessageRejected,
// "Email address is not verified", a permanent error. Nothing is sent.
func (p *Proxy) Unverified(address string) { p.unverified.Store(strings.ToLower(address), true) }

// refusesRecipient answers a send to an unverified recipient, and reports whether it did.
func (p *Proxy) refusesRecipient(w http.ResponseWriter, body []byte) bool {
	var in struct {
		Destination struct{ ToAddresses, CcAddresses, BccAddresses []string }
	}
	if json.Unmarshal(body, &in) != nil {
		return false
	}
	d := in.Destination
	for _, to := range append(append(d.ToAddresses, d.CcAddresses...), d.BccAddresses...) {
		if _, ok := p.unverified.Load(strings.ToLower(to)); ok {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-Errortype", "MessageRejected")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "Email address is not verified. " +
				"The following identities failed the check in region CA-CENTRAL-1: " + to})
			return true
		}
	}
	return false
}

// Counts returns how many faults of each kind were injected (conflicts under Contention
// among them), and how many calls the proxy saw while on.
func (p *Proxy) Counts() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out, p.calls
}

// Summary is Counts as one line, kinds sorted.
func (p *Proxy) Summary() string {
	counts, calls := p.Counts()
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := []string{fmt.Sprintf("%d calls", calls)}
	if p.Contention != nil {
		parts = append(parts, fmt.Sprintf("%d transactions", p.Transactions()))
	}
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	return strings.Join(parts, ", ")
}

// draw picks the fault of one call, or "" for none.
func (p *Proxy) draw(kinds []string, shares []float64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	x := p.rnd.Float64()
	for i, s := range shares {
		if x < s {
			p.counts[kinds[i]]++
			return kinds[i]
		}
		x -= s
	}
	return ""
}

func (p *Proxy) count(kind string) {
	p.mu.Lock()
	p.counts[kind]++
	p.calls++
	p.mu.Unlock()
}

func (p *Proxy) delay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rates.MaxDelay <= 0 {
		return 0
	}
	return time.Duration(p.rnd.Int64N(int64(p.rates.MaxDelay)))
}

// dynamoData are the DynamoDB operations faults are injected into: the ones the
// functions make. Control calls (CreateTable…) and the stream's reads, which belong to
// Lambda's event source mapping, pass untouched.
var dynamoData = map[string]bool{
	"GetItem": true, "PutItem": true, "UpdateItem": true, "DeleteItem": true, "Query": true, "Scan": true,
	"TransactWriteItems": true, "TransactGetItems": true, "BatchGetItem": true, "BatchWriteItem": true,
}

var dynamoWrites = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "TransactWriteItems": true}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if p.Observe != nil {
		p.Observe(r, body)
	}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/email/outbound-emails") && p.refusesRecipient(w, body) {
		return
	}
	op, dynamo := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if dynamo && p.Contention != nil {
		release, answered := p.contend(w, op, body)
		if answered {
			return
		}
		defer release() // once the emulator has answered, or failed to
	}
	if p.on.Load() {
		if dynamo && dynamoData[op] {
			if p.dynamoFault(w, r, op, body) {
				return
			}
		} else if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v2/email/outbound-emails") {
			if p.sesFault(w) {
				return
			}
		}
	}
	p.forward(w, r, body, false)
}

// dynamoFault injects a DynamoDB fault and reports whether it answered the call.
func (p *Proxy) dynamoFault(w http.ResponseWriter, r *http.Request, op string, body []byte) bool {
	conflict := p.rates.Conflict
	if !dynamoWrites[op] {
		conflict = 0
	}
	switch p.draw([]string{KindInternalError, KindThrottle, KindConflict, KindLostAnswer, KindSlow},
		[]float64{p.rates.InternalError, p.rates.Throttle, conflict, p.rates.LostAnswer, p.rates.Slow}) {
	case KindInternalError:
		dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error (injected)", nil)
	case KindThrottle:
		dynamoError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for the table was exceeded (injected)", nil)
	case KindConflict:
		if op != "TransactWriteItems" {
			dynamoError(w, http.StatusBadRequest, "TransactionConflictException",
				"Transaction is ongoing for the item (injected)", nil)
			return true
		}
		var in struct{ TransactItems []json.RawMessage }
		_ = json.Unmarshal(body, &in)
		conflicts := make([]bool, len(in.TransactItems))
		if len(conflicts) > 0 {
			conflicts[len(conflicts)-1] = true
		}
		transactionConflict(w, conflicts)
	case KindLostAnswer:
		p.forward(w, r, body, true)
	case KindSlow:
		time.Sleep(p.delay())
		return false
	default:
		return false
	}
	return true
}

// transactionConflict answers a transaction cancelled, nothing applied, because its items
// marked in conflicts were held by another transaction: TransactionConflict for each of
// them, None for the others, in the order of the request.
func transactionConflict(w http.ResponseWriter, conflicts []bool) {
	reasons := make([]map[string]string, len(conflicts))
	codes := make([]string, len(conflicts))
	for i, c := range conflicts {
		reasons[i], codes[i] = map[string]string{"Code": "None"}, "None"
		if c {
			reasons[i], codes[i] = map[string]string{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}, "TransactionConflict"
		}
	}
	dynamoError(w, http.StatusBadRequest, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons ["+strings.Join(codes, ", ")+"] (injected)",
		map[string]any{"CancellationReasons": reasons})
}

func dynamoError(w http.ResponseWriter, status int, typ, msg string, extra map[string]any) {
	body := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + typ, "message": msg}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", "injected-fault")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// sesFault injects an SES fault and reports whether it answered the call.
func (p *Proxy) sesFault(w http.ResponseWriter) bool {
	kind := ""
	if p.sesOutage.Load() {
		kind = KindSESOutage
		p.count(kind)
	} else {
		kind = p.draw([]string{KindSESError, KindSESThrottle}, []float64{p.rates.SESError, p.rates.SESThrottle})
	}
	status, code := http.StatusInternalServerError, "InternalFailure"
	switch kind {
	case "":
		return false
	case KindSESThrottle:
		status, code = http.StatusTooManyRequests, "TooManyRequestsException"
	case KindSESOutage:
		status, code = http.StatusServiceUnavailable, "ServiceUnavailable"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": kind + " (injected)"})
	return true
}

// forward sends the call to the emulator and relays its answer, or, if lose, answers
// 500 once the emulator has applied it.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte, lose bool) {
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	res, err := p.client.Do(req)
	if err != nil {
		http.Error(w, "emulator: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		http.Error(w, "emulator: "+err.Error(), http.StatusBadGateway)
		return
	}
	if lose && res.StatusCode < 300 {
		dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error (injected after applying)", nil)
		return
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(answer)
}
