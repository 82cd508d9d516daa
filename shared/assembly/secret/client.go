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
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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

// attempts is how often a call is tried when SSM answers a server error or a throttle,
// or the network fails: the configuration's retryer's attempts, 3 without one.
func (c *Client) attempts() int {
	if c.cfg.Retryer != nil {
		if n := c.cfg.Retryer().MaxAttempts(); n > 0 {
			return n
		}
	}
	return 3
}

// Parameters reads names, decrypted: a map from each name found to its value. A name
// SSM does not have is left out of the map; a refusal (a name the role may not read
// refuses the whole call) is an error naming SSM's reason, never a secret.
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
	var last error
	for try := range c.attempts() {
		if try > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(100<<try) * time.Millisecond):
			}
		}
		retry, err := c.call(ctx, body, out)
		if err == nil || !retry {
			return err
		}
		last = err
	}
	return last
}

// call sends one GetParameters: retry says whether another try may succeed.
func (c *Client) call(ctx context.Context, body []byte, out map[string]string) (retry bool, err error) {
	if c.cfg.Credentials == nil {
		return false, errors.New("no AWS credentials")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return false, fmt.Errorf("credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(), bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameters")
	sum := sha256.Sum256(body)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ssm", c.cfg.Region, now().UTC()); err != nil {
		return false, fmt.Errorf("sign: %w", err)
	}
	var client aws.HTTPClient = c.cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("GetParameters: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return true, fmt.Errorf("GetParameters: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(data, &e)
		code := e.Type[strings.LastIndex(e.Type, "#")+1:]
		if code == "" {
			code = res.Status
		}
		msg := e.Message
		if msg == "" {
			msg = e.Msg
		}
		throttled := strings.Contains(code, "Throttl") || code == "TooManyUpdates"
		return res.StatusCode >= 500 || throttled, fmt.Errorf("GetParameters: %s: %s", code, msg)
	}
	var ok struct {
		Parameters []struct{ Name, Value string }
	}
	if err := json.Unmarshal(data, &ok); err != nil {
		return false, fmt.Errorf("GetParameters: the answer is not SSM's: %w", err)
	}
	for _, p := range ok.Parameters {
		out[p.Name] = p.Value
	}
	return false, nil
}

// endpoint is AWS_ENDPOINT_URL when set, else SSM's regional endpoint.
func (c *Client) endpoint() string {
	if c.cfg.BaseEndpoint != nil && *c.cfg.BaseEndpoint != "" {
		return strings.TrimRight(*c.cfg.BaseEndpoint, "/") + "/"
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(c.cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ssm." + c.cfg.Region + "." + suffix + "/"
}
