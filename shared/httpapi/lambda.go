package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// Adapt runs h for API Gateway HTTP API (payload 2.0) events, so a Lambda serves exactly
// the handler that the local server mounts.
func Adapt(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := toRequest(ctx, ev)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusBadRequest,
				Headers: map[string]string{"Content-Type": "application/json"},
				Body:    `{"error":"bad_request","message":"The request could not be read."}`}, nil
		}
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		return rec.response(), nil
	}
}

func toRequest(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = decoded
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	u := &url.URL{Path: path, RawQuery: ev.RawQueryString}
	method := ev.RequestContext.HTTP.Method
	r, err := http.NewRequestWithContext(ctx, method, u.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = ev.RequestContext.DomainName
	r.ContentLength = int64(len(body))
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	return r, nil
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *recorder) response() events.APIGatewayV2HTTPResponse {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	res := events.APIGatewayV2HTTPResponse{StatusCode: r.status, Headers: map[string]string{}}
	for k, v := range r.header {
		res.Headers[k] = strings.Join(v, ", ")
	}
	ct := r.header.Get("Content-Type")
	if strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || r.body.Len() == 0 {
		res.Body = r.body.String()
	} else {
		res.Body = base64.StdEncoding.EncodeToString(r.body.Bytes())
		res.IsBase64Encoded = true
	}
	return res
}

// Start serves h as this Lambda's handler, behind sites' CORS and cross-site refusal.
func Start(h http.Handler, sites Sites) {
	lambda.StartWithOptions(Adapt(sites.Handler(h)), lambda.WithEnableSIGTERM(func() {
		slog.Info("shutting down")
	}))
}

// Router is a handler that mounts its own routes.
type Router interface {
	Routes(mux *http.ServeMux)
}

// Mux mounts routers on a new ServeMux.
func Mux(routers ...Router) *http.ServeMux {
	mux := http.NewServeMux()
	for _, r := range routers {
		r.Routes(mux)
	}
	return mux
}
