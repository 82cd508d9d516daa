// Command unsubscribe is the Lambda behind GET and POST /unsubscribe: the link and the
// one-click button of every news email.
package main

import (
	"context"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/assembly/unsubscribefn"
	"github.com/solidarity/solidarity/shared/httpapi"
)

func main() {
	ctx := context.Background()
	env := assembly.Boot(ctx)
	h := assembly.Must(unsubscribefn.New(ctx, env))
	httpapi.Start(httpapi.Mux(h), env.Sites())
}
