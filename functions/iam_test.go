package functions_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

// observed is every IAM action the Lambdas' AWS calls needed, by function, as the tests
// ran them under the emulator: moto grants everything, so a call the function's role
// does not allow would only fail in AWS. TestMain checks them against template.yaml
// once the tests have run (checkObservedActions).
var observed = struct {
	sync.Mutex
	actions map[string]map[string]bool // function → action
}{actions: map[string]map[string]bool{}}

// recordingEndpoint is an endpoint in front of target that notes the IAM action of each
// AWS call fn makes through it.
func recordingEndpoint(tb testing.TB, fn, target string) string {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		actions := iamActions(r, body)
		observed.Lock()
		if observed.actions[fn] == nil {
			observed.actions[fn] = map[string]bool{}
		}
		for _, a := range actions {
			observed.actions[fn][a] = true
		}
		observed.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// iamActions are the IAM actions a request needs: a DynamoDB transaction needs each of
// its items' (there is no action of its own), SES v2's REST calls are named by path.
// S3's (the export's) are not read.
func iamActions(r *http.Request, body []byte) []string {
	target := r.Header.Get("X-Amz-Target")
	service, op, ok := strings.Cut(target, ".")
	switch {
	case ok && strings.HasPrefix(service, "DynamoDB_"):
		var tx struct {
			TransactItems []map[string]json.RawMessage
		}
		switch op {
		case "TransactWriteItems", "TransactGetItems":
			_ = json.Unmarshal(body, &tx)
			var out []string
			for _, it := range tx.TransactItems {
				for kind := range it {
					out = append(out, "dynamodb:"+map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
						"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}[kind])
				}
			}
			return out
		}
		var in struct{ IndexName string }
		_ = json.Unmarshal(body, &in)
		if in.IndexName != "" {
			return []string{"dynamodb:" + op + " on index/" + in.IndexName}
		}
		return []string{"dynamodb:" + op}
	case ok && service == "AmazonSSM":
		return []string{"ssm:" + op}
	case ok && service == "AmazonSQS":
		return []string{"sqs:" + op}
	case strings.HasPrefix(r.URL.Path, "/v2/email/"):
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v2/email/outbound-emails":
			return []string{"ses:SendEmail"}
		case r.Method == http.MethodGet && r.URL.Path == "/v2/email/account":
			return []string{"ses:GetAccount"}
		}
		return []string{"ses:(unknown " + r.Method + " " + r.URL.Path + ")"}
	}
	return nil
}

// policyActions are the actions template.yaml's policies allow function id. A DynamoDB
// action on an index (the Resource names ${Table.Arn}/index/…) is "dynamodb:Query on
// index/gsi1", on the table itself plain "dynamodb:Query", as iamActions names calls.
func policyActions(tmpl, id string) map[string]bool {
	block := functionBlock(tmpl, id)
	set := map[string]bool{}
	statement := regexp.MustCompile(`Action: (\[[^\]]*\]|"[^"]*"|\S+)\n\s*Resource: ?(.*)`)
	index := regexp.MustCompile(`/index/([\w*-]+)`)
	for _, m := range statement.FindAllStringSubmatch(block, -1) {
		for _, a := range strings.Split(strings.Trim(m[1], `[]"`), ",") {
			a = strings.TrimSpace(a)
			if !strings.HasPrefix(a, "dynamodb:") {
				set[a] = true
				continue
			}
			if strings.Contains(m[2], "GetAtt Table.Arn") {
				set[a] = true
			}
			for _, ix := range index.FindAllStringSubmatch(m[2], -1) {
				if ix[1] == "*" {
					ix[1] = "gsi1"
				}
				set[a+" on index/"+ix[1]] = true
			}
		}
	}
	return set
}

// functionBlock is resource id's text in template.yaml, up to the next blank line
// before a resource ("" if there is none).
func functionBlock(tmpl, id string) string {
	start := strings.Index(tmpl, "\n  "+id+":\n")
	if start < 0 {
		return ""
	}
	end := strings.Index(tmpl[start+1:], "\n\n  ")
	if end < 0 {
		return tmpl[start:]
	}
	return tmpl[start : start+1+end]
}

// logicalID is a function's name in template.yaml: stripe-webhook → StripeWebhookFunction.
func logicalID(fn string) string {
	var b strings.Builder
	for _, part := range strings.Split(fn, "-") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Function"
}

// checkObservedActions reports each action a Lambda needed that its role may not take:
// what would be AccessDenied in AWS.
func checkObservedActions() []string {
	raw, err := os.ReadFile(filepath.Join(emulator.Root(), "template.yaml"))
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	observed.Lock()
	defer observed.Unlock()
	for fn, actions := range observed.actions {
		if os.Getenv("IAM_ACTIONS") != "" { // IAM_ACTIONS=1 go test ./functions: what each called
			fmt.Fprintln(os.Stderr, fn, slices.Sorted(maps.Keys(actions)))
		}
		allowed := policyActions(string(raw), logicalID(fn))
		for a := range actions {
			if !allowed[a] {
				problems = append(problems, fmt.Sprintf("%s called %s, which its role in template.yaml does not allow", fn, a))
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// TestPolicyActionsAreRead: the check reads the template as the security test does, so
// that it cannot pass by reading nothing.
func TestPolicyActionsAreRead(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(emulator.Root(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if a := policyActions(string(raw), logicalID("stripe-webhook")); !a["dynamodb:Query"] || !a["ssm:GetParameters"] || a["dynamodb:Scan"] {
		t.Errorf("stripe-webhook's actions: %v", a)
	}
	if a := policyActions(string(raw), logicalID("campaign")); !a["dynamodb:Query"] || a["dynamodb:PutItem"] {
		t.Errorf("campaign's actions: %v", a)
	}
	if a := policyActions(string(raw), logicalID("donate")); !a["dynamodb:GetItem"] || a["dynamodb:Query on index/gsi1"] || a["dynamodb:Query"] {
		t.Errorf("donate's actions: %v", a)
	}
	r0 := httptest.NewRequest(http.MethodPost, "/", nil)
	r0.Header.Set("X-Amz-Target", "DynamoDB_20120810.Query")
	if got := iamActions(r0, []byte(`{"TableName":"t","IndexName":"gsi1"}`)); len(got) != 1 || got[0] != "dynamodb:Query on index/gsi1" {
		t.Errorf("a Query of the index: %v", got)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Amz-Target", "DynamoDB_20120810.TransactWriteItems")
	got := iamActions(r, []byte(`{"TransactItems":[{"Put":{}},{"Update":{}},{"ConditionCheck":{}}]}`))
	slices.Sort(got)
	if strings.Join(got, " ") != "dynamodb:ConditionCheckItem dynamodb:PutItem dynamodb:UpdateItem" {
		t.Errorf("a transaction's actions: %v", got)
	}
}
