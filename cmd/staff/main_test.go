package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/staff"
)

func TestMain(m *testing.M) {
	code := emulator.Run(m)
	if binDir != "" {
		os.RemoveAll(binDir) // the staff binary messages_test.go built
	}
	os.Exit(code)
}

// onMoto points the tool's AWS settings at the test's moto, as a staff member's shell
// points them at AWS, with no stack or table named.
func onMoto(t *testing.T) *emulator.Env {
	env := emulator.Get(t)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": env.Moto.URL, "AWS_REGION": "ca-central-1",
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"STRIPE_API_URL": env.Stripe.URL, "SOLIDARITY_STACK": "", "TABLE_NAME": "", "ERASURE_KEY_PARAM": "", "MAIL_FROM": "", "PUBLIC_URL": ""} {
		t.Setenv(k, v)
	}
	return env
}

// stackWithTable creates a table and a stack in moto whose TableName output names it.
func stackWithTable(t *testing.T, env *emulator.Env) (stack, table string) {
	t.Helper()
	ctx := context.Background()
	table = emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		t.Fatal(err)
	}
	stack = fmt.Sprintf("staff-%d-%s", os.Getpid(), strings.ReplaceAll(strings.ToLower(t.Name()), "_", "-"))
	body, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs":   map[string]any{"TableName": map[string]any{"Value": table}},
	})
	if _, err := cloudformation.NewFromConfig(env.AWS).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	return stack, table
}

func createCampaign(slug string) []string {
	return []string{"campaign", "create", "-slug", slug, "-title-en", "Winter", "-title-fr", "Hiver", "-goal", "1000"}
}

// The stack's TableName output is the table, named by SOLIDARITY_STACK or -stack.
func TestTheStacksTable(t *testing.T) {
	env := onMoto(t)
	stack, table := stackWithTable(t, env)
	ctx := context.Background()
	t.Setenv("SOLIDARITY_STACK", stack)
	if err := run(ctx, createCampaign("by-setting")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOLIDARITY_STACK", "")
	if err := run(ctx, append([]string{"-stack", stack}, createCampaign("by-flag")...)); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(env.DB(), table)
	for _, slug := range []string{"by-setting", "by-flag"} {
		if _, err := store.Campaign(ctx, slug); err != nil {
			t.Errorf("campaign %s is not in the stack's table: %v", slug, err)
		}
	}
	if _, err := dynamo.New(env.DB(), staff.LocalTable).Campaign(ctx, "by-flag"); err == nil {
		t.Error("the campaign went to the local table too")
	}
}

// TABLE_NAME wins over the stack's output.
func TestTableNameWinsOverTheStack(t *testing.T) {
	env := onMoto(t)
	stack, stackTable := stackWithTable(t, env)
	ctx := context.Background()
	other := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), other); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOLIDARITY_STACK", stack)
	t.Setenv("TABLE_NAME", other)
	if err := run(ctx, createCampaign("by-env")); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamo.New(env.DB(), other).Campaign(ctx, "by-env"); err != nil {
		t.Errorf("not in TABLE_NAME's table: %v", err)
	}
	if _, err := dynamo.New(env.DB(), stackTable).Campaign(ctx, "by-env"); err == nil {
		t.Error("written to the stack's table despite TABLE_NAME")
	}
}

func TestMissingStack(t *testing.T) {
	onMoto(t)
	err := run(context.Background(), append([]string{"-stack", "no-such-stack"}, createCampaign("x")...))
	if err == nil || err.Error() != `there is no stack "no-such-stack" in ca-central-1: check SOLIDARITY_STACK (or -stack) and AWS_REGION` {
		t.Fatalf("err = %v", err)
	}
}

// Without a stack or TABLE_NAME, only a local emulator has a default table.
func TestNoStackNoTable(t *testing.T) {
	onMoto(t)
	t.Setenv("AWS_ENDPOINT_URL", "")
	err := run(context.Background(), []string{"campaign", "show", "-slug", "x"})
	if err == nil || err.Error() != "set SOLIDARITY_STACK to your stack's name, or give -stack NAME (or set TABLE_NAME to its table)" {
		t.Fatalf("err = %v", err)
	}
}

// staff doctor runs every check on the stack named and exits through ErrFix; this stack
// has only its table, so the rest is to fix.
func TestDoctorOnAStack(t *testing.T) {
	env := onMoto(t)
	stack, _ := stackWithTable(t, env)
	err := run(context.Background(), []string{"-stack", stack, "doctor"})
	if !errors.Is(err, staff.ErrFix) {
		t.Fatalf("err = %v", err)
	}
	err = run(context.Background(), []string{"doctor"})
	if !errors.Is(err, staff.ErrUsage) || err.Error() != "doctor and stripe connect need the stack: set SOLIDARITY_STACK to your stack's name, or give -stack NAME (staff -stack NAME doctor)" {
		t.Fatalf("without a stack: %v", err)
	}
}
