// Command portal is the Lambda behind POST /portal (email a link) and GET /portal (follow
// it to the Stripe customer portal).
package main

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/portalfn"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	ctx := context.Background()
	env := assembly.Must(forms.Preload(ctx, assembly.Boot(ctx), secret.StripeSecretKey)) // its secrets, in one call
	h := assembly.Must(portalfn.New(ctx, env))
	httpapi.Start(httpapi.Mux(h), assembly.Must(forms.Sites(ctx, env)))
}
