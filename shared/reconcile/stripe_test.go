package reconcile

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	stripe "github.com/stripe/stripe-go/v76"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// recorder passes requests on to next and keeps their paths and queries.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.Path+"?"+req.URL.RawQuery)
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// readAll reads every list the reconciliation reads, as it reads them.
func readAll(t *testing.T, s Stripe, types []string, w Window) (events, charges, disputes, ofCharge int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Events(ctx, types, w, func(*stripe.Event) error { events++; return nil }); err != nil {
		t.Fatalf("events: %v", err)
	}
	if err := s.Charges(ctx, w, func(*stripe.Charge) error { charges++; return nil }); err != nil {
		t.Fatalf("charges: %v", err)
	}
	if err := s.Disputes(ctx, w, "", func(*stripe.Dispute) error { disputes++; return nil }); err != nil {
		t.Fatalf("disputes: %v", err)
	}
	if err := s.Disputes(ctx, w, "ch_local_1", func(*stripe.Dispute) error { ofCharge++; return nil }); err != nil {
		t.Fatalf("disputes of a charge: %v", err)
	}
	return
}

// Every list request the reconciliation sends is accepted by stripe-mock in strict mode
// (it validates each parameter against Stripe's 2023-10-16 API), and the list server of
// the tests accepts the very same requests.
func TestStripeMockAcceptsTheLists(t *testing.T) {
	env := emulator.Get(t)
	target, _ := url.Parse(env.Stripe.URL)
	mock := &recorder{next: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(mock)
	defer srv.Close()
	// The handled types, and more than one list's 20.
	types := webhook.HandledEvents()
	for i := len(types); i <= maxTypes; i++ {
		types = append(types, fmt.Sprintf("test.type_%d", i))
	}
	w := Last(now, Retention)
	e, c, d, dc := readAll(t, NewStripe(srv.URL, "sk_test_strict"), types, w)
	if e == 0 || c == 0 || d == 0 || dc == 0 {
		t.Errorf("stripe-mock listed %d events, %d charges, %d disputes, %d of a charge", e, c, d, dc)
	}
	if len(mock.seen) != 5 { // the events in two lists (over 20 types), then the rest
		t.Fatalf("requests %v", mock.seen)
	}
	q, _ := url.ParseQuery(strings.SplitN(mock.seen[0], "?", 2)[1])
	if q.Get("limit") != "100" || q.Get("created[gte]") != fmt.Sprint(w.From.Unix()) || q.Get("created[lte]") != fmt.Sprint(w.To.Unix()) ||
		q.Get("types[0]") != types[0] || q.Get("types[19]") != types[19] || q.Has("types[20]") {
		t.Errorf("the events' query %v", q)
	}

	list := localpay.NewStripeList()
	local := &recorder{next: list}
	lsrv := httptest.NewServer(local)
	defer lsrv.Close()
	readAll(t, NewStripe(lsrv.URL, "sk_test_local"), types, w)
	if !slices.Equal(local.seen, mock.seen) {
		t.Errorf("the list server was sent\n%v\nstripe-mock\n%v", local.seen, mock.seen)
	}
}

// The list server pages as Stripe does, and stripe-go's iterators read every page:
// newest first, only the types and the window asked for.
func TestListServerPages(t *testing.T) {
	list := localpay.NewStripeList()
	start := now.Add(-6 * 24 * time.Hour)
	w := Last(now, 5*24*time.Hour)
	want := 0
	for i := range 260 {
		typ := []string{"invoice.paid", "charge.refunded", "customer.created"}[i%3]
		at := start.Add(time.Duration(i) * 20 * time.Minute)
		obj := localpay.ChargeRefunded(fmt.Sprintf("pi_local_%d", i), 1000, 100, "cad")
		payload := localpay.Event(typ, obj, at)
		if err := list.Record(payload); err != nil {
			t.Fatal(err)
		}
		if typ != "customer.created" && !at.Before(w.From) && !at.After(w.To) {
			want++
		}
	}
	srv := httptest.NewServer(list)
	defer srv.Close()
	s := NewStripe(srv.URL, "sk_test_local")
	var got []*stripe.Event
	if err := s.Events(context.Background(), []string{"invoice.paid", "charge.refunded"}, w, func(ev *stripe.Event) error {
		got = append(got, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != want || len(got) <= 100 {
		t.Fatalf("listed %d events, want %d (over a page)", len(got), want)
	}
	for i, ev := range got {
		if ev.Type == "customer.created" || ev.Created < w.From.Unix() || ev.Created > w.To.Unix() {
			t.Errorf("listed %s of %v", ev.Type, time.Unix(ev.Created, 0))
		}
		if i > 0 && got[i-1].Created < ev.Created {
			t.Errorf("not newest first at %d", i)
		}
	}
	pages := 0
	for _, r := range list.Requests() {
		if strings.HasPrefix(r, "GET /v1/events?") {
			pages++
			if pages > 1 && !strings.Contains(r, "starting_after=evt_") {
				t.Errorf("page %d: %s", pages, r)
			}
		}
	}
	if pages != (want+99)/100 {
		t.Errorf("%d pages for %d events", pages, want)
	}
	// The charges the events made: one per refunded payment intent, in the window.
	charges := 0
	if err := s.Charges(context.Background(), Last(now, 30*24*time.Hour), func(c *stripe.Charge) error {
		if c.AmountRefunded != 100 || c.PaymentIntent == nil || !strings.HasPrefix(c.PaymentIntent.ID, "pi_local_") {
			t.Errorf("charge %+v", c)
		}
		charges++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if charges != 260/3+1 {
		t.Errorf("%d charges", charges)
	}
}

// A parameter Stripe's list does not take is refused as Stripe would.
func TestListServerRefusesWhatStripeWould(t *testing.T) {
	srv := httptest.NewServer(localpay.NewStripeList())
	defer srv.Close()
	for _, tc := range []struct {
		path string
		auth bool
		want int
	}{
		{"/v1/events?limit=100", true, http.StatusOK},
		{"/v1/events?limit=100", false, http.StatusUnauthorized},
		{"/v1/events?limit=101", true, http.StatusBadRequest},
		{"/v1/events?type=invoice.paid", true, http.StatusBadRequest},
		{"/v1/events?starting_after=evt_none", true, http.StatusBadRequest},
		{"/v1/charges?types[0]=invoice.paid", true, http.StatusBadRequest},
		{"/v1/charges?created[gte]=soon", true, http.StatusBadRequest},
		{"/v1/disputes?charge=ch_1", true, http.StatusOK},
		{"/v1/refunds", true, http.StatusNotFound},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		if tc.auth {
			req.SetBasicAuth("sk_test_local", "")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", tc.path, res.StatusCode, tc.want)
		}
	}
}
