package secret

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// Client is SSM's GetParameters (awsJson1_1, SigV4), on the function's SDK
// configuration: its region, credentials, endpoint (AWS_ENDPOINT_URL locally) and HTTP
// client.
type Client struct {
	cfg aws.Config
	// Now is the signing clock; nil is time.Now.
	Now func() time.Time
}

// NewClient is a Client on cfg.
func NewClient(cfg aws.Config) *Client { return &Client{cfg: cfg} }

// maxNames is GetParameters' limit of names per call.
const maxNames = 10

// Parameters reads names, decrypted: a map from each name found to its value. A name
// SSM does not have is left out of the map; a refusal (a name the role may not read
// refuses the whole call) is an error with SSM's code and message (an
// smithy.APIError, whose message redact withholds from logs), never a secret. Calls are
// retried as the configuration's retryer says (jittered backoff on throttles, server
// and network errors).
func (c *Client) Parameters(ctx context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for len(names) > 0 {
		n := min(len(names), maxNames)
		if err := c.get(ctx, names[:n], out); err != nil {
			return nil, err
		}
		names = names[n:]
	}
	return out, nil
}

func (c *Client) get(ctx context.Context, names []string, out map[string]string) error {
	body, err := json.Marshal(struct {
		Names          []string
		WithDecryption bool
	}{names, true})
	if err != nil {
		return err
	}
	var r aws.Retryer = retry.NewStandard()
	if c.cfg.Retryer != nil {
		r = c.cfg.Retryer()
	}
	for attempt := 1; ; attempt++ {
		err := c.call(ctx, body, out)
		if err == nil || ctx.Err() != nil || attempt >= r.MaxAttempts() || !r.IsErrorRetryable(err) {
			return err
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
	}
}

// apiError is SSM's refusal: its code and message, and the HTTP status the retryer
// reads.
type apiError struct {
	smithy.GenericAPIError
	status int
}

func (e *apiError) HTTPStatusCode() int { return e.status }

// call sends one GetParameters.
func (c *Client) call(ctx context.Context, body []byte, out map[string]string) error {
	if c.cfg.Credentials == nil {
		return errors.New("GetParameters: no AWS credentials")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("GetParameters: credentials: %w", err)
	}
	host, err := c.endpoint()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, host, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameters")
	sum := sha256.Sum256(body)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", c.cfg.Region, now().UTC()); err != nil {
		return fmt.Errorf("GetParameters: sign: %w", err)
	}
	var client aws.HTTPClient = c.cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GetParameters: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("GetParameters: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		ae := &apiError{status: res.StatusCode}
		ae.Code = e.Type[strings.LastIndex(e.Type, "#")+1:]
		if ae.Code == "" {
			ae.Code = http.StatusText(res.StatusCode)
		}
		ae.Message = e.Message
		if ae.Message == "" {
			ae.Message = e.Msg
		}
		if res.StatusCode < 500 {
			ae.Fault = smithy.FaultClient
		} else {
			ae.Fault = smithy.FaultServer
		}
		return fmt.Errorf("GetParameters: %w", ae)
	}
	var ok struct {
		Parameters []struct{ Name, Value string }
	}
	if err := json.Unmarshal(data, &ok); err != nil {
		return fmt.Errorf("GetParameters: the answer is not SSM's: %w", err)
	}
	for _, p := range ok.Parameters {
		out[p.Name] = p.Value
	}
	return nil
}

// dnsSuffixes are the partitions' DNS suffixes by region prefix (the SDK's
// partitions.json); any other region is in the aws partition.
var dnsSuffixes = []struct{ prefix, suffix string }{
	{"cn-", "amazonaws.com.cn"},
	{"us-isob-", "sc2s.sgov.gov"},
	{"us-isof-", "csp.hci.ic.gov"},
	{"us-iso-", "c2s.ic.gov"},
	{"eu-isoe-", "cloud.adc-e.uk"},
	{"eusc-", "amazonaws.eu"},
}

// endpoint is AWS_ENDPOINT_URL when set, else SSM's regional endpoint in the region's
// partition; a region that is not a host label is refused.
func (c *Client) endpoint() (string, error) {
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return strings.TrimRight(*c.cfg.BaseEndpoint, "/") + "/", nil
	}
	region := c.cfg.Region
	if !hostLabel(region) {
		return "", fmt.Errorf("GetParameters: %q is not a region", region)
	}
	suffix := "amazonaws.com"
	for _, p := range dnsSuffixes {
		if strings.HasPrefix(region, p.prefix) {
			suffix = p.suffix
			break
		}
	}
	return "https://ssm." + region + "." + suffix + "/", nil
}

// hostLabel: lowercase letters, digits and inner hyphens, at most 63.
func hostLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
