// Turnstile is Cloudflare's proof that a form was filled in by a person: the widget adds
// a token to the form (cf-turnstile-response), and the server asks Cloudflare's
// siteverify whether it is good, and whether it was solved on one of our own sites.
// Optional: with no secret configured, every request passes, and the rate limits remain
// the only guard.
//
// When siteverify cannot be reached (a network error, a timeout, a 5xx, an answer that is
// not siteverify's, or its own internal-error), the endpoints that email an address nobody
// has proven (members, portal) refuse the request: they would otherwise relay a bot's
// choice of recipient through our domain. Donations and subscriptions let it pass: Stripe
// Checkout has its own bot defences, the rate limits still count, and refusing money
// whenever Cloudflare is down would hurt the appeal. Either way the outage is logged as a
// warning with alarm=turnstile_unreachable (and the endpoint, no personal data). A token
// siteverify refuses, one solved on another site, or any other answer of Cloudflare's
// that is not a 200 or a 5xx (a 4xx refuses the request itself: it is no outage, and a
// bot must not pass by provoking one), is refused everywhere.

package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// SiteVerify is Cloudflare's verification endpoint.
const SiteVerify = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

// TurnstileField is the form field (and JSON key) the widget fills in.
const TurnstileField = "cf-turnstile-response"

// Alarm is the log attribute (alarm=…) a metric filter can count.
const Alarm = "turnstile_unreachable"

// Turnstile asks siteverify about tokens.
type Turnstile struct {
	Secret string
	URL    string // SiteVerify, or a stand-in locally
	Client *http.Client
	// Hostnames are the sites the widget may be solved on; siteverify's answer must name
	// one of them (compared without case). Empty: not checked.
	Hostnames []string
	// FailClosed refuses the request when siteverify cannot be reached.
	FailClosed bool
	Endpoint   string // for the logs
}

// Verify checks token (from the client at ip). A missing, refused or foreign token is a
// validation error on TurnstileField; so is an unreachable siteverify when FailClosed (with
// a message asking to try again), else the request passes.
func (v Turnstile) Verify(ctx context.Context, token, ip string) error {
	if v.Secret == "" {
		return nil
	}
	if strings.TrimSpace(token) == "" || len(token) > 2048 {
		return fieldError("field.turnstile")
	}
	out, err := v.siteverify(ctx, token, ip)
	if err != nil {
		slog.WarnContext(ctx, "turnstile unreachable", "alarm", Alarm, "endpoint", v.Endpoint,
			"fail_closed", v.FailClosed, "why", err.Error())
		if v.FailClosed {
			return fieldError("field.turnstile_unavailable")
		}
		return nil
	}
	if !out.Success {
		level := slog.LevelInfo
		if len(out.ErrorCodes) == 1 && strings.HasPrefix(out.ErrorCodes[0], "http-") {
			level = slog.LevelWarn // siteverify refused the request itself: worth a look
		}
		slog.Log(ctx, level, "turnstile refused a token", "endpoint", v.Endpoint, "codes", clip(strings.Join(out.ErrorCodes, ","), 200))
		return fieldError("field.turnstile")
	}
	if !v.ours(out.Hostname) {
		slog.WarnContext(ctx, "turnstile token solved on another site", "endpoint", v.Endpoint, "hostname", clip(out.Hostname, 253))
		return fieldError("field.turnstile")
	}
	return nil
}

// answer is siteverify's answer, as far as it matters here.
type answer struct {
	Success    bool     `json:"success"`
	ErrorCodes []string `json:"error-codes"`
	Hostname   string   `json:"hostname"`
}

// siteverify asks Cloudflare; its error means no trustworthy answer came back (the reason
// is fit for a log: no token, secret or address in it).
func (v Turnstile) siteverify(ctx context.Context, token, ip string) (answer, error) {
	client := v.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	endpoint := v.URL
	if endpoint == "" {
		endpoint = SiteVerify
	}
	form := url.Values{"secret": {v.Secret}, "response": {token}}
	if ip != "" {
		form.Set("remoteip", ip)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, fmt.Errorf("request")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("network")
	}
	defer res.Body.Close()
	var out answer
	switch {
	case res.StatusCode >= 500:
		return answer{}, fmt.Errorf("status %d", res.StatusCode)
	case res.StatusCode != http.StatusOK:
		// Cloudflare refused the request (a 4xx): a refusal, not an outage.
		return answer{ErrorCodes: []string{fmt.Sprintf("http-%d", res.StatusCode)}}, nil
	}
	if json.NewDecoder(io.LimitReader(res.Body, 64<<10)).Decode(&out) != nil {
		return answer{}, fmt.Errorf("unreadable answer")
	}
	if !out.Success && slices.Contains(out.ErrorCodes, "internal-error") {
		return answer{}, fmt.Errorf("internal-error")
	}
	return out, nil
}

// ours reports whether host is one of v.Hostnames (any, when none are configured).
func (v Turnstile) ours(host string) bool {
	if len(v.Hostnames) == 0 {
		return true
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	return host != "" && slices.ContainsFunc(v.Hostnames, func(h string) bool {
		return strings.TrimSuffix(strings.ToLower(h), ".") == host
	})
}

func fieldError(key string) error {
	f := httpapi.FieldErrors{}
	f.Add(TurnstileField, i18n.M(key))
	return f.Err()
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
