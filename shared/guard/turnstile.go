// Turnstile is Cloudflare's proof that a form was filled in by a person: the widget adds
// a token to the form (cf-turnstile-response), and the server asks Cloudflare's
// siteverify whether it is good. Optional: with no secret configured, every request
// passes, and the rate limits remain the only guard.

package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/request"
)

// SiteVerify is Cloudflare's verification endpoint.
const SiteVerify = "https://challenges.cloudflare.com/turnstile/v0/siteverify"

// TurnstileField is the form field (and JSON key) the widget fills in.
const TurnstileField = "cf-turnstile-response"

// Turnstile asks siteverify about tokens.
type Turnstile struct {
	Secret string
	URL    string // SiteVerify, or a stand-in locally
	Client *http.Client
}

// Verify checks token (from the client at ip). A missing or refused token is a
// validation error on TurnstileField. If Cloudflare cannot be reached, the request passes (and is
// logged): a donation form that fails whenever Cloudflare does would cost more than the
// rate limits let through.
func (v Turnstile) Verify(ctx context.Context, token, ip string) error {
	if v.Secret == "" {
		return nil
	}
	refused := httpapi.FieldErrors{}
	refused.Add(TurnstileField, i18n.M("field.turnstile"))
	if strings.TrimSpace(token) == "" || len(token) > 2048 {
		return refused.Err()
	}
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
		return fmt.Errorf("turnstile request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		slog.WarnContext(ctx, "turnstile unreachable; request let through", "err", "network")
		return nil
	}
	defer res.Body.Close()
	var out struct {
		Success    bool     `json:"success"`
		ErrorCodes []string `json:"error-codes"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&out) != nil {
		slog.WarnContext(ctx, "turnstile answered oddly; request let through", "status", res.StatusCode)
		return nil
	}
	if !out.Success {
		slog.InfoContext(ctx, "turnstile refused a token", "codes", strings.Join(out.ErrorCodes, ","))
		return refused.Err()
	}
	return nil
}

// Request is Verify as a request.Guard.
func (v Turnstile) Request(ctx context.Context, s request.Sender) error {
	return v.Verify(ctx, s.BotToken, s.IP)
}
