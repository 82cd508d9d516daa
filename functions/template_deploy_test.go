package functions_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// The parameters a volunteer gives: the required ones only (no domain: the API's own
// address serves), and with a custom domain, Turnstile and a CDN.
var (
	plainDeploy = map[string]string{
		"AllowedOrigins": "https://example.org", "DonatePageUrl": "https://example.org/",
		"MailFrom": "appeal@example.org", "MailIdentity": "example.org", "AlarmEmail": "ops@example.org",
	}
	domainDeploy = map[string]string{
		"AllowedOrigins": "https://example.org", "DonatePageUrl": "https://example.org/",
		"MailFrom": "appeal@example.org", "MailIdentity": "example.org", "AlarmEmail": "ops@example.org",
		"DomainName": "dons.example.org", "CertificateArn": "arn:aws:acm:ca-central-1:123456789012:certificate/0a1b2c3d-4e5f",
		"TurnstileSecretParam": "/solidarity/turnstile-secret", "ClientIpHeader": "CloudFront-Viewer-Address",
		"ClientIpSecretParam": "/solidarity/cdn-secret",
	}
)

// transformed is template.yaml as aws-sam-translator (the library `sam deploy` uses)
// turns it into CloudFormation; resolved, with its conditions evaluated for params as
// CloudFormation does at creation (infra/sam/transform.py).
func transformed(t *testing.T, params map[string]string, resolved bool) map[string]any {
	t.Helper()
	p, _ := json.Marshal(params)
	args := []string{filepath.Join("infra", "sam", "transform.py"), "template.yaml", string(p)}
	if resolved {
		args = append(args, "--resolve")
	}
	cmd := exec.Command("python3", args...)
	cmd.Dir = emulator.Root()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transform: %v\n%s", err, stderr.String())
	}
	var tmpl map[string]any
	if err := json.Unmarshal(out, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func resources(tmpl map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		out[id] = r.(map[string]any)
	}
	return out
}

func props(r map[string]any) map[string]any { p, _ := r["Properties"].(map[string]any); return p }

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestTransformedTemplate checks what `sam deploy` would create, not what template.yaml
// says: the transform adds policies, routes and mappings of its own.
func TestTransformedTemplate(t *testing.T) {
	tmpl := transformed(t, plainDeploy, false)
	res := resources(tmpl)
	basic := "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

	t.Run("each function's final policies", func(t *testing.T) {
		for _, id := range serverlessFunctions(t) {
			role, ok := res[id+"Role"]
			if !ok {
				t.Fatalf("%s has no role", id)
			}
			// The transform adds only the basic execution role (its own logs); a stream
			// event would add AWSLambdaDynamoDBExecutionRole, which reads every stream.
			if got := js(props(role)["ManagedPolicyArns"]); got != js([]string{basic}) {
				t.Errorf("%s's role has managed policies %s", id, got)
			}
			for _, s := range statements(props(role)["Policies"]) {
				for _, r := range list(s["Resource"]) {
					// ses:GetAccount (the account's sending rate) has no resource to name.
					if r == "*" && js(s["Action"]) != `["ses:GetAccount"]` {
						t.Errorf("%s may %v on every resource", id, s["Action"])
					}
				}
			}
		}
		// The mailer reads the table's stream, and no other.
		var stream []string
		for _, s := range statements(props(res["MailerFunctionRole"])["Policies"]) {
			if strings.Contains(js(s["Action"]), "dynamodb:GetRecords") {
				stream = append(stream, js(s["Resource"]))
			}
		}
		if js(stream) != js([]string{`{"Fn::Sub":"${Table.Arn}/stream/*"}`}) {
			t.Errorf("the mailer's stream read is on %v", stream)
		}
	})

	t.Run("the routes", func(t *testing.T) {
		want := map[string]string{
			"POST /donations": "Donate", "OPTIONS /donations": "Donate", "GET /donations/thanks": "Donate", "GET /donations/cancelled": "Donate",
			"GET /campaigns/{slug}": "Campaign", "OPTIONS /campaigns/{slug}": "Campaign", "GET /campaigns/{slug}/progress.svg": "Campaign",
			"POST /webhooks/stripe": "StripeWebhook",
			"POST /members":         "Signup", "OPTIONS /members": "Signup", "GET /members/confirm": "Signup", "POST /members/confirm": "Signup", "GET /members/check-email": "Signup",
			"GET /unsubscribe": "Unsubscribe", "POST /unsubscribe": "Unsubscribe", "GET /unsubscribe/undo": "Unsubscribe", "POST /unsubscribe/undo": "Unsubscribe",
			"GET /news/confirm": "Unsubscribe", "POST /news/confirm": "Unsubscribe",
			"POST /subscriptions": "Subscribe", "OPTIONS /subscriptions": "Subscribe", "GET /subscriptions/thanks": "Subscribe", "GET /subscriptions/cancelled": "Subscribe",
			"POST /portal": "Portal", "OPTIONS /portal": "Portal", "GET /portal": "Portal", "POST /portal/open": "Portal", "GET /portal/done": "Portal",
		}
		fnRE := regexp.MustCompile(`functions/\$\{(\w+)Function\.Arn\}/invocations`)
		got := map[string]string{}
		for path, ops := range props(res["HttpApi"])["Body"].(map[string]any)["paths"].(map[string]any) {
			for method, op := range ops.(map[string]any) {
				m := fnRE.FindStringSubmatch(js(op.(map[string]any)["x-amazon-apigateway-integration"]))
				if m == nil {
					t.Errorf("%s %s reaches no function", method, path)
					continue
				}
				got[strings.ToUpper(method)+" "+path] = m[1]
			}
		}
		if js(got) != js(want) {
			t.Errorf("routes %s\nwant %s", js(got), js(want))
		}
		// Every route's function may be invoked by this API.
		for id, r := range res {
			if r["Type"] == "AWS::Lambda::Permission" && !strings.Contains(js(props(r)["SourceArn"]), `{"__ApiId__":{"Ref":"HttpApi"}`) &&
				!strings.Contains(js(props(r)["SourceArn"]), "MailEventsTopic") && !strings.Contains(js(props(r)["SourceArn"]), "ExportFunctionNightly") &&
				!strings.Contains(js(props(r)["SourceArn"]), "ReconcileFunctionDaily") {
				t.Errorf("%s lets %s invoke", id, js(props(r)["SourceArn"]))
			}
		}
	})

	t.Run("the stream mapping", func(t *testing.T) {
		var maps []map[string]any
		for _, r := range res {
			if r["Type"] == "AWS::Lambda::EventSourceMapping" && js(props(r)["EventSourceArn"]) == `{"Fn::GetAtt":["Table","StreamArn"]}` {
				maps = append(maps, props(r))
			}
		}
		if len(maps) != 1 {
			t.Fatalf("%d mappings of the table's stream", len(maps))
		}
		m := maps[0]
		for k, want := range map[string]string{
			"FunctionName":               `{"Ref":"MailerFunction"}`,
			"EventSourceArn":             `{"Fn::GetAtt":["Table","StreamArn"]}`,
			"StartingPosition":           `"TRIM_HORIZON"`,
			"MaximumRetryAttempts":       `8`,
			"BisectBatchOnFunctionError": `true`,
			"FunctionResponseTypes":      `["ReportBatchItemFailures"]`,
			"FilterCriteria":             `{"Filters":[{"Pattern":"{\"eventName\": [\"INSERT\"], \"dynamodb\": {\"NewImage\": {\"type\": {\"S\": [\"email\"]}}}}"}]}`,
			"DestinationConfig":          `{"OnFailure":{"Destination":{"Fn::GetAtt":["MailerDeadLetterQueue","Arn"]}}}`,
		} {
			if got := js(m[k]); got != want {
				t.Errorf("%s is %s, want %s", k, got, want)
			}
		}
	})

	t.Run("the broadcast queue's mapping: one email at a time, at most two senders", func(t *testing.T) {
		var found int
		for _, r := range res {
			p := props(r)
			if r["Type"] != "AWS::Lambda::EventSourceMapping" || js(p["EventSourceArn"]) != `{"Fn::GetAtt":["BroadcastQueue","Arn"]}` {
				continue
			}
			found++
			for k, want := range map[string]string{
				"FunctionName":          `{"Ref":"BroadcastSenderFunction"}`,
				"BatchSize":             `1`,
				"FunctionResponseTypes": `["ReportBatchItemFailures"]`,
				"ScalingConfig":         `{"MaximumConcurrency":2}`,
			} {
				if got := js(p[k]); got != want {
					t.Errorf("%s is %s, want %s", k, got, want)
				}
			}
		}
		if found != 1 {
			t.Fatalf("%d mappings of the broadcast queue", found)
		}
	})

	t.Run("bounces and complaints reach the mail-events function", func(t *testing.T) {
		dest := props(res["MailEventDestination"])["EventDestination"].(map[string]any)
		if js(dest["MatchingEventTypes"]) != `["bounce","complaint"]` || js(dest["SnsDestination"]) != `{"TopicARN":{"Ref":"MailEventsTopic"}}` {
			t.Errorf("event destination %s", js(dest))
		}
		var subscribed bool
		for _, r := range res {
			if r["Type"] == "AWS::SNS::Subscription" && js(props(r)["TopicArn"]) == `{"Ref":"MailEventsTopic"}` &&
				js(props(r)["Endpoint"]) == `{"Fn::GetAtt":["MailEventsFunction","Arn"]}` {
				subscribed = true
			}
		}
		if !subscribed {
			t.Error("MailEventsFunction is not subscribed to MailEventsTopic")
		}
		env := js(props(res["MailerFunction"])["Environment"])
		if !strings.Contains(env, `"MAIL_CONFIGURATION_SET":{"Ref":"MailConfigurationSet"}`) {
			t.Errorf("the mailer does not send through the stack's configuration set: %s", env)
		}
	})

	t.Run("an address on the first deploy", func(t *testing.T) {
		for _, tt := range []struct {
			params              map[string]string
			disabled, hasDomain bool
			publicURL           string // the HTTP functions' PUBLIC_URL
		}{
			{plainDeploy, false, false, `""`},
			{domainDeploy, true, true, `{"Fn::Sub":"https://${DomainName}"}`},
		} {
			res := resources(transformed(t, tt.params, true))
			body := props(res["HttpApi"])["Body"].(map[string]any)
			servers, _ := body["servers"].([]any)
			if len(servers) != 1 {
				t.Fatalf("servers %s", js(servers))
			}
			if got := js(servers[0].(map[string]any)["x-amazon-apigateway-endpoint-configuration"]); got != fmt.Sprintf(`{"disableExecuteApiEndpoint":%v}`, tt.disabled) {
				t.Errorf("%s: endpoint configuration %s", tt.params["DomainName"], got)
			}
			_, domain := res["ApiDomain"]
			_, mapping := res["ApiDomainMapping"]
			if domain != tt.hasDomain || mapping != tt.hasDomain {
				t.Errorf("%s: domain %v, mapping %v", tt.params["DomainName"], domain, mapping)
			}
			// Without a domain the HTTP functions learn their address from API Gateway
			// (httpapi.Absolute); the mailer, no route, is told it.
			vars := props(res["DonateFunction"])["Environment"].(map[string]any)["Variables"].(map[string]any)
			if js(vars["PUBLIC_URL"]) != tt.publicURL {
				t.Errorf("%s: the donate function's PUBLIC_URL is %s", tt.params["DomainName"], js(vars["PUBLIC_URL"]))
			}
			mailer := js(props(res["MailerFunction"])["Environment"].(map[string]any)["Variables"].(map[string]any)["PUBLIC_URL"])
			if want := map[bool]string{false: "${HttpApi}.execute-api", true: tt.publicURL}[tt.hasDomain]; !strings.Contains(mailer, want) {
				t.Errorf("%s: the mailer's PUBLIC_URL is %s", tt.params["DomainName"], mailer)
			}
		}
	})
}

// TestTransformedStackCreatesInMoto creates the transformed stack in moto's
// CloudFormation for both parameter sets. moto proves that every reference resolves
// and every shape is accepted (it evaluates no IAM and models some types as
// placeholders: shared/design's local-stack.md).
func TestTransformedStackCreatesInMoto(t *testing.T) {
	env := emulator.Get(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("solidarity-artifacts"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(env.AWS.Region)}}); err != nil {
		t.Fatal(err)
	}
	var code bytes.Buffer
	z := zip.NewWriter(&code)
	w, _ := z.Create("bootstrap")
	w.Write([]byte("placeholder"))
	z.Close()
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("solidarity-artifacts"), Key: aws.String("function.zip"),
		Body: bytes.NewReader(code.Bytes())}); err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(env.AWS)
	for name, params := range map[string]map[string]string{"plain": plainDeploy, "domain": domainDeploy} {
		t.Run(name, func(t *testing.T) {
			tmpl := transformed(t, params, true)
			if name == "domain" {
				// moto models no AWS::ApiGatewayV2::DomainName, so it cannot resolve this
				// output's GetAtt; TestTransformedTemplate checks the domain's resources.
				outs := tmpl["Outputs"].(map[string]any)
				if js(outs["DomainTarget"]) != `{"Description":"Point DomainName's DNS at this (a CNAME record).","Value":{"Fn::GetAtt":["ApiDomain","RegionalDomainName"]}}` {
					t.Fatalf("DomainTarget is %s", js(outs["DomainTarget"]))
				}
				delete(outs, "DomainTarget")
			}
			var ps []cfntypes.Parameter
			for k, v := range params {
				ps = append(ps, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
			}
			stack := "solidarity-" + name
			if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(js(tmpl)),
				Parameters: ps, Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityAutoExpand}}); err != nil {
				t.Fatal(err)
			}
			var out *cloudformation.DescribeStacksOutput
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				var err error
				if out, err = cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}); err != nil {
					t.Fatal(err)
				}
				if st := out.Stacks[0].StackStatus; !strings.HasSuffix(string(st), "_IN_PROGRESS") || time.Now().After(deadline) {
					break
				}
			}
			if st := out.Stacks[0].StackStatus; st != cfntypes.StackStatusCreateComplete {
				t.Fatalf("%s: %s", st, aws.ToString(out.Stacks[0].StackStatusReason))
			}
			outputs := map[string]string{}
			var keys []string
			for _, o := range out.Stacks[0].Outputs {
				outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
				keys = append(keys, aws.ToString(o.OutputKey))
			}
			sort.Strings(keys)
			// What the staff tool reads (shared/staff's stack discovery). moto models Glue,
			// Athena and SES's configuration set as placeholders whose Ref is empty, so
			// those outputs (AthenaDatabase, AthenaWorkGroup, MailConfigurationSet) are
			// checked in the template below.
			for _, k := range []string{"AlarmTopicArn", "ExportsBucketName", "HashKeyParam",
				"MailFrom", "MailIdentity", "MailerDeadLetterQueueUrl", "PublicUrl", "StaffPolicyArn", "StripeSecretKeyParam",
				"StripeWebhookSecretParam", "StripeWebhookUrl", "TableName", "TableStreamArn"} {
				if outputs[k] == "" {
					t.Errorf("no output %s (outputs: %v)", k, keys)
				}
			}
			if name == "domain" && (outputs["PublicUrl"] != "https://dons.example.org" || outputs["StripeWebhookUrl"] != "https://dons.example.org/webhooks/stripe") {
				t.Errorf("with a domain, PublicUrl %q and StripeWebhookUrl %q", outputs["PublicUrl"], outputs["StripeWebhookUrl"])
			}
			// Names derived from the stack, so that a second stack coexists.
			res := resources(tmpl)
			for _, name := range []string{
				js(props(res["AthenaDatabase"])["DatabaseInput"].(map[string]any)["Name"]),
				js(props(res["AthenaWorkGroup"])["Name"]),
				js(props(res["MailConfigurationSet"])["Name"]),
				js(props(res["Dashboard"])["DashboardName"]),
			} {
				if !strings.Contains(name, "AWS::StackName") {
					t.Errorf("the name %s is not the stack's", name)
				}
			}
			for _, k := range []string{"AthenaDatabase", "AthenaWorkGroup", "MailConfigurationSet"} {
				if _, ok := tmpl["Outputs"].(map[string]any)[k]; !ok {
					t.Errorf("no output %s", k)
				}
			}
			d, err := env.DB().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(outputs["TableName"])})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(d.Table.LatestStreamArn) != outputs["TableStreamArn"] {
				t.Errorf("the stream output %q is not the table's %q", outputs["TableStreamArn"], aws.ToString(d.Table.LatestStreamArn))
			}
		})
	}
}

// statements are a role's inline policy statements, whatever their nesting.
func statements(policies any) []map[string]any {
	var out []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["Effect"]; ok {
				out = append(out, v)
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(policies)
	return out
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// TestSamconfigExample: samconfig.example.toml, copied to samconfig.toml, lets `sam deploy`
// run without a question. It names every parameter of template.yaml (or says why it keeps
// the default), each value is one the template accepts, and the stack it describes
// transforms.
func TestSamconfigExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(emulator.Root(), "samconfig.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	for _, want := range []string{`capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"`, "confirm_changeset = false", "resolve_s3 = true", `stack_name = "solidarity"`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("samconfig.example.toml lacks %s", want)
		}
	}
	given := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  "(\w+)=([^"]*)",$`).FindAllStringSubmatch(cfg, -1) {
		if _, twice := given[m[1]]; twice {
			t.Errorf("%s is given twice", m[1])
		}
		given[m[1]] = m[2]
	}
	tmpl := transformed(t, plainDeploy, false)
	for name, p := range tmpl["Parameters"].(map[string]any) {
		p := p.(map[string]any)
		v, ok := given[name]
		if !ok {
			if !strings.Contains(cfg, "  # "+name+" stays its default") {
				t.Errorf("samconfig.example.toml neither sets %s nor says it keeps its default", name)
			}
			continue
		}
		if pat, ok := p["AllowedPattern"].(string); ok && !regexp.MustCompile(pat).MatchString(v) {
			t.Errorf("%s=%q does not match %s", name, v, pat)
		}
		if vals, ok := p["AllowedValues"].([]any); ok && !strings.Contains(js(vals), v) {
			t.Errorf("%s=%q is not one of %v", name, v, vals)
		}
	}
	for name := range given {
		if _, ok := tmpl["Parameters"].(map[string]any)[name]; !ok {
			t.Errorf("samconfig.example.toml sets %s, which template.yaml does not have", name)
		}
	}
	if res := resources(transformed(t, given, true)); res["ApiDomain"] == nil {
		t.Error("the example's domain creates no custom domain")
	}
}

// TestEveryAlarmReachesAPerson: every alarm of the stack tells the alarm topic (which
// emails AlarmEmail) when it fires and when it clears, and docs/runbooks.md says what
// each means and what to do.
func TestEveryAlarmReachesAPerson(t *testing.T) {
	runbooks, err := os.ReadFile(filepath.Join(emulator.Root(), "docs", "runbooks.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	res := resources(transformed(t, plainDeploy, true))
	for id, r := range res {
		if r["Type"] != "AWS::CloudWatch::Alarm" {
			continue
		}
		n++
		p := props(r)
		if js(p["AlarmActions"]) != `[{"Ref":"AlarmTopic"}]` || js(p["OKActions"]) != `[{"Ref":"AlarmTopic"}]` {
			t.Errorf("%s tells %s, and %s when it clears", id, js(p["AlarmActions"]), js(p["OKActions"]))
		}
		row := "| `" + id + "` |"
		if strings.HasSuffix(id, "FunctionAlarm") {
			row = "| `<Function>FunctionAlarm` (one per function) |"
		}
		if !strings.Contains(string(runbooks), row) {
			t.Errorf("docs/runbooks.md has no row for %s", id)
		}
	}
	if want := len(serverlessFunctions(t)) + 17; n != want {
		t.Errorf("%d alarms, want %d (one per function and 17 others)", n, want)
	}
	topic := props(res["AlarmTopic"])
	if js(topic["Subscription"]) != `[{"Endpoint":{"Ref":"AlarmEmail"},"Protocol":"email"}]` {
		t.Errorf("the alarm topic emails %s", js(topic["Subscription"]))
	}
}
