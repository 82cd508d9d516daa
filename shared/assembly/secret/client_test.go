package secret_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/redact"
)

// TestSignatureAsReceived: the server recomputes SigV4 from the request as it
// arrived on the wire (only the headers the Authorization names), as AWS does: no signed
// header may be changed or added by the transport after signing.
func TestSignatureAsReceived(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret", SessionToken: "token"}
	var problem string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		_, signedPart, _ := strings.Cut(auth, "SignedHeaders=")
		signedList, _, _ := strings.Cut(signedPart, ",")
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			problem = "no X-Amz-Date"
			return
		}
		re, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
		for _, h := range strings.Split(signedList, ";") {
			switch h {
			case "host":
			case "content-length":
				re.ContentLength = r.ContentLength
			default:
				re.Header.Set(h, r.Header.Get(h))
			}
		}
		re.Header.Del("X-Amz-Date")
		re.Header.Del("X-Amz-Security-Token")
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, re, hex.EncodeToString(sum[:]), "ssm", "ca-central-1", at); err != nil {
			problem = err.Error()
			return
		}
		if re.Header.Get("Authorization") != auth {
			problem = fmt.Sprintf("signature differs:\n got %s\nwant %s", auth, re.Header.Get("Authorization"))
		}
		fmt.Fprint(w, `{"Parameters":[{"Name":"/a","Value":"one"}]}`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "ca-central-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	got, err := secret.NewClient(cfg).Parameters(context.Background(), []string{"/a"})
	if err != nil || got["/a"] != "one" {
		t.Fatalf("%v %v", got, err)
	}
	if problem != "" {
		t.Error(problem)
	}
}

type urlRecorder struct{ urls []string }

func (u *urlRecorder) Do(r *http.Request) (*http.Response, error) {
	u.urls = append(u.urls, r.URL.String())
	return nil, errors.New("recorded")
}

// TestEndpointsByPartition: SSM's endpoint in each partition, as the SDK's
// partitions.json names them; a region that is not a host label is sent nowhere.
func TestEndpointsByPartition(t *testing.T) {
	want := map[string]string{
		"ca-central-1":    "https://ssm.ca-central-1.amazonaws.com/",
		"us-gov-west-1":   "https://ssm.us-gov-west-1.amazonaws.com/",
		"cn-north-1":      "https://ssm.cn-north-1.amazonaws.com.cn/",
		"us-iso-east-1":   "https://ssm.us-iso-east-1.c2s.ic.gov/",
		"us-isob-east-1":  "https://ssm.us-isob-east-1.sc2s.sgov.gov/",
		"eusc-de-east-1":  "https://ssm.eusc-de-east-1.amazonaws.eu/",
		"eu-isoe-west-1":  "https://ssm.eu-isoe-west-1.cloud.adc-e.uk/",
		"us-isof-south-1": "https://ssm.us-isof-south-1.csp.hci.ic.gov/",
		"evil.example/x":  "",
		"":                "",
	}
	for region, w := range want {
		rec := &urlRecorder{}
		cfg := aws.Config{Region: region, HTTPClient: rec, Retryer: func() aws.Retryer { return aws.NopRetryer{} },
			Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
		_, _ = secret.NewClient(cfg).Parameters(context.Background(), []string{"/a"})
		if w == "" && len(rec.urls) != 0 || w != "" && (len(rec.urls) != 1 || rec.urls[0] != w) {
			t.Errorf("%q: sent to %v, want %q", region, rec.urls, w)
		}
	}
}

// TestRefusalIsAnAPIError: SSM's refusal comes back as its code with the message, and
// the logs (redact.Error) keep the code and withhold the message, as for the SDK's own
// clients; it is not tried again.
func TestRefusalIsAnAPIError(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(400)
		fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:ca-central-1:123456789012:parameter/solidarity/turnstile"}`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "ca-central-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}
	_, err := secret.Resolve(context.Background(), secret.NewClient(cfg), "TURNSTILE_SECRET", "", "/solidarity/turnstile")
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" || !strings.Contains(err.Error(), "TURNSTILE_SECRET") {
		t.Fatalf("err %v, want SSM's AccessDeniedException naming the setting", err)
	}
	if logged := redact.Error(err); strings.Contains(logged, "123456789012") || !strings.Contains(logged, "AccessDeniedException") {
		t.Errorf("logged as %q", logged)
	}
	if calls != 1 {
		t.Errorf("%d calls, want 1: a refusal is an answer", calls)
	}
}
