package faults

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"
)

// Contention is DynamoDB's conflict rule, which the emulator (one call at a time) never
// applies. A TransactWriteItems holds the items it names from the moment the proxy takes
// it, for a hold time drawn from a log-normal distribution and then until the emulator
// has answered it (or failed to). Meanwhile:
//   - a TransactWriteItems or TransactGetItems naming a held item is cancelled, nothing
//     applied: 400 TransactionCanceledException, reason TransactionConflict for each held
//     item and None for the others;
//   - a PutItem, UpdateItem or DeleteItem of a held item is refused, nothing applied: 400
//     TransactionConflictException;
//   - reads (GetItem, Query, Scan, BatchGetItem) and calls on other items pass.
//
// A transaction holds all its items or none. A TransactGetItems holds none (DynamoDB lets
// a write through while a transactional read is ongoing), nor does a single-item write.
// Faults drawn while the proxy is on apply to a transaction once it holds its items.
type Contention struct {
	// HoldMedian and HoldP99 shape the log-normal time a transaction holds its items
	// before it is forwarded, the emulator's own time coming on top: 12 ms and 40 ms if
	// zero, as DynamoDB's transactions hold theirs for about 10–20 ms. A HoldP99 at or
	// below HoldMedian makes every hold HoldMedian long.
	HoldMedian, HoldP99 time.Duration
	// Keys are the key attributes that tell one item from another in every table:
	// pk and sk (dynamo.CreateTable's key schema) if empty.
	Keys []string
	// Held, if set, is called while a TransactWriteItems holds its items, before its hold
	// time: a test blocks in it to keep them held for as long as it needs.
	Held func()
	// DrawnHoldOnly releases a transaction's items when its hold time ends, before the
	// emulator is asked: the hold is then DynamoDB's alone, not the emulator's queueing
	// (moto serves one call at a time), for a benchmark at rates the emulator cannot
	// keep up with. The emulator still applies each call whole, in the order it takes them.
	DrawnHoldOnly bool
}

// Kinds of conflict under Contention, as Counts names them.
const (
	KindHeldTransaction = "dynamodb transaction met a held item" // cancelled, TransactionConflict
	KindHeldWrite       = "dynamodb write met a held item"       // TransactionConflictException
)

// Transactions returns how many TransactWriteItems and TransactGetItems calls the proxy
// saw under Contention, on or off, each attempt counted and cancelled ones included: with
// Counts' KindHeldTransaction, the conflicts per 1,000 transactions.
func (p *Proxy) Transactions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.transactions
}

// contend applies Contention to a DynamoDB call and reports whether it answered it (a
// conflict). Otherwise the caller forwards the call, then calls release.
func (p *Proxy) contend(w http.ResponseWriter, op string, body []byte) (release func(), answered bool) {
	c := p.Contention
	transact := op == "TransactWriteItems" || op == "TransactGetItems"
	var keys []string // the items the call names, "" where it names none
	switch {
	case transact:
		var in struct {
			TransactItems []struct{ Put, Update, Delete, ConditionCheck, Get *item }
		}
		_ = json.Unmarshal(body, &in)
		for _, t := range in.TransactItems {
			keys = append(keys, c.key(cmp.Or(t.Put, t.Update, t.Delete, t.ConditionCheck, t.Get)))
		}
	case op == "PutItem" || op == "UpdateItem" || op == "DeleteItem":
		var it item
		_ = json.Unmarshal(body, &it)
		keys = []string{c.key(&it)}
	default:
		return func() {}, false
	}

	p.mu.Lock()
	conflicts, conflict := make([]bool, len(keys)), false
	for i, k := range keys {
		conflicts[i] = k != "" && p.held[k]
		conflict = conflict || conflicts[i]
	}
	hold := op == "TransactWriteItems" && !conflict
	var holdTime time.Duration
	if hold { // all its items at once
		for _, k := range keys {
			if k != "" {
				p.held[k] = true
			}
		}
		holdTime = p.holdTime()
	}
	if transact {
		p.transactions++
	}
	switch {
	case conflict && transact:
		p.counts[KindHeldTransaction]++
	case conflict:
		p.counts[KindHeldWrite]++
	}
	p.mu.Unlock()

	switch {
	case conflict && transact:
		transactionConflict(w, conflicts)
		return nil, true
	case conflict:
		dynamoError(w, http.StatusBadRequest, "TransactionConflictException", "Transaction is ongoing for the item (injected)", nil)
		return nil, true
	case !hold:
		return func() {}, false
	}
	if c.Held != nil {
		c.Held()
	}
	time.Sleep(holdTime)
	release = func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, k := range keys {
			delete(p.held, k)
		}
	}
	if c.DrawnHoldOnly {
		release()
		return func() {}, false
	}
	return release, false
}

// item is the part of a DynamoDB call that names one item.
type item struct {
	TableName string
	Key, Item map[string]json.RawMessage // Item: a put's, its key among its attributes
}

var defaultKeys = []string{"pk", "sk"}

// key tells the item apart from every other: its table and key attributes.
func (c *Contention) key(it *item) string {
	if it == nil || it.TableName == "" {
		return ""
	}
	attrs, names := it.Key, c.Keys
	if attrs == nil {
		attrs = it.Item
	}
	if len(names) == 0 {
		names = defaultKeys
	}
	var b strings.Builder
	b.WriteString(it.TableName)
	for _, name := range names {
		var v bytes.Buffer
		_ = json.Compact(&v, attrs[name]) // {"S":"…"}, empty if absent
		b.WriteString("\x00" + name + "=" + v.String())
	}
	return b.String()
}

// z99 is the standard normal distribution's 99th percentile.
const z99 = 2.3263478740408408

// holdTime draws how long a transaction holds its items; p.mu is held.
func (p *Proxy) holdTime() time.Duration {
	median := cmp.Or(p.Contention.HoldMedian, 12*time.Millisecond)
	p99 := max(cmp.Or(p.Contention.HoldP99, 40*time.Millisecond), median)
	sigma := math.Log(float64(p99)/float64(median)) / z99
	return time.Duration(float64(median) * math.Exp(sigma*p.rnd.NormFloat64()))
}
