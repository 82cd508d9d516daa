package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
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
		HTTPClient: bufferedBodies{awshttp.NewBuildableClient().WithTimeout(15 * time.Second).WithTransportOptions(func(t *http.Transport) {
			t.DisableKeepAlives = true
		})},
	}
}

// toldRetries writes each error the SDK will retry to stderr, which a test binary shows
// only when it fails: a retried write whose first answer was lost (moto, single-threaded
// on a busy machine, sometimes drops one) can apply twice, and the failure's output then
// says so.
type toldRetries struct{ aws.Retryer }

func (r toldRetries) IsErrorRetryable(err error) bool {
	ok := r.Retryer.IsErrorRetryable(err)
	if ok && !strings.Contains(err.Error(), "(injected") { // the fault proxy's are meant
		fmt.Fprintf(os.Stderr, "emulator: the SDK retries after: %v\n", err)
	}
	return ok
}

// bufferedBodies sends each request's body from memory. With the SDK's own body reader,
// about 2 calls in 1,000 to moto (HTTP/1.0: it answers, then closes) lost their answer:
// the transport's write of the request failed after moto had answered and closed, and
// closed the connection under the answer being read ("use of closed network
// connection", status 200), so the SDK tried again a write moto had applied. Read into
// memory first, 4,000 writes in a row lost none.
type bufferedBodies struct{ next aws.HTTPClient }

func (b bufferedBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
		req.TransferEncoding = nil
	}
	return b.next.Do(req)
}
