// Package secret reads the functions' secrets: from the setting itself (local
// development), else from the SSM Parameter Store SecureString it names, once per cold
// start. Only the functions that hold a secret link it (and SSM's client).
package secret

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/solidarity/solidarity/shared/assembly"
)

// Value is a setting's value, else the SSM parameter named param; setting names the
// secret in errors.
func Value(ctx context.Context, e assembly.Env, setting, value, param string) (string, error) {
	return Resolve(ctx, ssm.NewFromConfig(e.AWS), setting, value, param)
}

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

// StripeKey is Stripe's secret key (STRIPE_SECRET_KEY, or STRIPE_SECRET_KEY_PARAM).
func StripeKey(ctx context.Context, e assembly.Env) (string, error) {
	return Value(ctx, e, "STRIPE_SECRET_KEY", e.Config.StripeSecretKey, e.Config.StripeSecretKeyParam)
}
