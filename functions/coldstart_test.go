package functions_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// coldEvent is, per function, a request its handler answers without I/O, so a cold start
// measures the binary's own start: a page for donate, a slug that is not well formed for
// campaign, an unsigned delivery for stripe-webhook, a record to skip for mailer, a link
// that is not well formed for signup, unsubscribe and portal, a page for subscribe, an
// SES delivery event (which it ignores) for mail-events, an empty batch for
// broadcast-sender. "campaign-read" is campaign's progress read, one DynamoDB Query on
// moto: a first request's signing, connection and round trip, measured beside.
func coldEvent(tb testing.TB, fn string) []byte {
	tb.Helper()
	switch fn {
	case "campaign-read":
		return recorded(tb, "campaign-get.json")
	case "mailer":
		var ev map[string]any
		if err := json.Unmarshal(recorded(tb, "outbox-stream.json"), &ev); err != nil {
			tb.Fatal(err)
		}
		ev["Records"].([]any)[0].(map[string]any)["eventName"] = "MODIFY"
		b, _ := json.Marshal(ev)
		return b
	case "mail-events":
		return recorded(tb, "ses-delivery-sns.json")
	case "broadcast-sender":
		return []byte(`{"Records":[]}`) // an empty batch of its queue: nothing to send
	case "hello":
		return []byte(`{}`)
	}
	var ev map[string]any
	// Requests that answer without a network call (a page; a link that is not well formed).
	name := map[string]string{"donate": "campaign-get.json", "campaign": "campaign-get.json", "stripe-webhook": "webhook-post.json",
		"signup": "members-confirm-get.json", "unsubscribe": "unsubscribe-post.json", "subscribe": "campaign-get.json",
		"portal": "portal-get.json"}[fn]
	if err := json.Unmarshal(recorded(tb, name), &ev); err != nil {
		tb.Fatal(err)
	}
	if page := map[string]string{"donate": "/donations/thanks", "subscribe": "/subscriptions/thanks", "campaign": "/campaigns/Not_A_Slug"}[fn]; page != "" {
		ev["rawPath"] = page
		if fn != "campaign" {
			ev["rawQueryString"] = "lang=fr"
		}
		ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = page
	}
	b, _ := json.Marshal(ev)
	return b
}

// coldStart launches the emulator with bootstrap and returns the time to the first answer.
func coldStart(b *testing.B, s *stack, bootstrap string, event []byte) time.Duration {
	start := time.Now()
	e := startRIE(b, bootstrap, s.vars)
	e.invoke(b, event)
	d := time.Since(start)
	e.stop()
	return d
}

// BenchmarkColdStart measures each function's launch-to-first-response under the Lambda
// emulator against a hello-world aws-lambda-go binary built the same way, run alternately.
// It reports the median of each and their ratio:
//
//	go test ./functions -run '^$' -bench ColdStart -benchtime 25x
func BenchmarkColdStart(b *testing.B) {
	s := newStack(b)
	bins := bootstraps(b)
	hello := filepath.Join(bins, "hello", "bootstrap")
	for _, fn := range append(functions, "campaign-read") {
		if fn == "export" || fn == "reconcile" {
			continue // a daily run (a table export; Stripe's lists): not a cold start to repeat
		}
		bin := filepath.Join(bins, strings.TrimSuffix(fn, "-read"), "bootstrap")
		b.Run(fn, func(b *testing.B) {
			event, helloEvent := coldEvent(b, fn), coldEvent(b, "hello")
			var fnTimes, helloTimes []time.Duration
			for i := 0; i < b.N; i++ {
				helloTimes = append(helloTimes, coldStart(b, s, hello, helloEvent))
				fnTimes = append(fnTimes, coldStart(b, s, bin, event))
			}
			med := func(d []time.Duration) time.Duration { slices.Sort(d); return d[len(d)/2] }
			f, h := med(fnTimes), med(helloTimes)
			b.ReportMetric(float64(f.Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(h.Microseconds())/1000, "hello-ms-median")
			b.ReportMetric(float64(f)/float64(h), "x-hello")
		})
	}
}
