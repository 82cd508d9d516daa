package staff_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/solidarity/solidarity/shared/assembly/secret"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/staff"
)

// TestSSMParameters: the staff tool reads SecureStrings through the SDK's client as the
// functions do, more than ten at once, a missing name left out.
func TestSSMParameters(t *testing.T) {
	env := emulator.Get(t)
	ctx := context.Background()
	client := ssm.NewFromConfig(env.AWS)
	prefix := "/" + emulator.TableName(t) + "/"
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("%sp%d", prefix, i)
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(fmt.Sprintf("value-%d", i)),
			Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	var _ secret.SSM = staff.SSMParameters{}
	got, err := staff.SSMParameters{Client: client}.Parameters(ctx, append(names, prefix+"missing"))
	if err != nil || len(got) != 12 || got[prefix+"p11"] != "value-11" {
		t.Fatalf("%v, %v", got, err)
	}
	v, err := secret.Resolve(ctx, staff.SSMParameters{Client: client}, "ERASURE_KEY", "", prefix+"p3")
	if err != nil || v != "value-3" {
		t.Errorf("resolve: %q, %v", v, err)
	}
	if _, err := secret.Resolve(ctx, staff.SSMParameters{Client: client}, "ERASURE_KEY", "", prefix+"missing"); err == nil {
		t.Error("a missing parameter resolved")
	}
}
