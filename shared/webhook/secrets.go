package webhook

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/solidarity/solidarity/shared/redact"
)

// ParseSecrets reads the signing-secret setting (STRIPE_WEBHOOK_SECRET, or its SSM
// parameter's value): one secret, or several separated by commas or white space, newest
// first, as during a rotation ("whsec_new,whsec_old"). An empty entry is not a secret.
func ParseSecrets(setting string) []string {
	return strings.FieldsFunc(setting, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// SecretMaxAge is how long the webhook function keeps the secrets it read from their SSM
// parameter before reading them again, so that a rotation reaches running functions
// without a deploy: a new secret is accepted, and a retired one refused, everywhere at
// most this long after the parameter changed.
const SecretMaxAge = 5 * time.Minute

// SecretSource holds the signing secrets read by Load (the SSM parameter) and reads them
// again once they are MaxAge old. A failed read again keeps the secrets it had, and is
// logged; only the first read's failure is returned.
type SecretSource struct {
	Load   func(ctx context.Context) (string, error)
	MaxAge time.Duration    // zero is SecretMaxAge
	Now    func() time.Time // nil is time.Now

	mu      sync.Mutex
	secrets []string
	at      time.Time
	loaded  bool
}

// Secrets returns the current secrets, newest first.
func (s *SecretSource) Secrets(ctx context.Context) ([]string, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	maxAge := s.MaxAge
	if maxAge <= 0 {
		maxAge = SecretMaxAge
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && now().Sub(s.at) < maxAge {
		return s.secrets, nil
	}
	v, err := s.Load(ctx)
	switch {
	case err != nil && !s.loaded:
		return nil, err
	case err != nil:
		slog.WarnContext(ctx, "stripe webhook secrets not read again; keeping the ones read before", "err", redact.Error(err))
	default:
		s.secrets, s.loaded = ParseSecrets(v), true
	}
	s.at = now()
	return s.secrets, nil
}

// secrets are the signing secrets in force: the source's, else the Secret setting's.
func (h Handler) secrets(ctx context.Context) ([]string, error) {
	if h.Secrets != nil {
		return h.Secrets.Secrets(ctx)
	}
	return ParseSecrets(h.Secret), nil
}

// NewestSecret is the secret Stripe signs with first (the newest one in force): what
// make dev's local checkout page signs its events with.
func (h Handler) NewestSecret(ctx context.Context) (string, error) {
	secrets, err := h.secrets(ctx)
	if err != nil || len(secrets) == 0 {
		return "", err
	}
	return secrets[0], nil
}

// verify checks the Stripe-Signature header against each secret in turn: the event is
// accepted if any of them signed it. (While Stripe rolls an endpoint's secret it sends
// one v1 signature per secret in one header; stripe-go tries each against one secret.)
// Errors that do not depend on the secret — no or unreadable header, a stale timestamp,
// another API version of a correctly signed event — are returned at once. With no
// secret at all nothing is valid.
func verify(payload []byte, header string, secrets []string, opts webhook.ConstructEventOptions) (stripe.Event, error) {
	err := webhook.ErrNoValidSignature
	for _, secret := range secrets {
		var ev stripe.Event
		if ev, err = webhook.ConstructEventWithOptions(payload, header, secret, opts); !errors.Is(err, webhook.ErrNoValidSignature) {
			return ev, err
		}
	}
	return stripe.Event{}, err
}
