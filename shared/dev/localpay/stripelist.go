package localpay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
)

// StripeList stands in for Stripe's own record, for the reconciliation: it serves
// GET /v1/events, /v1/charges and /v1/disputes in Stripe's list shape (newest first,
// pages of `limit`, `has_more`, `starting_after`) from the events it was given, which
// stripe-mock (it keeps no state) cannot. The charges and disputes are those the events
// report, each as the latest event about it left it; SetCharge replaces one, as Stripe
// would hold it after a change no event reported. A parameter Stripe's list does not
// take is refused with Stripe's 400, so a test sees what the real API would refuse.
type StripeList struct {
	mu       sync.Mutex
	events   []listed
	charges  map[string]*listed
	disputes map[string]*listed
	requests []string
}

// listed is one object as listed: its id, its time and its JSON, and the order it came in.
type listed struct {
	id, typ, charge string
	created         int64
	seq             int
	obj             Object
	raw             json.RawMessage // events: as delivered
}

// NewStripeList is a list server holding nothing yet.
func NewStripeList() *StripeList {
	return &StripeList{charges: map[string]*listed{}, disputes: map[string]*listed{}}
}

// Record keeps the events (as Event builds them), in the order given, and folds their
// objects into the charges and disputes: a paid session's or invoice's payment makes its
// charge (ch_ and the payment intent's id without pi_; a session's metadata, as Stripe
// copies it from the payment intent, an invoice's charge none), a charge.refunded event
// its refunded total, a charge.dispute.* event its dispute and the charge's disputed flag.
func (l *StripeList) Record(payloads ...[]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range payloads {
		var ev struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Created int64  `json:"created"`
			Data    struct {
				Object Object `json:"object"`
			} `json:"data"`
		}
		if err := json.Unmarshal(p, &ev); err != nil || ev.ID == "" {
			return fmt.Errorf("localpay: not an event: %v", err)
		}
		l.events = append(l.events, listed{id: ev.ID, typ: ev.Type, created: ev.Created, seq: len(l.events), raw: slices.Clone(p)})
		l.fold(ev.Type, ev.Data.Object, ev.Created)
	}
	return nil
}

func (l *StripeList) fold(typ string, o Object, created int64) {
	str := func(k string) string { s, _ := o[k].(string); return s }
	num := func(k string) int64 { f, _ := o[k].(float64); return int64(f) }
	switch typ {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded", "invoice.paid":
		pi := str("payment_intent")
		amount := num("amount_total")
		meta, _ := o["metadata"].(map[string]any)
		if typ == "invoice.paid" {
			amount, meta = num("amount_paid"), map[string]any{}
		} else if str("payment_status") != "paid" {
			return
		}
		if len(pi) < 4 || amount <= 0 {
			return
		}
		c := l.charge("ch_"+pi[3:], created)
		c.obj["amount"], c.obj["currency"], c.obj["payment_intent"], c.obj["metadata"] = amount, str("currency"), pi, meta
		if typ == "invoice.paid" {
			c.obj["invoice"] = str("id")
		}
	case "charge.refunded":
		c := l.charge(str("id"), created)
		for _, k := range []string{"amount", "currency", "payment_intent"} {
			if _, ok := c.obj[k]; !ok {
				c.obj[k] = o[k]
			}
		}
		if num("amount_refunded") >= toInt(c.obj["amount_refunded"]) {
			c.obj["amount_refunded"], c.obj["refunded"] = o["amount_refunded"], o["refunded"]
		}
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
		"charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated":
		id := str("id")
		d, ok := l.disputes[id]
		if !ok {
			d = &listed{id: id, seq: len(l.disputes)}
			l.disputes[id] = d
		}
		d.obj, d.created, d.charge = cloneObject(o), num("created"), str("charge")
		if d.charge != "" {
			l.charge(d.charge, created).obj["disputed"] = true
		}
	}
}

// charge is the charge id, made (succeeded, nothing refunded) at created if new.
func (l *StripeList) charge(id string, created int64) *listed {
	if c, ok := l.charges[id]; ok {
		return c
	}
	c := &listed{id: id, created: created, seq: len(l.charges), obj: Object{
		"id": id, "object": "charge", "status": "succeeded", "paid": true, "amount_refunded": int64(0),
		"refunded": false, "disputed": false, "created": created, "livemode": false,
	}}
	l.charges[id] = c
	return c
}

// SetCharge puts the charge c (its "id" and "created" set) as Stripe holds it, in place
// of the one the events made.
func (l *StripeList) SetCharge(c Object) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, _ := c["id"].(string)
	created := toInt(c["created"])
	prev, ok := l.charges[id]
	seq := len(l.charges)
	if ok {
		seq = prev.seq
	}
	l.charges[id] = &listed{id: id, created: created, seq: seq, obj: cloneObject(c)}
}

// Requests are the requests served so far, as "GET /v1/events?query".
func (l *StripeList) Requests() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.requests)
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

func cloneObject(o Object) Object {
	b, _ := json.Marshal(o)
	var c Object
	_ = json.Unmarshal(b, &c)
	return c
}

// The list parameters each endpoint takes, beside limit, starting_after and created[…]:
// Stripe's (2023-10-16).
var (
	typesParam   = regexp.MustCompile(`^types\[(\d+)\]$`)
	createdParam = regexp.MustCompile(`^created\[(gte|gt|lte|lt)\]$`)
)

// ServeHTTP serves the three lists.
func (l *StripeList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r.Method+" "+r.URL.RequestURI())
	if r.Header.Get("Authorization") == "" {
		stripeError(w, http.StatusUnauthorized, "You did not provide an API key.")
		return
	}
	if r.Method != http.MethodGet {
		stripeError(w, http.StatusNotFound, "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").")
		return
	}
	var all []*listed
	extra := map[string]bool{}
	switch r.URL.Path {
	case "/v1/events":
		for i := range l.events {
			all = append(all, &l.events[i])
		}
	case "/v1/charges":
		for _, c := range l.charges {
			all = append(all, c)
		}
	case "/v1/disputes":
		extra["charge"] = true
		for _, d := range l.disputes {
			all = append(all, d)
		}
	default:
		stripeError(w, http.StatusNotFound, "Unrecognized request URL (GET: "+r.URL.Path+").")
		return
	}
	q := r.URL.Query()
	var types []string
	limit, after := 10, ""
	var bounds [][2]any
	for k, vs := range q {
		v := vs[0]
		switch m, c := typesParam.FindStringSubmatch(k), createdParam.FindStringSubmatch(k); {
		case m != nil && r.URL.Path == "/v1/events":
			types = append(types, v)
		case c != nil:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				stripeError(w, http.StatusBadRequest, "Invalid integer: "+v)
				return
			}
			bounds = append(bounds, [2]any{c[1], n})
		case k == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				stripeError(w, http.StatusBadRequest, "Invalid limit: must be an integer between 1 and 100")
				return
			}
			limit = n
		case k == "starting_after":
			after = v
		case extra[k]:
		default:
			stripeError(w, http.StatusBadRequest, "Received unknown parameter: "+k)
			return
		}
	}
	var match []*listed
	for _, o := range all {
		if len(types) > 0 && !slices.Contains(types, o.typ) {
			continue
		}
		if c := q.Get("charge"); c != "" && o.charge != c {
			continue
		}
		if !within(o.created, bounds) {
			continue
		}
		match = append(match, o)
	}
	slices.SortFunc(match, func(a, b *listed) int { // newest first
		if a.created != b.created {
			return int(b.created - a.created)
		}
		return b.seq - a.seq
	})
	if after != "" {
		i := slices.IndexFunc(match, func(o *listed) bool { return o.id == after })
		if i < 0 {
			stripeError(w, http.StatusBadRequest, "No such object: '"+after+"'")
			return
		}
		match = match[i+1:]
	}
	more := len(match) > limit
	if more {
		match = match[:limit]
	}
	data := make([]json.RawMessage, 0, len(match))
	for _, o := range match {
		if o.raw != nil {
			data = append(data, o.raw)
			continue
		}
		b, _ := json.Marshal(o.obj)
		data = append(data, b)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": data})
}

func within(t int64, bounds [][2]any) bool {
	for _, b := range bounds {
		n := b[1].(int64)
		switch b[0] {
		case "gte":
			if t < n {
				return false
			}
		case "gt":
			if t <= n {
				return false
			}
		case "lte":
			if t > n {
				return false
			}
		case "lt":
			if t >= n {
				return false
			}
		}
	}
	return true
}

func stripeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": msg}})
}
