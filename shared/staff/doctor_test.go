package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/otherorg"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/payment"
	"github.com/solidarity/solidarity/shared/webhook"
)

// The secrets of a healthy deployment: none may appear in doctor's output.
const (
	doctorStripeKey     = liveKeyPrefix + "doctorcheck"
	doctorWebhookSecret = "whsec_doctorcheck"
	doctorHashKey       = "doctor-check-hashing-key-of-40-bytes-xx"
)

var deployments atomic.Int64

// sesStandIn is moto's SES v2 with stand-ins where moto 5.2.1 falls short. It does not
// implement GetAccount (TestDoctorSESAccountUnreadable shows its answer), so account,
// when set, answers it. Its GetConfigurationSet answers an existing set with a body the
// SDK cannot read (SendingOptions.SendingEnabled is an object), so that answer (HTTP 200)
// is taken for the set; a missing one is moto's own NotFoundException. And an identity's DKIM is SUCCESS in moto only when created with signing
// attributes, whose answer carries a timestamp the SDK cannot read; so identities are
// created without them (moto says NOT_STARTED) and, with dkimVerified, GetEmailIdentity
// reports SUCCESS, as SES does once it sees the CNAME records.
type sesStandIn struct {
	sesAPI
	account      *sesv2.GetAccountOutput
	dkimVerified *bool
}

type sesAPI interface {
	GetEmailIdentity(ctx context.Context, in *sesv2.GetEmailIdentityInput, opts ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
	GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	GetConfigurationSet(ctx context.Context, in *sesv2.GetConfigurationSetInput, opts ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetOutput, error)
}

func (s sesStandIn) GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	if s.account == nil {
		return s.sesAPI.GetAccount(ctx, in, opts...) // moto's
	}
	return s.account, nil
}

func (s sesStandIn) GetConfigurationSet(ctx context.Context, in *sesv2.GetConfigurationSetInput, opts ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetOutput, error) {
	out, err := s.sesAPI.GetConfigurationSet(ctx, in, opts...)
	var res *awshttp.ResponseError
	if errors.As(err, &res) && res.HTTPStatusCode() == http.StatusOK {
		return &sesv2.GetConfigurationSetOutput{ConfigurationSetName: in.ConfigurationSetName}, nil
	}
	return out, err
}

func (s sesStandIn) GetEmailIdentity(ctx context.Context, in *sesv2.GetEmailIdentityInput, opts ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error) {
	out, err := s.sesAPI.GetEmailIdentity(ctx, in, opts...)
	if err == nil && *s.dkimVerified && out.DkimAttributes != nil {
		out.DkimAttributes.Status = sestypes.DkimStatusSuccess
	}
	return out, err
}

// pendingSubscriptions stands in for SNS's ListSubscriptionsByTopic with an email
// subscription not confirmed yet (moto confirms every subscription at once).
type pendingSubscriptions struct{}

func (pendingSubscriptions) ListSubscriptionsByTopic(_ context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	return &sns.ListSubscriptionsByTopicOutput{Subscriptions: []snstypes.Subscription{{
		TopicArn: in.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("treasurer@example.org"),
		SubscriptionArn: aws.String("PendingConfirmation"),
	}}}, nil
}

// endpointStandIn is Stripe's webhook endpoint as doctor's StripeEndpoint would find it.
type endpointStandIn struct {
	ep    WebhookEndpoint
	found bool
	key   string // the secret key it was called with
	url   string
}

func (s *endpointStandIn) find(_ context.Context, key, url string) (WebhookEndpoint, bool, error) {
	s.key, s.url = key, url
	return s.ep, s.found, nil
}

// fixture is a healthy deployment in moto: its stack, every resource doctor checks,
// an SES account out of the sandbox and a matching Stripe endpoint.
type fixture struct {
	d            *Deployment
	stripe       *endpointStandIn
	account      *sesv2.GetAccountOutput
	dkimVerified bool
	names        map[string]string // the stack's outputs
}

func healthyDeployment(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	env := emulator.Get(t)
	n := fmt.Sprintf("%d-%d", os.Getpid(), deployments.Add(1))
	names := map[string]string{
		"StripeSecretKeyParam":     "/doctor-" + n + "/stripe/secret-key",
		"StripeWebhookSecretParam": "/doctor-" + n + "/stripe/webhook-secret",
		"HashKeyParam":             "/doctor-" + n + "/hash-key",
		"MailIdentity":             "doctor-" + n + ".example.org",
		"MailFrom":                 "appeal@doctor-" + n + ".example.org",
		"MailConfigurationSet":     "doctor-" + n + "-mail",
		"TableName":                "doctor-" + n + "-table",
		"ExportsBucketName":        "doctor-" + n + "-exports",
		"PublicUrl":                "https://doctor-" + n + ".example.org",
		"StripeWebhookUrl":         "https://doctor-" + n + ".example.org/webhooks/stripe",
	}
	ssmc := ssm.NewFromConfig(env.AWS)
	for key, value := range map[string]string{"StripeSecretKeyParam": doctorStripeKey, "StripeWebhookSecretParam": doctorWebhookSecret, "HashKeyParam": doctorHashKey} {
		if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(names[key]), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString,
			Overwrite: aws.Bool(true)}); err != nil { // a retried put finds its first try's
			t.Fatal(err)
		}
	}
	ses := sesv2.NewFromConfig(env.AWS)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(names["MailIdentity"])}); !made(err) {
		t.Fatal(err)
	}
	if _, err := ses.CreateConfigurationSet(ctx, &sesv2.CreateConfigurationSetInput{ConfigurationSetName: aws.String(names["MailConfigurationSet"])}); !made(err) {
		t.Fatal(err)
	}
	snsc := sns.NewFromConfig(env.AWS)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("doctor-" + n + "-alarms")})
	if err != nil {
		t.Fatal(err)
	}
	names["AlarmTopicArn"] = aws.ToString(topic.TopicArn)
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("treasurer@example.org")}); err != nil {
		t.Fatal(err)
	}
	db := env.DB()
	if err := dynamo.CreateTable(ctx, db, names["TableName"]); err != nil {
		t.Fatal(err)
	}
	desc, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(names["TableName"]), DeletionProtectionEnabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	names["TableStreamArn"] = aws.ToString(desc.TableDescription.LatestStreamArn)
	s3c := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(names["ExportsBucketName"]),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(env.AWS.Region)}}); !made(err) {
		t.Fatal(err)
	}
	stackName := createStack(t, names)
	stack, err := ReadStack(ctx, cloudformation.NewFromConfig(env.AWS), stackName, env.AWS.Region)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		stripe: &endpointStandIn{found: true, ep: WebhookEndpoint{ID: "we_doctor", APIVersion: webhook.APIVersion, Events: webhook.HandledEvents(), Enabled: true,
			SecretMark: Fingerprint(doctorWebhookSecret)}},
		account: &sesv2.GetAccountOutput{ProductionAccessEnabled: true, SendingEnabled: true, EnforcementStatus: aws.String("HEALTHY"),
			SuppressionAttributes: &sestypes.SuppressionAttributes{SuppressedReasons: []sestypes.SuppressionListReason{sestypes.SuppressionListReasonBounce, sestypes.SuppressionListReasonComplaint}}},
		names: names, dkimVerified: true,
	}
	org := otherorg.Identity // on real domains: an example domain is the sample's FIX
	org.Email, org.Website, org.LogoURL = "contact@fightback.ca", organization.Texts{EN: "https://fightback.ca", FR: "https://riposte.ca"}, ""
	org.PrivacyURL = organization.Texts{EN: "https://fightback.ca/privacy", FR: "https://riposte.ca/confidentialite"}
	f.d = &Deployment{Stack: stack, Table: names["TableName"], SSM: ssmc, SES: sesStandIn{ses, f.account, &f.dkimVerified}, SNS: snsc, DB: db, S3: s3c, StripeEndpoint: f.stripe.find, Org: org}
	return f
}

// made reports whether a create call made its resource: it succeeded, or says the
// resource exists, as when the SDK sent it again after its first try's answer was lost
// (moto, single-threaded on a busy machine, sometimes drops a connection).
func made(err error) bool {
	var apiErr smithy.APIError
	return err == nil || errors.As(err, &apiErr) && (strings.Contains(apiErr.ErrorCode(), "AlreadyExists") || apiErr.ErrorCode() == "BucketAlreadyOwnedByYou")
}

// doctorRun runs staff doctor on d, and returns its lines and its error.
func doctorRun(t *testing.T, d *Deployment) ([]string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Run(context.Background(), nil, Sources{Deployment: d}, []string{"doctor"}, &out)
	for _, secret := range []string{doctorStripeKey, doctorWebhookSecret, doctorHashKey, "doctorcheck"} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("doctor printed a secret:\n%s", out.String())
		}
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), err
}

func fixLines(lines []string) []string {
	var fixes []string
	for _, l := range lines {
		if strings.HasPrefix(l, "FIX ") {
			fixes = append(fixes, l)
		} else if !strings.HasPrefix(l, "OK  ") && !strings.HasPrefix(l, "NOTE ") {
			fixes = append(fixes, "neither OK nor FIX: "+l)
		}
	}
	return fixes
}

// TestDoctorSampleOrganization: a stack deployed with an identity on example domains
// (the sample's: nobody's mailing address) is a FIX, naming what to change.
func TestDoctorSampleOrganization(t *testing.T) {
	f := healthyDeployment(t)
	f.d.Org = otherorg.Identity // on example domains, like the sample
	lines, err := doctorRun(t, f.d)
	want := "FIX infra/organization.json names the sample's addresses (contact@fightback.example, https://fightback.example, https://riposte.example, https://fightback.example/privacy, https://riposte.example/confidentialite, https://cdn.fightback.example/logo.png): put"
	if fixes := fixLines(lines); !errors.Is(err, ErrFix) || len(fixes) != 1 || !strings.HasPrefix(fixes[0], want) {
		t.Fatalf("err %v, fixes %q", err, fixes)
	}
	// The sample's mailing address, on real domains, is still the sample's.
	f.d.Org.Email, f.d.Org.Website, f.d.Org.LogoURL = "a@fightback.ca", organization.Texts{EN: "https://fightback.ca", FR: "https://fightback.ca/fr"}, ""
	f.d.Org.PrivacyURL = organization.Texts{EN: "https://fightback.ca/privacy", FR: "https://fightback.ca/fr/confidentialite"}
	f.d.Org.MailingAddress.EN = "PO Box 1234, Station A, Toronto ON  M5W 1A2"
	if lines, _ := doctorRun(t, f.d); !slices.Contains(lines, "FIX infra/organization.json names the sample's addresses (PO Box 1234, Station A, Toronto ON  M5W 1A2): put the organization's names, mailing address, contact, website and privacy policy in it, then sam build && sam deploy, and make forms for the forms (README: The organization's identity).") {
		t.Errorf("the sample's mailing address passed: %q", lines)
	}
	for s, want := range map[string]bool{"a@b.example": true, "https://x.example.com/fr": true, "https://EXAMPLE.org.": true, "https://test": true,
		"contact@fightback.ca": false, "https://example.ca": false, "https://notexample.com": false, "": false} {
		if exampleDomain(s) != want {
			t.Errorf("exampleDomain(%q) = %v", s, !want)
		}
	}
}

func TestDoctorHealthy(t *testing.T) {
	f := healthyDeployment(t)
	lines, err := doctorRun(t, f.d)
	if err != nil || len(fixLines(lines)) > 0 {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}
	want := []string{
		"OK  Stripe secret key: SecureString " + f.names["StripeSecretKeyParam"] + ", live mode",
		"OK  Stripe webhook signing secret: SecureString " + f.names["StripeWebhookSecretParam"] + ", whsec_…",
		"OK  hashing and erasure key: SecureString " + f.names["HashKeyParam"] + ", 32 bytes or more",
		"OK  SES identity " + f.names["MailIdentity"] + " is verified",
		"OK  SES identity " + f.names["MailIdentity"] + " signs with DKIM",
		"OK  SES account in ca-central-1 is out of the sandbox",
		"OK  SES account in ca-central-1 may send",
		"OK  SES account-level suppression is on for bounces and complaints",
		"OK  SES configuration set " + f.names["MailConfigurationSet"] + " exists",
		fmt.Sprintf("OK  Stripe webhook endpoint we_doctor for %s: API version 2023-10-16, the %d events handled, enabled", f.names["StripeWebhookUrl"], len(webhook.HandledEvents())),
		"OK  the SSM parameter " + f.names["StripeWebhookSecretParam"] + " holds the signing secret of Stripe's webhook endpoint we_doctor",
		"OK  alarm topic reaches 1 confirmed subscriber(s)",
		"OK  table " + f.names["TableName"] + " exists",
		"OK  table " + f.names["TableName"] + "'s stream is the one the mailer reads",
		"OK  table " + f.names["TableName"] + " has deletion protection",
		"OK  table " + f.names["TableName"] + " has point-in-time recovery",
		"OK  exports bucket " + f.names["ExportsBucketName"] + " exists",
		"OK  Emails and pages name Fightback / Riposte ouvrière, PO Box 42, Station B, Ottawa ON  K1P 5N2 (infra/organization.json, as this tool was built with it).",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if f.stripe.key != doctorStripeKey || f.stripe.url != f.names["StripeWebhookUrl"] {
		t.Errorf("the endpoint was looked up with key %q for %q", f.stripe.key, f.stripe.url)
	}
}

// TestDoctorFindsEach breaks one thing of a healthy deployment at a time: doctor says it
// in its sentence, exits with ErrFix, and every other check still passes.
func TestDoctorFindsEach(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		breakIt func(t *testing.T, f *fixture)
		want    []string // the FIX lines, in part
	}{
		{"missing parameter", func(t *testing.T, f *fixture) {
			if _, err := f.d.SSM.(*ssm.Client).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(f.names["HashKeyParam"])}); err != nil {
				t.Fatal(err)
			}
		}, []string{"FIX The SSM parameter " + "%HashKeyParam% (the hashing and erasure key) does not exist: create it (README deploy step 3): aws ssm put-parameter --region ca-central-1 --type SecureString --name %HashKeyParam% --value \"$(openssl rand -base64 48)\""}},
		{"missing Stripe key", func(t *testing.T, f *fixture) {
			if _, err := f.d.SSM.(*ssm.Client).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(f.names["StripeSecretKeyParam"])}); err != nil {
				t.Fatal(err)
			}
		}, []string{
			"FIX The SSM parameter %StripeSecretKeyParam% (the Stripe secret key) does not exist: create it (README deploy step 3): aws ssm put-parameter --region ca-central-1 --type SecureString --name %StripeSecretKeyParam% --value 'sk_live_…' (the secret key in Stripe's dashboard: Developers → API keys)",
			"FIX The Stripe webhook endpoint for %StripeWebhookUrl% could not be checked without Stripe's secret key: fix its parameter (above), or run staff doctor with a role that may read it (the deployer's, not the staff policy's).",
		}},
		{"missing webhook secret", func(t *testing.T, f *fixture) {
			if _, err := f.d.SSM.(*ssm.Client).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(f.names["StripeWebhookSecretParam"])}); err != nil {
				t.Fatal(err)
			}
		}, []string{"FIX The SSM parameter %StripeWebhookSecretParam% (the Stripe webhook signing secret) does not exist: run staff stripe connect, which creates it."}},
		{"plain String parameter", func(t *testing.T, f *fixture) {
			putParam(t, f, "StripeSecretKeyParam", "sk_test_doctorcheck", ssmtypes.ParameterTypeString)
		}, []string{"FIX The SSM parameter %StripeSecretKeyParam% (the Stripe secret key) is a String, which anyone allowed to read parameters can read: store it again as a SecureString (aws ssm delete-parameter --region ca-central-1 --name %StripeSecretKeyParam%, then aws ssm put-parameter --type SecureString --name %StripeSecretKeyParam% …)."}},
		{"not a Stripe key", func(t *testing.T, f *fixture) {
			putParam(t, f, "StripeSecretKeyParam", "pk_live_doctorcheck", ssmtypes.ParameterTypeSecureString)
		}, []string{
			"FIX The SSM parameter %StripeSecretKeyParam% (the Stripe secret key) does not look like a Stripe secret key (sk_live_…, sk_test_… or rk_…)",
			"FIX The Stripe webhook endpoint for %StripeWebhookUrl% could not be checked without Stripe's secret key",
		}},
		{"short hash key", func(t *testing.T, f *fixture) {
			putParam(t, f, "HashKeyParam", "too-short-doctorcheck", ssmtypes.ParameterTypeSecureString)
		}, []string{"FIX The SSM parameter %HashKeyParam% (the hashing and erasure key) is 21 bytes long; the key must be 32 bytes or more"}},
		{"not a webhook secret", func(t *testing.T, f *fixture) {
			putParam(t, f, "StripeWebhookSecretParam", "whsec_doctorcheck,sk_test_doctorcheck", ssmtypes.ParameterTypeSecureString)
		}, []string{"FIX The SSM parameter %StripeWebhookSecretParam% (the Stripe webhook signing secret) does not hold a webhook signing secret (whsec_…): run staff stripe connect"}},
		{"wrong API version", func(t *testing.T, f *fixture) {
			f.stripe.ep.APIVersion = "2025-09-30.clover"
		}, []string{"FIX Stripe's webhook endpoint we_doctor for %StripeWebhookUrl% is on API version 2025-09-30.clover, not 2023-10-16, so the webhook refuses its events. Stripe cannot change an endpoint's version: run staff stripe connect -url %StripeWebhookUrl% -replace, then staff stripe connect -url %StripeWebhookUrl% -finish-rotation (docs/runbook-stripe.md)."}},
		{"missing event", func(t *testing.T, f *fixture) {
			f.stripe.ep.Events = without(webhook.HandledEvents(), "invoice.paid")
		}, []string{"FIX Stripe's webhook endpoint we_doctor for %StripeWebhookUrl% lacks invoice.paid: run staff stripe connect -url %StripeWebhookUrl%."}},
		{"extra event", func(t *testing.T, f *fixture) {
			f.stripe.ep.Events = append(webhook.HandledEvents(), "payment_intent.created")
		}, []string{"FIX Stripe's webhook endpoint we_doctor for %StripeWebhookUrl% also sends payment_intent.created: run staff stripe connect"}},
		{"disabled endpoint", func(t *testing.T, f *fixture) {
			f.stripe.ep.Enabled = false
		}, []string{"FIX Stripe's webhook endpoint we_doctor for %StripeWebhookUrl% is disabled, so no event arrives: run staff stripe connect -url %StripeWebhookUrl%."}},
		{"no endpoint", func(t *testing.T, f *fixture) {
			f.stripe.found = false
		}, []string{"FIX Stripe has no webhook endpoint for %StripeWebhookUrl%: run staff stripe connect -url %StripeWebhookUrl%."}},
		{"another endpoint's secret", func(t *testing.T, f *fixture) {
			f.stripe.ep.SecretMark = Fingerprint("whsec_anotherendpoint")
		}, []string{"FIX The newest signing secret in the SSM parameter %StripeWebhookSecretParam% is not the one of Stripe's webhook endpoint we_doctor for %StripeWebhookUrl%: the webhook's signing secret is not this endpoint's: every event will be refused; run staff stripe connect -url %StripeWebhookUrl% -replace, then staff stripe connect -url %StripeWebhookUrl% -finish-rotation."}},
		{"secret pasted by hand", func(t *testing.T, f *fixture) {
			putParam(t, f, "StripeWebhookSecretParam", "whsec_pasted", ssmtypes.ParameterTypeSecureString)
		}, []string{"FIX The newest signing secret in the SSM parameter %StripeWebhookSecretParam% is not the one of Stripe's webhook endpoint we_doctor for %StripeWebhookUrl%: the webhook's signing secret is not this endpoint's"}},
		{"the endpoint's secret not first", func(t *testing.T, f *fixture) {
			putParam(t, f, "StripeWebhookSecretParam", "whsec_pasted,"+doctorWebhookSecret, ssmtypes.ParameterTypeSecureString)
		}, []string{"FIX The SSM parameter %StripeWebhookSecretParam% holds the signing secret of Stripe's newest webhook endpoint we_doctor for %StripeWebhookUrl%, but not first, so staff stripe connect -finish-rotation would delete that endpoint"}},
		{"an older endpoint outside a rotation", func(t *testing.T, f *fixture) {
			f.stripe.ep.Older = []string{"we_dashboard", "we_old"}
		}, []string{"FIX Stripe also sends every event for %StripeWebhookUrl% to the older webhook endpoint(s) we_dashboard, we_old, outside a rotation (the SSM parameter %StripeWebhookSecretParam% holds one secret): the webhook refuses their deliveries, which Stripe retries for three days. Run staff stripe connect -url %StripeWebhookUrl% -finish-rotation, which keeps the endpoint whose secret the parameter holds and deletes the others."}},
		{"sandboxed account", func(t *testing.T, f *fixture) {
			f.account.ProductionAccessEnabled = false
		}, []string{"FIX SES in ca-central-1 is in the sandbox: mail reaches only verified addresses. Ask for production access: aws sesv2 put-account-details --region ca-central-1 --production-access-enabled --mail-type TRANSACTIONAL --website-url %PublicUrl% --use-case-description"}},
		{"sending paused", func(t *testing.T, f *fixture) {
			f.account.SendingEnabled, f.account.EnforcementStatus = false, aws.String("SHUTDOWN")
		}, []string{"FIX SES sending is paused for the account in ca-central-1 (status SHUTDOWN)"}},
		{"no account suppression", func(t *testing.T, f *fixture) {
			f.account.SuppressionAttributes.SuppressedReasons = []sestypes.SuppressionListReason{sestypes.SuppressionListReasonBounce}
		}, []string{"FIX SES's account-level suppression list is not on for both bounces and complaints in ca-central-1: aws sesv2 put-account-suppression-attributes --region ca-central-1 --suppressed-reasons BOUNCE COMPLAINT"}},
		{"no DKIM", func(t *testing.T, f *fixture) {
			f.dkimVerified = false // moto's own answer: NOT_STARTED
		}, []string{"FIX DKIM for %MailIdentity% is NOT_STARTED: publish the three CNAME records"}},
		{"no identity", func(t *testing.T, f *fixture) {
			ses := f.d.SES.(sesStandIn).sesAPI.(*sesv2.Client)
			if _, err := ses.DeleteEmailIdentity(ctx, &sesv2.DeleteEmailIdentityInput{EmailIdentity: aws.String(f.names["MailIdentity"])}); err != nil {
				t.Fatal(err)
			}
		}, []string{"FIX SES in ca-central-1 has no identity %MailIdentity%: create it (aws sesv2 create-email-identity --region ca-central-1 --email-identity %MailIdentity%)"}},
		{"no configuration set", func(t *testing.T, f *fixture) {
			ses := f.d.SES.(sesStandIn).sesAPI.(*sesv2.Client)
			if _, err := ses.DeleteConfigurationSet(ctx, &sesv2.DeleteConfigurationSetInput{ConfigurationSetName: aws.String(f.names["MailConfigurationSet"])}); err != nil {
				t.Fatal(err)
			}
		}, []string{"FIX SES in ca-central-1 has no configuration set %MailConfigurationSet%, so every email fails"}},
		{"unconfirmed alarm subscription", func(t *testing.T, f *fixture) {
			f.d.SNS = pendingSubscriptions{}
		}, []string{"FIX The alarm topic's subscription of treasurer@example.org is not confirmed, so alarms reach no one: click the link in the email from AWS Notifications"}},
		{"no alarm subscriber", func(t *testing.T, f *fixture) {
			topic, err := f.d.SNS.(*sns.Client).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(strings.ReplaceAll(f.names["TableName"], "-table", "-quiet"))})
			if err != nil {
				t.Fatal(err)
			}
			f.d.Stack.Outputs["AlarmTopicArn"] = aws.ToString(topic.TopicArn)
		}, []string{"FIX No one is subscribed to the alarm topic, so alarms reach no one: deploy with AlarmEmail set, or aws sns subscribe --region ca-central-1 --topic-arn %AlarmTopicArn% --protocol email"}},
		{"no PITR and no deletion protection", func(t *testing.T, f *fixture) {
			db := f.d.DB.(*dynamodb.Client)
			if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(f.names["TableName"]), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(f.names["TableName"]),
				PointInTimeRecoverySpecification: &dbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(false)}}); err != nil {
				t.Fatal(err)
			}
		}, []string{
			"FIX The table %TableName% can be deleted: aws dynamodb update-table --region ca-central-1 --table-name %TableName% --deletion-protection-enabled",
			"FIX Point-in-time recovery is off for %TableName%: aws dynamodb update-continuous-backups",
		}},
		{"another stream", func(t *testing.T, f *fixture) {
			f.d.Stack.Outputs["TableStreamArn"] = "arn:aws:dynamodb:ca-central-1:123456789012:table/old/stream/2026-01-01T00:00:00.000"
		}, []string{"FIX The table %TableName%'s stream is not the one the stack's mailer reads (TableStreamArn)"}},
		{"TABLE_NAME elsewhere", func(t *testing.T, f *fixture) {
			f.d.Table = "restored-table"
		}, []string{"FIX TABLE_NAME is restored-table, not the stack's table %TableName%"}},
		{"no table", func(t *testing.T, f *fixture) {
			f.d.Stack.Outputs["TableName"] = "doctor-gone"
			f.d.Table = "doctor-gone"
		}, []string{"FIX The stack's table doctor-gone does not exist in ca-central-1"}},
		{"no bucket", func(t *testing.T, f *fixture) {
			f.d.Stack.Outputs["ExportsBucketName"] = "doctor-gone-exports"
		}, []string{"FIX The exports bucket doctor-gone-exports does not exist: deploy the stack again"}},
		{"an old stack without the output", func(t *testing.T, f *fixture) {
			delete(f.d.Stack.Outputs, "AlarmTopicArn")
		}, []string{"FIX The stack " + "%Stack% has no AlarmTopicArn output (the SNS topic alarms are sent to): deploy the current template (sam build && sam deploy)."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := healthyDeployment(t)
			tt.breakIt(t, f)
			lines, err := doctorRun(t, f.d)
			fixes := fixLines(lines)
			if !errors.Is(err, ErrFix) || len(fixes) != len(tt.want) {
				t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
			}
			for i, w := range tt.want {
				w = f.expand(w)
				if !strings.HasPrefix(fixes[i], w) {
					t.Errorf("got  %s\nwant %s…", fixes[i], w)
				}
			}
		})
	}
}

// TestDoctorThroughStripesAPI checks the endpoint through stripe-go, as staff doctor
// does: against a Stripe account stand-in whose requests stripe-mock checks (stripe_test.go),
// then against stripe-mock itself, whose fixture endpoint is at another address.
func TestDoctorThroughStripesAPI(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f := healthyDeployment(t)
	acct, srv := newStripeAccount(t, &now)
	f.d.StripeEndpoint = StripeEndpointFinder(payment.Backend(srv.URL))
	url := f.names["StripeWebhookUrl"]
	made := acct.seed(url, webhook.APIVersion, "enabled", webhook.HandledEvents(), now.Add(-48*time.Hour))
	made.Metadata[SecretMark] = Fingerprint(doctorWebhookSecret) // as staff stripe connect marks it
	acct.seed("https://elsewhere.example.org/webhooks/stripe", "2025-03-31.basil", "enabled", []string{"*"}, now.Add(-time.Hour))
	lines, err := doctorRun(t, f.d)
	if err != nil || !slices.Contains(lines, "OK  Stripe webhook endpoint we_seed1 for "+url+": API version 2023-10-16, the "+handledCount+" events handled, enabled") ||
		!slices.Contains(lines, "OK  the SSM parameter "+f.names["StripeWebhookSecretParam"]+" holds the signing secret of Stripe's webhook endpoint we_seed1") {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}

	// A newer endpoint at the address, of the account's (newer) version and missing events.
	acct.seed(url, "2025-03-31.basil", "enabled", without(webhook.HandledEvents(), "charge.refunded"), now.Add(-time.Minute))
	// Made in the dashboard, it carries no fingerprint; the older one still sends there.
	lines, err = doctorRun(t, f.d)
	if fixes := fixLines(lines); !errors.Is(err, ErrFix) || len(fixes) != 3 ||
		!strings.HasPrefix(fixes[0], "FIX Stripe's webhook endpoint we_seed3 for "+url+" is on API version 2025-03-31.basil, not 2023-10-16") ||
		!strings.HasPrefix(fixes[1], "FIX Stripe's webhook endpoint we_seed3 for "+url+" lacks charge.refunded: run staff stripe connect -url "+url) ||
		!strings.HasPrefix(fixes[2], "FIX Stripe also sends every event for "+url+" to the older webhook endpoint(s) we_seed1, outside a rotation") ||
		!slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "NOTE Whether the SSM parameter "+f.names["StripeWebhookSecretParam"]+" holds the signing secret of Stripe's webhook endpoint we_seed3 cannot be told: the endpoint was not made by staff stripe connect.")
		}) {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}

	putParam(t, f, "StripeSecretKeyParam", "sk_test_doctorcheck", ssmtypes.ParameterTypeSecureString) // stripe-mock takes test keys only
	f.d.StripeEndpoint = StripeEndpointFinder(payment.Backend(emulator.Get(t).Stripe.URL))
	lines, err = doctorRun(t, f.d)
	if fixes := fixLines(lines); !errors.Is(err, ErrFix) || len(fixes) != 1 || fixes[0] != "FIX Stripe has no webhook endpoint for "+url+": run staff stripe connect -url "+url+"." ||
		!slices.Contains(lines, "OK  Stripe secret key: SecureString "+f.names["StripeSecretKeyParam"]+", test mode (no real payments)") {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}
}

// An endpoint made elsewhere (no fingerprint) is a note, not a FIX; during a rotation
// the older endpoint and the parameter's second secret are as they should be.
func TestDoctorSigningSecret(t *testing.T) {
	f := healthyDeployment(t)
	f.stripe.ep.SecretMark = ""
	lines, err := doctorRun(t, f.d)
	param, url := f.names["StripeWebhookSecretParam"], f.names["StripeWebhookUrl"]
	note := "NOTE Whether the SSM parameter " + param + " holds the signing secret of Stripe's webhook endpoint we_doctor cannot be told: the endpoint was not made by staff stripe connect. " +
		"If the webhook refuses its events (WebhookRefusedAlarm), run staff stripe connect -url " + url + " -replace, then staff stripe connect -url " + url + " -finish-rotation."
	if err != nil || len(fixLines(lines)) != 0 || !slices.Contains(lines, note) {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}

	putParam(t, f, "StripeWebhookSecretParam", "whsec_doctornew,"+doctorWebhookSecret, ssmtypes.ParameterTypeSecureString)
	f.stripe.ep.ID, f.stripe.ep.SecretMark, f.stripe.ep.Older = "we_doctornew", Fingerprint("whsec_doctornew"), []string{"we_doctor"}
	lines, err = doctorRun(t, f.d)
	if err != nil || len(fixLines(lines)) != 0 || !slices.Contains(lines, "OK  the SSM parameter "+param+" holds the signing secret of Stripe's webhook endpoint we_doctornew") ||
		!slices.Contains(lines, "OK  Stripe webhook signing secret: SecureString "+param+", 2 secrets (a rotation is under way)") {
		t.Fatalf("during a rotation: err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}
}

// noDecrypt is SSM for a role the staff policy denies the secrets (ssm:GetParameter on
// them): it may describe a parameter (ssm:DescribeParameters), not read it.
type noDecrypt struct{ *ssm.Client }

func (n noDecrypt) GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "explicit deny in an identity-based policy (test)"}
}

// Under the staff policy, which denies the secrets, doctor still sees that the
// parameters are SecureStrings, and says the endpoint could not be checked.
func TestDoctorWithoutTheSecrets(t *testing.T) {
	f := healthyDeployment(t)
	f.d.SSM = noDecrypt{f.d.SSM.(*ssm.Client)}
	lines, err := doctorRun(t, f.d)
	fixes := fixLines(lines)
	url := f.names["StripeWebhookUrl"]
	if !errors.Is(err, ErrFix) || len(fixes) != 1 || !strings.HasPrefix(fixes[0], "FIX The Stripe webhook endpoint for "+url+" could not be checked without Stripe's secret key") ||
		lines[0] != "OK  Stripe secret key: SecureString "+f.names["StripeSecretKeyParam"]+" (its value is not checked: this role may not read it)" ||
		lines[2] != "OK  hashing and erasure key: SecureString "+f.names["HashKeyParam"]+" (its value is not checked: this role may not read it)" {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}
	// A String parameter, and a missing one, are still found out.
	putParam(t, f, "HashKeyParam", doctorHashKey, ssmtypes.ParameterTypeString)
	if _, err := f.d.SSM.(noDecrypt).DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(f.names["StripeWebhookSecretParam"])}); err != nil {
		t.Fatal(err)
	}
	lines, _ = doctorRun(t, f.d)
	if fixes := fixLines(lines); len(fixes) != 3 ||
		fixes[0] != "FIX The SSM parameter "+f.names["StripeWebhookSecretParam"]+" (the Stripe webhook signing secret) does not exist: run staff stripe connect, which creates it." ||
		!strings.HasPrefix(fixes[1], "FIX The SSM parameter "+f.names["HashKeyParam"]+" (the hashing and erasure key) is a String") {
		t.Fatalf("lines:\n%s", strings.Join(lines, "\n"))
	}
}

// TestDoctorSESAccountUnreadable runs doctor on moto's own SES, whose GetAccount moto
// 5.2.1 does not implement: that check says it could not read the account, and every
// other check still runs and passes.
func TestDoctorSESAccountUnreadable(t *testing.T) {
	f := healthyDeployment(t)
	ses := f.d.SES.(sesStandIn)
	ses.account = nil
	f.d.SES = ses
	lines, err := doctorRun(t, f.d)
	fixes := fixLines(lines)
	if !errors.Is(err, ErrFix) || len(fixes) != 1 || !strings.HasPrefix(fixes[0], "FIX Could not read the SES account in ca-central-1: ") || len(lines) != 16 {
		t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
	}
}

func TestDoctorNeedsAStack(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), nil, Sources{}, []string{"doctor"}, &out)
	if !errors.Is(err, ErrUsage) || err.Error() != "doctor and stripe connect need the stack: set SOLIDARITY_STACK to your stack's name, or give -stack NAME (staff -stack NAME doctor)" || out.Len() != 0 {
		t.Fatalf("err %v, out %q", err, out.String())
	}
}

func (f *fixture) expand(s string) string {
	for k, v := range f.d.Stack.Outputs {
		s = strings.ReplaceAll(s, "%"+k+"%", v)
	}
	return strings.ReplaceAll(s, "%Stack%", f.d.Stack.Name)
}

func putParam(t *testing.T, f *fixture, key, value string, typ ssmtypes.ParameterType) {
	t.Helper()
	ctx := context.Background()
	c, ok := f.d.SSM.(*ssm.Client)
	if !ok {
		c = f.d.SSM.(noDecrypt).Client
	}
	// Gone is gone: a retry of a deletion whose answer was lost finds nothing (made).
	var gone *ssmtypes.ParameterNotFound
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(f.names[key])}); err != nil && !errors.As(err, &gone) {
		t.Fatal(err)
	}
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(f.names[key]), Value: aws.String(value), Type: typ}); err != nil {
		t.Fatal(err)
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, v := range list {
		if v != drop {
			out = append(out, v)
		}
	}
	return out
}

func TestStripeKeyMode(t *testing.T) {
	tests := []struct {
		in, mode string
		ok       bool
	}{
		{liveKeyPrefix + "51Habc", "live mode", true},
		{"sk_test_51Habc", "test mode (no real payments)", true},
		{"rk_live_51Habc", "a restricted key, live mode", true},
		{"rk_test_51Habc", "a restricted key, test mode (no real payments)", true},
		{liveKeyPrefix + "", "", false},
		{"pk_live_51Habc", "", false},
		{"whsec_abc", "", false},
		{liveKeyPrefix + "51H abc", "", false},
		{" " + liveKeyPrefix + "51Habc", "", false},
		{liveKeyPrefix + "51Habc\n", "", false},
		{"SK_LIVE_51Habc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		mode, ok := StripeKeyMode(tt.in)
		if mode != tt.mode || ok != tt.ok {
			t.Errorf("StripeKeyMode(%q) = %q, %v", tt.in, mode, ok)
		}
	}
}

func FuzzStripeKeyMode(f *testing.F) {
	for _, s := range []string{liveKeyPrefix + "51Habc", "rk_test_x", "pk_live_x", liveKeyPrefix + "", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mode, ok := StripeKeyMode(s)
		if ok != (mode != "") {
			t.Fatalf("StripeKeyMode(%q) = %q, %v", s, mode, ok)
		}
		if ok && !(strings.HasPrefix(s, "sk_") || strings.HasPrefix(s, "rk_")) {
			t.Fatalf("%q taken for a secret key", s)
		}
		// The mode is one of four sentences: it says nothing of the key itself.
		if ok && !slices.Contains([]string{"live mode", "test mode (no real payments)", "a restricted key, live mode", "a restricted key, test mode (no real payments)"}, mode) {
			t.Fatalf("StripeKeyMode(%q) = %q", s, mode)
		}
	})
}

func TestWebhookSecrets(t *testing.T) {
	tests := []struct {
		in string
		n  int
		ok bool
	}{
		{"whsec_abc", 1, true},
		{"whsec_new,whsec_old", 2, true},
		{"whsec_new whsec_old\n", 2, true},
		{"", 0, false},
		{"whsec_", 0, false},
		{"sk_test_abc", 0, false},
		{"whsec_new,sk_test_abc", 0, false},
	}
	for _, tt := range tests {
		if n, ok := webhookSecrets(tt.in); n != tt.n || ok != tt.ok {
			t.Errorf("webhookSecrets(%q) = %d, %v", tt.in, n, ok)
		}
	}
}

func TestSenderOf(t *testing.T) {
	tests := []struct {
		from, identity string
		want           bool
	}{
		{"appeal@example.org", "example.org", true},
		{"Appeal@Example.org", "example.org", true},
		{"appeal@example.org", "appeal@example.org", true},
		{"appeal@mail.example.org", "example.org", false},
		{"appeal@example.org", "other@example.org", false},
		{"appeal@evil-example.org", "example.org", false},
	}
	for _, tt := range tests {
		if got := senderOf(tt.from, tt.identity); got != tt.want {
			t.Errorf("senderOf(%q, %q) = %v", tt.from, tt.identity, got)
		}
	}
}

// liveKeyPrefix starts the tests' made-up live keys, spelled apart so that no scanner of
// committed secrets mistakes one for a real key.
const liveKeyPrefix = "sk_" + "live_"
