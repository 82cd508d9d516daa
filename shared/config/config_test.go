package config

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestLoadClientIPAndHashKey: CLIENT_IP_HEADER is refused without the CDN's secret (the
// header would be believed from anyone reaching API Gateway directly), a local secret
// too short is refused, and the secrets and their SSM parameters are read as given.
func TestLoadClientIPAndHashKey(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "" loads
		check   func(Config) bool
	}{
		{name: "neither header nor secret", env: map[string]string{}},
		{name: "the header with its SSM parameter",
			env: map[string]string{"CLIENT_IP_HEADER": " CloudFront-Viewer-Address ", "CLIENT_IP_SECRET_PARAM": "/solidarity/cdn"},
			check: func(c Config) bool {
				return c.ClientIPHeader == "CloudFront-Viewer-Address" && c.ClientIPSecretParam == "/solidarity/cdn"
			}},
		{name: "the header with a local secret",
			env:   map[string]string{"CLIENT_IP_HEADER": "True-Client-IP", "CLIENT_IP_SECRET": "0123456789abcdef"},
			check: func(c Config) bool { return c.ClientIPSecret == "0123456789abcdef" }},
		{name: "the header without its secret", env: map[string]string{"CLIENT_IP_HEADER": "CloudFront-Viewer-Address"},
			wantErr: "CLIENT_IP_SECRET_PARAM"},
		{name: "a blank header is no header", env: map[string]string{"CLIENT_IP_HEADER": "  "}},
		{name: "a local secret too short", env: map[string]string{"CLIENT_IP_HEADER": "True-Client-IP", "CLIENT_IP_SECRET": "short"},
			wantErr: "CLIENT_IP_SECRET must be at least 16"},
		{name: "the hashing key and its parameter",
			env:   map[string]string{"HASH_KEY": "k", "HASH_KEY_PARAM": "/solidarity/hash-key"},
			check: func(c Config) bool { return c.HashKey == "k" && c.HashKeyParam == "/solidarity/hash-key" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"TABLE_NAME": "t"}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := LoadFrom(func(k string) string { return env[k] })
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case tt.check != nil && !tt.check(c):
				t.Errorf("config %+v", c)
			}
		})
	}
}

// TestLoadStripeMode: STRIPE_MODE is live or test, live when unset, and nothing else.
func TestLoadStripeMode(t *testing.T) {
	tests := []struct {
		value, want string // want "" refuses the setting
	}{
		{"", StripeLive},
		{"live", StripeLive},
		{"test", StripeTest},
		{"Live", ""},
		{"production", ""},
		{" test", ""},
		{"true", ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := LoadFrom(func(k string) string {
				return map[string]string{"TABLE_NAME": "t", "STRIPE_MODE": tt.value}[k]
			})
			switch {
			case tt.want == "":
				if err == nil || !strings.Contains(err.Error(), "STRIPE_MODE") {
					t.Fatalf("STRIPE_MODE=%q: err %v, want one naming STRIPE_MODE", tt.value, err)
				}
			case err != nil:
				t.Fatal(err)
			case c.StripeMode != tt.want:
				t.Errorf("STRIPE_MODE=%q: mode %q, want %q", tt.value, c.StripeMode, tt.want)
			}
		})
	}
}

// TestFromEnv: a function's SDK configuration is the runtime's variables and nothing
// else, and a missing one is named.
func TestFromEnv(t *testing.T) {
	base := map[string]string{"AWS_REGION": "ca-central-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	with := func(k, v string) func(string) string {
		return func(name string) string {
			if name == k {
				return v
			}
			return base[name]
		}
	}
	cfg, err := FromEnv(with("AWS_ENDPOINT_URL", " http://127.0.0.1:5000 "))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
		t.Errorf("credentials %+v, %v", creds, err)
	}
	if cfg.Region != "ca-central-1" || aws.ToString(cfg.BaseEndpoint) != "http://127.0.0.1:5000" || cfg.Retryer == nil {
		t.Errorf("region %q, endpoint %q, retryer %v", cfg.Region, aws.ToString(cfg.BaseEndpoint), cfg.Retryer != nil)
	}
	if cfg, err := FromEnv(with("", "")); err != nil || cfg.BaseEndpoint != nil {
		t.Errorf("without an endpoint: %v, %v (AWS's own endpoints are the SDK's)", cfg.BaseEndpoint, err)
	}
	if cfg, err := FromEnv(func(k string) string {
		return map[string]string{"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}[k]
	}); err != nil || cfg.Region != "us-east-1" {
		t.Errorf("AWS_DEFAULT_REGION: %q, %v", cfg.Region, err)
	}
	for _, missing := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if _, err := FromEnv(with(missing, "")); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("without %s: %v", missing, err)
		}
	}
}
