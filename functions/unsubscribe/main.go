// Command unsubscribe is the Lambda behind GET and POST /unsubscribe: the link and the
// one-click button of every news email.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/solidarity/solidarity/shared/config"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/unsubscribe"
)

func main() {
	cfg, aws := config.Boot(context.Background())
	h := unsubscribe.Handler{Store: dynamo.New(dynamodb.NewFromConfig(aws), cfg.Table), Now: time.Now}
	httpapi.Start(httpapi.Mux(h), cfg.AllowedOrigins)
}
