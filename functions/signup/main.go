// Command signup is the Lambda behind POST /members, the confirmation link
// (GET /members/confirm) and the "check your inbox" page.
package main

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	ctx := context.Background()
	env := assembly.Must(forms.Preload(ctx, assembly.Boot(ctx), secret.HashKey.Always())) // its secrets, in one call
	h := assembly.Must(signupfn.New(ctx, env))
	httpapi.Start(httpapi.Mux(h), assembly.Must(forms.Sites(ctx, env)))
}
