package functions_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/localpay"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// TestBootstrapsUnderTheEmulator invokes every function's bootstrap once or more with
// recorded events: the appeal is read, a donation made, its payment confirmed by a signed
// webhook, and a receipt sent from a stream record.
func TestBootstrapsUnderTheEmulator(t *testing.T) {
	s := newStack(t)
	bins := bootstraps(t)
	store := dynamo.New(s.env.DB(), s.table)
	ctx := context.Background()
	run := func(fn string) *rie { return startRIE(t, filepath.Join(bins, fn, "bootstrap"), s.vars) }

	campaignFn := run("campaign")
	progress := func() map[string]any {
		t.Helper()
		res := decodeHTTP(t, campaignFn.invoke(t, recorded(t, "campaign-get.json")))
		if res.StatusCode != 200 || res.Headers["Cache-Control"] != "public, max-age=30" {
			t.Fatalf("campaign: %+v", res)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(res.Body), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := progress(); p["raised_cents"] != 9e6 || p["title"] != "Campagne financière 2024" {
		t.Fatalf("progress %v", p)
	}

	donateFn := run("donate")
	// A plain HTML form post, which API Gateway hands over base64-encoded: 303 to Checkout.
	form := decodeHTTP(t, donateFn.invoke(t, recorded(t, "donations-form-post.json")))
	if form.StatusCode != 303 || !strings.HasPrefix(form.Headers["Location"], "https://checkout.stripe.com/") {
		t.Fatalf("form post: %+v", form)
	}

	donate := decodeHTTP(t, donateFn.invoke(t, recorded(t, "donations-post.json")))
	if donate.StatusCode != 201 || donate.Headers["Access-Control-Allow-Origin"] != "https://don.example.org" {
		t.Fatalf("donate: %+v", donate)
	}
	var created struct {
		DonationID  string `json:"donation_id"`
		CheckoutURL string `json:"checkout_url"`
	}
	if err := json.Unmarshal([]byte(donate.Body), &created); err != nil || created.CheckoutURL == "" {
		t.Fatalf("donate body %s", donate.Body)
	}
	d, err := store.Donation(ctx, created.DonationID)
	if err != nil || d.Status != "pending" || d.Language != "fr" {
		t.Fatalf("stored %+v %v", d, err)
	}

	// The recorded webhook request, carrying a fresh event signed as Stripe signs it.
	payload := localpay.Event("checkout.session.completed", localpay.SessionCompleted(d), time.Now())
	var ev map[string]any
	if err := json.Unmarshal(recorded(t, "webhook-post.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["body"] = string(payload)
	ev["headers"].(map[string]any)["stripe-signature"] = localpay.Sign(payload, webhookSecret, time.Now())
	webhookEvent, _ := json.Marshal(ev)
	hook := run("stripe-webhook")
	for i := 0; i < 2; i++ {
		if res := decodeHTTP(t, hook.invoke(t, webhookEvent)); res.StatusCode != 200 {
			t.Fatalf("webhook delivery %d: %+v", i+1, res)
		}
	}
	if p := progress(); p["raised_cents"] != 9_002_500.0 || p["donor_count"] != 1.0 {
		t.Fatalf("progress after payment %v", p)
	}

	// The mailer, fed the recorded stream record of an outbox email.
	var stream struct {
		Records []struct {
			Dynamodb struct {
				NewImage json.RawMessage
			} `json:"dynamodb"`
		}
	}
	raw := recorded(t, "outbox-stream.json")
	if err := json.Unmarshal(raw, &stream); err != nil {
		t.Fatal(err)
	}
	putOutboxItem(t, s, stream.Records[0].Dynamodb.NewImage)
	var batch struct {
		BatchItemFailures []any `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(run("mailer").invoke(t, raw), &batch); err != nil || len(batch.BatchItemFailures) != 0 {
		t.Fatalf("mailer: %+v %v", batch, err)
	}
	sent := s.env.SentEmails(t, "stream.rie@example.org")
	if len(sent) != 1 || !strings.Contains(sent[0].Subject, "Reçu de votre don") || !strings.Contains(sent[0].Body, "SOL-2026-RIE00001") {
		t.Fatalf("sent %+v", sent)
	}
}

// putOutboxItem writes the top-level string and number attributes of a recorded stream
// image, which is what the mailer's claim reads (the body comes from the image itself).
func putOutboxItem(t *testing.T, s *stack, image json.RawMessage) {
	t.Helper()
	var img map[string]map[string]any
	if err := json.Unmarshal(image, &img); err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{}
	for k, v := range img {
		switch {
		case v["S"] != nil:
			item[k] = &types.AttributeValueMemberS{Value: v["S"].(string)}
		case v["N"] != nil:
			item[k] = &types.AttributeValueMemberN{Value: v["N"].(string)}
		}
	}
	if _, err := s.env.DB().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		t.Fatal(err)
	}
}
