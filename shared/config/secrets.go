// Secrets (Stripe's keys, Turnstile's secret) come from the environment locally and from
// SSM Parameter Store (SecureString) in AWS, once per cold start.

package config

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SSM is the part of the SSM client used.
type SSM interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
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
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("read %s from SSM: %w", setting, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// StripeKey is every Stripe-calling function's first wiring step: the secret key from
// the environment or SSM, or a logged exit. For main only.
func StripeKey(ctx context.Context, cfg Config, awsCfg aws.Config) string {
	key, err := Resolve(ctx, ssm.NewFromConfig(awsCfg), "STRIPE_SECRET_KEY", cfg.StripeSecretKey, cfg.StripeSecretKeyParam)
	if err != nil {
		Fatal("stripe secret key", err)
	}
	return key
}
