// Command stripe-webhook is the Lambda behind POST /webhooks/stripe. Stripe calls it
// server to server, so it answers no browser origin (no CORS).
package main

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/stripewebhookfn"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	ctx := context.Background()
	env := assembly.Boot(ctx)
	h := assembly.Must(stripewebhookfn.New(ctx, env))
	httpapi.Start(httpapi.Mux(h), httpapi.Sites{})
}
