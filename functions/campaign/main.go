// Command campaign is the Lambda behind GET /campaigns/{slug}.
package main

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/campaignfn"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	ctx := context.Background()
	env := assembly.Boot(ctx)
	h := assembly.Must(campaignfn.New(ctx, env))
	httpapi.Start(httpapi.Mux(h), env.Sites())
}
