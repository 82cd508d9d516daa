// Package secrets reads the Stripe secrets: from the environment locally, from SSM
// Parameter Store (SecureString) in AWS, once per cold start.
package secrets

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
