package functions_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// TestTemplateSecurity reads template.yaml as written: no wildcard action or resource in
// any policy, no secret value, and each function allowed exactly the actions it calls.
func TestTemplateSecurity(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(emulator.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := string(raw)
	for _, secret := range []*regexp.Regexp{regexp.MustCompile(`sk_(live|test)_[0-9A-Za-z]+`), regexp.MustCompile(`whsec_[0-9A-Za-z]+`),
		regexp.MustCompile(`rk_(live|test)_`), regexp.MustCompile(`AKIA[0-9A-Z]{16}`)} {
		if m := secret.FindString(tmpl); m != "" {
			t.Errorf("a secret value in template.yaml: %s", m)
		}
	}
	actionRE := regexp.MustCompile(`Action: (\[[^\]]*\]|"[^"]*"|\S+)`)
	for _, m := range actionRE.FindAllStringSubmatch(tmpl, -1) {
		if strings.Contains(m[1], `*`) && !strings.Contains(m[1], `"s3:*"`) {
			t.Errorf("a wildcard action: %s", m[0])
		}
	}
	// The one wildcard resource is ses:GetAccount's, which has none to name (the
	// broadcast sender reads the account's sending rate).
	if strings.Count(tmpl, `Resource: "*"`) != 1 || !strings.Contains(tmpl, "Action: [ses:GetAccount]\n              Resource: \"*\"") ||
		strings.Contains(tmpl, "Resource: '*'") {
		t.Error("a wildcard resource other than ses:GetAccount's")
	}
	// The one s3:* is the bucket policy's Deny of plain HTTP.
	if strings.Count(tmpl, `"s3:*"`) != 1 || !strings.Contains(tmpl, "Sid: TlsOnly\n            Effect: Deny") {
		t.Error("s3:* appears outside the TLS-only Deny")
	}

	want := map[string][]string{
		"DonateFunction":        {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"CampaignFunction":      {"dynamodb:Query"},
		"StripeWebhookFunction": {"dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"SignupFunction":        {"dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"UnsubscribeFunction":   {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
		"SubscribeFunction":     {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"PortalFunction":        {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"MailerFunction": {"dynamodb:DescribeStream", "dynamodb:GetItem", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
			"dynamodb:PutItem", "dynamodb:UpdateItem", "ses:SendEmail", "sqs:SendMessage"},
		"MailEventsFunction": {"dynamodb:PutItem"},
		"BroadcastSenderFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
			"ses:GetAccount", "ses:SendEmail", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:SendMessage"},
		"ReconcileFunction": {"dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "ssm:GetParameters"},
		"ExportFunction":    {"dynamodb:DescribeExport", "dynamodb:ExportTableToPointInTime", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"},
	}
	for _, id := range serverlessFunctions(t) {
		block := functionBlock(tmpl, id)
		set := map[string]bool{}
		for _, m := range actionRE.FindAllStringSubmatch(block, -1) {
			for _, a := range strings.Split(strings.Trim(m[1], `[]"`), ",") {
				set[strings.TrimSpace(a)] = true
			}
		}
		var got []string
		for a := range set {
			got = append(got, a)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(want[id], " ") {
			t.Errorf("%s may %v, want %v", id, got, want[id])
		}
	}
}

// TestTemplateFormSecrets: the form functions (and only they) may read the rate limits'
// hashing key, and the CDN's secret only when ClientIpSecretParam is set; the stack
// refuses ClientIpHeader without that secret, which the functions would refuse too.
func TestTemplateFormSecrets(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(emulator.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := string(raw)
	forms := map[string]bool{"DonateFunction": true, "SignupFunction": true, "SubscribeFunction": true, "PortalFunction": true}
	for _, id := range serverlessFunctions(t) {
		block := functionBlock(tmpl, id)
		hashKey := strings.Contains(block, "parameter${HashKeyParam}")
		cdn := strings.Contains(block, "- HasClientIpSecret\n          - Statement:\n              - Effect: Allow\n"+
			"                Action: [ssm:GetParameters]\n                Resource: !Sub arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ClientIpSecretParam}\n"+
			"          - !Ref AWS::NoValue")
		if hashKey != forms[id] || cdn != forms[id] || strings.Count(block, "${ClientIpSecretParam}") != map[bool]int{true: 1}[forms[id]] {
			t.Errorf("%s: reads the hashing key %v, the CDN's secret (conditionally) %v; want %v", id, hashKey, cdn, forms[id])
		}
	}
	for _, want := range []string{
		"        CLIENT_IP_SECRET_PARAM: !Ref ClientIpSecretParam\n",
		"        HASH_KEY_PARAM: !Ref HashKeyParam\n",
		"  HasClientIpSecret: !Not [!Equals [!Ref ClientIpSecretParam, \"\"]]\n",
		"    RuleCondition: !Not [!Equals [!Ref ClientIpHeader, \"\"]]\n    Assertions:\n      - Assert: !Not [!Equals [!Ref ClientIpSecretParam, \"\"]]\n",
		"  HashKeyParam:\n    Type: String\n    Default: /solidarity/hash-key\n",
	} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template.yaml lacks %q", want)
		}
	}
}
