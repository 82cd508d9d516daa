package emulator

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/solidarity/solidarity/shared/config"
)

// AWSConfig is an SDK configuration for the emulator at endpoint, with the fake static
// credentials and region moto needs.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "ca-central-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		// Fail fast against a local emulator; production clients keep the SDK defaults.
		RetryMaxAttempts: 2,
		Retryer: func() aws.Retryer {
			// Short pauses between tries: a local emulator under injected faults does not
			// need the SDK's up-to-20-second backoff, which would stall the stream's mailer.
			return toldRetries{retry.AddWithMaxBackoffDelay(config.Retryer(2)(), 100*time.Millisecond)}
		},
		// moto runs single-threaded: a parked keep-alive connection would hold it up.
		// A call that hangs (the emulator never answering) fails after a while instead of
		// stalling its caller, such as the stream poller, for good.
		HTTPClient: awshttp.NewBuildableClient().WithTimeout(15 * time.Second).WithTransportOptions(func(t *http.Transport) {
			t.DisableKeepAlives = true
		}),
	}
}

// toldRetries writes each error the SDK will retry to stderr, which a test binary shows
// only when it fails: a retried write whose first answer was lost (moto, single-threaded
// on a busy machine, sometimes drops one) can apply twice, and the failure's output then
// says so.
type toldRetries struct{ aws.Retryer }

func (r toldRetries) IsErrorRetryable(err error) bool {
	ok := r.Retryer.IsErrorRetryable(err)
	if ok {
		fmt.Fprintf(os.Stderr, "emulator: the SDK retries after: %v\n", err)
	}
	return ok
}
