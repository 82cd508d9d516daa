// Package secret reads the functions' secrets: from the setting itself (local
// development), else from the SSM Parameter Store SecureStrings they name, in one
// GetParameters call per cold start (Preload). The call is signed and sent here
// (Client), on the SDK's signer and the function's configuration, rather than through
// the SDK's SSM client: that client's schemas and operations are megabytes of binary and
// a millisecond and a half of every cold start, for one request.
package secret

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/config"
)

// Value is a setting's value, else the SSM parameter named param; setting names the
// secret in errors.
func Value(ctx context.Context, e assembly.Env, setting, value, param string) (string, error) {
	return Resolve(ctx, NewClient(e.AWS), setting, value, param)
}

// SSM reads decrypted parameters by name: a map from each name found to its value.
type SSM interface {
	Parameters(ctx context.Context, names []string) (map[string]string, error)
}

// Resolve returns value if it is set (local development), else the decrypted SSM
// parameter named param. setting names the secret for error messages.
func Resolve(ctx context.Context, client SSM, setting, value, param string) (string, error) {
	if value != "" {
		return value, nil
	}
	if param == "" {
		return "", fmt.Errorf("%s or %s_PARAM must be set", setting, setting)
	}
	got, err := client.Parameters(ctx, []string{param})
	if err != nil {
		return "", fmt.Errorf("read %s from SSM: %w", setting, err)
	}
	v, ok := got[param]
	if !ok {
		return "", fmt.Errorf("read %s from SSM: no parameter is named %q", setting, param)
	}
	return v, nil
}

// StripeKey is the Stripe secret key: STRIPE_SECRET_KEY, else its SSM parameter.
func StripeKey(ctx context.Context, e assembly.Env) (string, error) {
	return Value(ctx, e, "STRIPE_SECRET_KEY", e.Config.StripeSecretKey, e.Config.StripeSecretKeyParam)
}

// A Want is a secret a function reads at its cold start: where its value goes in the
// settings, where the name of its SSM parameter is, and whether the settings need it.
type Want struct {
	Setting string // its name, for errors: HASH_KEY
	Value   func(*config.Config) *string
	Param   func(config.Config) string
	// Needed, if set, says whether the settings use the secret (a role may read only
	// the parameters it needs, and one it may not read refuses the whole call).
	Needed func(config.Config) bool
}

// The secrets the functions read.
var (
	StripeSecretKey = Want{Setting: "STRIPE_SECRET_KEY", Value: func(c *config.Config) *string { return &c.StripeSecretKey },
		Param: func(c config.Config) string { return c.StripeSecretKeyParam }}
	// HashKey keys the rate limits: needed while one is on.
	HashKey = Want{Setting: "HASH_KEY", Value: func(c *config.Config) *string { return &c.HashKey },
		Param: func(c config.Config) string { return c.HashKeyParam },
		Needed: func(c config.Config) bool {
			perIP, perEmail, _ := c.RateLimits()
			return perIP > 0 || perEmail > 0
		}}
	TurnstileSecret = Want{Setting: "TURNSTILE_SECRET", Value: func(c *config.Config) *string { return &c.TurnstileSecret },
		Param: func(c config.Config) string { return c.TurnstileSecretParam }}
	// ClientIPSecret is the CDN's: needed when a viewer-address header is named.
	ClientIPSecret = Want{Setting: "CLIENT_IP_SECRET", Value: func(c *config.Config) *string { return &c.ClientIPSecret },
		Param:  func(c config.Config) string { return c.ClientIPSecretParam },
		Needed: func(c config.Config) bool { return c.ClientIPHeader != "" }}
)

// Always is w read whenever the settings name it, whatever Needed says: signup keys its
// notices with the hashing key even while the rate limits are off.
func (w Want) Always() Want {
	w.Needed = nil
	return w
}

// pending reports whether w is to be read from SSM: named, not given, and needed.
func (w Want) pending(c config.Config) bool {
	return *w.Value(&c) == "" && w.Param(c) != "" && (w.Needed == nil || w.Needed(c))
}

// Preload reads, in one GetParameters call, each wanted secret that the settings name
// by its SSM parameter and do not give, and returns e with their values in its
// settings, as if given locally: what builds the function then reads no parameter
// again. A secret neither given nor named is left to the code that needs it (which
// says whether it may be missing), and so is one the settings do not use (Want.Needed);
// one named but not found is an error.
func Preload(ctx context.Context, e assembly.Env, wants ...Want) (assembly.Env, error) {
	var names, settings []string
	for _, w := range wants {
		if w.pending(e.Config) && !slices.Contains(names, w.Param(e.Config)) { // each name once
			names, settings = append(names, w.Param(e.Config)), append(settings, w.Setting)
		}
	}
	if len(names) == 0 {
		return e, nil
	}
	got, err := NewClient(e.AWS).Parameters(ctx, names)
	if err != nil {
		return e, fmt.Errorf("read %s from SSM: %w", strings.Join(settings, ", "), err)
	}
	c := e.Config
	for _, w := range wants {
		if !w.pending(c) {
			continue
		}
		p := w.Param(c)
		v, ok := got[p]
		if !ok {
			return e, fmt.Errorf("read %s from SSM: no parameter is named %q", w.Setting, p)
		}
		*w.Value(&e.Config) = v
	}
	return e, nil
}
