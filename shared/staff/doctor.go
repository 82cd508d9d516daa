package staff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webhook"
)

// Deployment is what `staff doctor` reads: the stack's outputs, and the services its
// resources live in.
type Deployment struct {
	Stack Stack
	Table string // the table the tool works on (TABLE_NAME, else the stack's)
	SSM   interface {
		GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
		DescribeParameters(ctx context.Context, in *ssm.DescribeParametersInput, opts ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
	}
	SES interface {
		GetEmailIdentity(ctx context.Context, in *sesv2.GetEmailIdentityInput, opts ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
		GetAccount(ctx context.Context, in *sesv2.GetAccountInput, opts ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
		GetConfigurationSet(ctx context.Context, in *sesv2.GetConfigurationSetInput, opts ...func(*sesv2.Options)) (*sesv2.GetConfigurationSetOutput, error)
	}
	SNS interface {
		ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	}
	DB interface {
		DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
		DescribeContinuousBackups(ctx context.Context, in *dynamodb.DescribeContinuousBackupsInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error)
	}
	S3 interface {
		HeadBucket(ctx context.Context, in *s3.HeadBucketInput, opts ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	}
	// StripeEndpoint finds, with Stripe's secret key, the webhook endpoint that sends
	// url's events; found is false when there is none.
	StripeEndpoint func(ctx context.Context, secretKey, url string) (ep WebhookEndpoint, found bool, err error)
	// Org is the organization compiled into this tool, as into the functions deployed
	// from the same checkout (the zero Identity: infra/organization.json's).
	Org organization.Identity
}

// WebhookEndpoint is a Stripe webhook endpoint as doctor checks it.
type WebhookEndpoint struct {
	ID         string
	APIVersion string
	Events     []string
	Enabled    bool
	SecretMark string   // its metadata's SecretMark: Fingerprint of its signing secret ("" if not made by stripe connect)
	Older      []string // the IDs of the other, older endpoints that send to the same URL
}

// ErrFix means doctor found something to fix; its lines say what.
var ErrFix = errors.New("the deployment needs fixing")

// checkOrganization: the identity every email and page carries is the organization's
// own, not the sample's: a contact or website on a reserved example domain is nobody's,
// and an email without a real sender address breaks Canada's anti-spam law.
func (d *Deployment) checkOrganization(c *checkup) {
	id := d.Org.Or()
	var sample []string
	for _, v := range []string{id.Email, id.Website.EN, id.Website.FR, id.PrivacyURL.EN, id.PrivacyURL.FR, id.LogoURL} {
		if exampleDomain(v) {
			sample = append(sample, v)
		}
	}
	for _, v := range []string{id.MailingAddress.EN, id.MailingAddress.FR} {
		if strings.Contains(v, "1234, Station A") || strings.Contains(v, "1234, succursale A") {
			sample = append(sample, v)
		}
	}
	if len(sample) > 0 {
		c.fix("infra/organization.json names the sample's addresses (%s): put the organization's names, mailing address, contact, website and privacy policy in it, then sam build && sam deploy, and make forms for the forms (README: The organization's identity).",
			strings.Join(sample, ", "))
		return
	}
	c.ok("Emails and pages name %s / %s, %s (infra/organization.json, as this tool was built with it).", id.Name.EN, id.Name.FR, id.MailingAddress.EN)
}

// exampleDomain: an address or URL on a domain reserved for examples (RFC 2606).
func exampleDomain(s string) bool {
	if s == "" {
		return false
	}
	host := s
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if _, h, ok := strings.Cut(s, "@"); ok {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range []string{"example", "example.com", "example.org", "example.net", "test", "invalid", "localhost"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// checkup writes doctor's lines and counts the FIX ones.
type checkup struct {
	out   io.Writer
	fixes int
}

func (c *checkup) ok(format string, a ...any) { fmt.Fprintf(c.out, "OK  "+format+"\n", a...) }

// note says what doctor cannot tell, and is not to fix.
func (c *checkup) note(format string, a ...any) { fmt.Fprintf(c.out, "NOTE "+format+"\n", a...) }

func (c *checkup) fix(format string, a ...any) {
	c.fixes++
	fmt.Fprintf(c.out, "FIX "+format+"\n", a...)
}

// doctor runs `staff doctor`: every check runs, whatever the others found.
func doctor(ctx context.Context, d *Deployment, args []string, out io.Writer) error {
	if err := newFlags("doctor").Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if checking(ctx) {
		return nil
	}
	if d == nil || d.Stack.Name == "" {
		return NeedsStack([]string{"doctor"})
	}
	c := &checkup{out: out}
	key, secrets := d.checkParameters(ctx, c)
	d.checkMail(ctx, c)
	d.checkStripe(ctx, c, key, secrets)
	d.checkAlarms(ctx, c)
	d.checkTable(ctx, c)
	d.checkBucket(ctx, c)
	d.checkOrganization(c)
	if c.fixes > 0 {
		return fmt.Errorf("%w: %d to fix (the FIX lines above)", ErrFix, c.fixes)
	}
	return nil
}

// output is the stack's output key, or a FIX line saying the stack lacks it.
func (d *Deployment) output(c *checkup, key, what string) (string, bool) {
	v := d.Stack.Output(key)
	if v == "" {
		c.fix("The stack %s has no %s output (%s): deploy the current template (sam build && sam deploy).", d.Stack.Name, key, what)
		return "", false
	}
	return v, true
}

func (d *Deployment) region() string { return d.Stack.Region }

// stripeKeyHint is how a missing Stripe secret key parameter is given its value.
const stripeKeyHint = "--value 'sk_live_…' (the secret key in Stripe's dashboard: Developers → API keys)"

// missingParameter says that the SSM parameter name (the what) does not exist and how to
// create it, as README's deploy step 3 does.
func missingParameter(name, what, region, valueHint string) string {
	return fmt.Sprintf("The SSM parameter %s (the %s) does not exist: create it (README deploy step 3): aws ssm put-parameter --region %s --type SecureString --name %s %s",
		name, what, region, name, valueHint)
}

// checkParameters checks the three SSM SecureStrings and returns Stripe's secret key
// and the webhook's signing secrets, newest first (empty if unreadable), for the
// endpoint check. No value is printed.
func (d *Deployment) checkParameters(ctx context.Context, c *checkup) (stripeKey string, signingSecrets []string) {
	stripeKey = d.parameter(ctx, c, "StripeSecretKeyParam", "Stripe secret key",
		stripeKeyHint, func(v string) (string, string) {
			mode, ok := StripeKeyMode(v)
			if !ok {
				return "", "does not look like a Stripe secret key (sk_live_…, sk_test_… or rk_…): put the key from Stripe's dashboard (Developers → API keys) in it"
			}
			return mode, ""
		})
	secrets := d.parameter(ctx, c, "StripeWebhookSecretParam", "Stripe webhook signing secret",
		"", func(v string) (string, string) {
			n, ok := webhookSecrets(v)
			if !ok {
				return "", "does not hold a webhook signing secret (whsec_…): run staff stripe connect, which stores the endpoint's secret in it"
			}
			if n > 1 {
				return fmt.Sprintf("%d secrets (a rotation is under way)", n), ""
			}
			return "whsec_…", ""
		})
	d.parameter(ctx, c, "HashKeyParam", "hashing and erasure key",
		`--value "$(openssl rand -base64 48)"`, func(v string) (string, string) {
			if len(v) < 32 {
				return "", fmt.Sprintf("is %d bytes long; the key must be 32 bytes or more (openssl rand -base64 48 gives 64)", len(v))
			}
			return "32 bytes or more", ""
		})
	return stripeKey, webhook.ParseSecrets(secrets)
}

// parameter checks the SecureString the stack's output key names and returns its value
// when it could be read and check found nothing wrong with it ("" otherwise). check says
// what is fine about the value, or what is wrong.
func (d *Deployment) parameter(ctx context.Context, c *checkup, key, what, valueHint string, check func(string) (note, problem string)) string {
	name, ok := d.output(c, key, "the SSM parameter of the "+what)
	if !ok {
		return ""
	}
	res, err := d.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	undecrypted := false
	if accessDenied(err) {
		// A role that may not read the secret (the staff policy denies it) can still see
		// that the parameter is there and what type it is, in its description.
		if p, found, err2 := d.describeParameter(ctx, name); err2 == nil {
			res, err, undecrypted = &ssm.GetParameterOutput{Parameter: p}, nil, true
			if !found {
				err = &ssmtypes.ParameterNotFound{}
			}
		}
	}
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
		if valueHint == "" {
			c.fix("The SSM parameter %s (the %s) does not exist: run staff stripe connect, which creates it.", name, what)
		} else {
			c.fix("%s", missingParameter(name, what, d.region(), valueHint))
		}
		return ""
	case err != nil:
		c.fix("Could not read the SSM parameter %s (the %s): %s. Run staff doctor with a role that may call ssm:GetParameter on it.", name, what, awsReason(err))
		return ""
	}
	p := res.Parameter
	value := aws.ToString(p.Value)
	fine := true
	if p.Type != ssmtypes.ParameterTypeSecureString {
		fine = false
		c.fix("The SSM parameter %s (the %s) is a %s, which anyone allowed to read parameters can read: store it again as a SecureString (aws ssm delete-parameter --region %s --name %s, then aws ssm put-parameter --type SecureString --name %s …).",
			name, what, p.Type, d.region(), name, name)
	}
	if undecrypted {
		if fine {
			c.ok("%s: SecureString %s (its value is not checked: this role may not read it)", what, name)
		}
		return ""
	}
	// The webhook reads its secrets split at white space; the other values are used as
	// they are.
	if key != "StripeWebhookSecretParam" && strings.TrimSpace(value) != value {
		fine = false
		c.fix("The SSM parameter %s (the %s) has spaces or a line break around its value: put the value again without them (aws ssm put-parameter --overwrite --type SecureString --name %s …).", name, what, name)
	}
	note, problem := check(strings.TrimSpace(value))
	if problem != "" {
		fine = false
		c.fix("The SSM parameter %s (the %s) %s.", name, what, problem)
	}
	if fine {
		c.ok("%s: SecureString %s, %s", what, name, note)
	}
	if problem != "" {
		return ""
	}
	return strings.TrimSpace(value)
}

// describeParameter is the named parameter's description (its type, no value).
func (d *Deployment) describeParameter(ctx context.Context, name string) (*ssmtypes.Parameter, bool, error) {
	res, err := d.SSM.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}}})
	if err != nil {
		return nil, false, err
	}
	for _, m := range res.Parameters {
		if aws.ToString(m.Name) == name {
			return &ssmtypes.Parameter{Name: m.Name, Type: m.Type}, true, nil
		}
	}
	return nil, false, nil
}

// accessDenied reports whether err is AWS refusing the call to this role.
func accessDenied(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && strings.Contains(apiErr.ErrorCode(), "AccessDenied")
}

// StripeKeyMode says which kind of Stripe secret key v looks like ("live mode", "test
// mode", a restricted key's), without saying more of it; ok is false when v is not one.
func StripeKeyMode(v string) (mode string, ok bool) {
	kinds := []struct{ prefix, mode string }{
		{"sk_live_", "live mode"},
		{"sk_test_", "test mode (no real payments)"},
		{"rk_live_", "a restricted key, live mode"},
		{"rk_test_", "a restricted key, test mode (no real payments)"},
	}
	for _, k := range kinds {
		if rest, found := strings.CutPrefix(v, k.prefix); found && keyChars(rest) {
			return k.mode, true
		}
	}
	return "", false
}

// keyChars reports whether s is the body of a key: letters and digits only, at least one.
func keyChars(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// webhookSecrets counts the signing secrets v holds (one, or several during a
// rotation, as the webhook reads them); ok is false unless each is a whsec_ secret.
func webhookSecrets(v string) (n int, ok bool) {
	parts := webhook.ParseSecrets(v)
	for _, p := range parts {
		rest, found := strings.CutPrefix(p, "whsec_")
		if !found || !keyChars(rest) {
			return 0, false
		}
	}
	return len(parts), len(parts) > 0
}

// checkMail checks the SES identity, the account and the configuration set.
func (d *Deployment) checkMail(ctx context.Context, c *checkup) {
	region := d.region()
	if identity, ok := d.output(c, "MailIdentity", "the SES identity mail is sent as"); ok {
		id, err := d.SES.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(identity)})
		var notFound *sestypes.NotFoundException
		switch {
		case errors.As(err, &notFound):
			c.fix("SES in %s has no identity %s: create it (aws sesv2 create-email-identity --region %s --email-identity %s), then publish the DKIM records it prints in the domain's DNS.",
				region, identity, region, identity)
		case err != nil:
			c.fix("Could not read the SES identity %s in %s: %s.", identity, region, awsReason(err))
		default:
			verified := id.VerificationStatus == sestypes.VerificationStatusSuccess ||
				id.VerificationStatus == "" && id.VerifiedForSendingStatus
			if verified {
				c.ok("SES identity %s is verified", identity)
			} else {
				c.fix("The SES identity %s in %s is not verified (%s): publish the DNS records SES gave for it (aws sesv2 get-email-identity --region %s --email-identity %s shows them), or click the link in SES's email for an address.",
					identity, region, orNone(string(id.VerificationStatus)), region, identity)
			}
			var dkim sestypes.DkimStatus
			if id.DkimAttributes != nil {
				dkim = id.DkimAttributes.Status
			}
			if dkim == sestypes.DkimStatusSuccess {
				c.ok("SES identity %s signs with DKIM", identity)
			} else {
				c.fix("DKIM for %s is %s: publish the three CNAME records listed under DkimAttributes.Tokens by aws sesv2 get-email-identity --region %s --email-identity %s (name TOKEN._domainkey.DOMAIN, value TOKEN.dkim.amazonses.com) and wait for SES to see them.",
					identity, orNone(string(dkim)), region, identity)
			}
		}
		if from := d.Stack.Output("MailFrom"); from != "" && !senderOf(from, identity) {
			c.fix("MailFrom %s is not an address of the identity %s: the mailer may send only as that identity; deploy again with MailFrom at that domain.", from, identity)
		}
	}

	acct, err := d.SES.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		c.fix("Could not read the SES account in %s: %s.", region, awsReason(err))
	} else {
		if acct.ProductionAccessEnabled {
			c.ok("SES account in %s is out of the sandbox", region)
		} else {
			c.fix("SES in %s is in the sandbox: mail reaches only verified addresses. Ask for production access: aws sesv2 put-account-details --region %s --production-access-enabled --mail-type TRANSACTIONAL --website-url %s --use-case-description 'Receipts and confirmations for donations and memberships'",
				region, region, orNone(d.Stack.Output("PublicUrl")))
		}
		switch status := aws.ToString(acct.EnforcementStatus); {
		case !acct.SendingEnabled:
			c.fix("SES sending is paused for the account in %s (status %s): read the notice in the SES console's Reputation metrics page, fix the cause, then aws sesv2 put-account-sending-attributes --region %s --sending-enabled.",
				region, orNone(status), region)
		case status == "PROBATION" || status == "SHUTDOWN":
			c.fix("SES has put the account in %s under review (%s): bounces or complaints are too high; read the SES console's Reputation metrics page and answer AWS's case.", region, status)
		default:
			c.ok("SES account in %s may send", region)
		}
		var reasons []sestypes.SuppressionListReason
		if acct.SuppressionAttributes != nil {
			reasons = acct.SuppressionAttributes.SuppressedReasons
		}
		if slices.Contains(reasons, sestypes.SuppressionListReasonBounce) && slices.Contains(reasons, sestypes.SuppressionListReasonComplaint) {
			c.ok("SES account-level suppression is on for bounces and complaints")
		} else {
			c.fix("SES's account-level suppression list is not on for both bounces and complaints in %s: aws sesv2 put-account-suppression-attributes --region %s --suppressed-reasons BOUNCE COMPLAINT", region, region)
		}
	}

	if set, ok := d.output(c, "MailConfigurationSet", "the SES configuration set bounces and complaints are tracked with"); ok {
		_, err := d.SES.GetConfigurationSet(ctx, &sesv2.GetConfigurationSetInput{ConfigurationSetName: aws.String(set)})
		var notFound *sestypes.NotFoundException
		switch {
		case errors.As(err, &notFound):
			c.fix("SES in %s has no configuration set %s, so every email fails: deploy the current template, which creates it.", region, set)
		case err != nil:
			c.fix("Could not read the SES configuration set %s in %s: %s.", set, region, awsReason(err))
		default:
			c.ok("SES configuration set %s exists", set)
		}
	}
}

// senderOf reports whether the address from is identity, or at identity's domain.
func senderOf(from, identity string) bool {
	from, identity = strings.ToLower(from), strings.ToLower(identity)
	if from == identity {
		return true
	}
	at := strings.LastIndex(from, "@")
	return !strings.Contains(identity, "@") && at >= 0 && from[at+1:] == identity
}

// checkStripe checks the webhook endpoint Stripe sends the stack's events to, and,
// when the webhook's signing secrets (newest first) could be read, that the newest is
// that endpoint's and that no other endpoint sends there outside a rotation.
func (d *Deployment) checkStripe(ctx context.Context, c *checkup, key string, secrets []string) {
	url, ok := d.output(c, "StripeWebhookUrl", "the address Stripe sends events to")
	if !ok {
		return
	}
	connect := fmt.Sprintf("staff stripe connect -url %s", url)
	if key == "" {
		c.fix("The Stripe webhook endpoint for %s could not be checked without Stripe's secret key: fix its parameter (above), or run staff doctor with a role that may read it (the deployer's, not the staff policy's).", url)
		return
	}
	if d.StripeEndpoint == nil {
		c.fix("The Stripe webhook endpoint could not be checked: this staff tool cannot reach Stripe.")
		return
	}
	ep, found, err := d.StripeEndpoint(ctx, key, url)
	switch {
	case err != nil:
		c.fix("Could not list Stripe's webhook endpoints: %v.", err)
		return
	case !found:
		c.fix("Stripe has no webhook endpoint for %s: run %s.", url, connect)
		return
	}
	fine := true
	if ep.APIVersion != webhook.APIVersion {
		fine = false
		version := ep.APIVersion
		if version == "" {
			version = "the account's default"
		}
		c.fix("Stripe's webhook endpoint %s for %s is on API version %s, not %s, so the webhook refuses its events. Stripe cannot change an endpoint's version: run %s -replace, then %s -finish-rotation (docs/runbook-stripe.md).",
			ep.ID, url, version, webhook.APIVersion, connect, connect)
	}
	if missing, extra := setDiff(webhook.HandledEvents(), ep.Events); len(missing)+len(extra) > 0 {
		fine = false
		var what []string
		if len(missing) > 0 {
			what = append(what, "lacks "+strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			what = append(what, "also sends "+strings.Join(extra, ", "))
		}
		c.fix("Stripe's webhook endpoint %s for %s %s: run %s.", ep.ID, url, strings.Join(what, " and "), connect)
	}
	if !ep.Enabled {
		fine = false
		c.fix("Stripe's webhook endpoint %s for %s is disabled, so no event arrives: run %s.", ep.ID, url, connect)
	}
	if fine {
		c.ok("Stripe webhook endpoint %s for %s: API version %s, the %d events handled, enabled", ep.ID, url, ep.APIVersion, len(ep.Events))
	}
	if len(secrets) == 0 {
		return // the parameter's line says why
	}
	param := d.Stack.Output("StripeWebhookSecretParam")
	switch {
	case ep.SecretMark == "":
		c.note("Whether the SSM parameter %s holds the signing secret of Stripe's webhook endpoint %s cannot be told: the endpoint was not made by staff stripe connect. If the webhook refuses its events (WebhookRefusedAlarm), run %s -replace, then %s -finish-rotation.",
			param, ep.ID, connect, connect)
	case ep.SecretMark != Fingerprint(secrets[0]) && slices.ContainsFunc(secrets, func(s string) bool { return Fingerprint(s) == ep.SecretMark }):
		c.fix("The SSM parameter %s holds the signing secret of Stripe's newest webhook endpoint %s for %s, but not first, so staff stripe connect -finish-rotation would delete that endpoint: put its secret first in the parameter (newest first, comma-separated) before finishing the rotation.",
			param, ep.ID, url)
	case ep.SecretMark != Fingerprint(secrets[0]):
		c.fix("The newest signing secret in the SSM parameter %s is not the one of Stripe's webhook endpoint %s for %s: the webhook's signing secret is not this endpoint's: every event will be refused; run %s -replace, then %s -finish-rotation.",
			param, ep.ID, url, connect, connect)
	default:
		c.ok("the SSM parameter %s holds the signing secret of Stripe's webhook endpoint %s", param, ep.ID)
	}
	if len(ep.Older) > 0 && len(secrets) == 1 {
		c.fix("Stripe also sends every event for %s to the older webhook endpoint(s) %s, outside a rotation (the SSM parameter %s holds one secret): the webhook refuses their deliveries, which Stripe retries for three days. Run %s -finish-rotation, which keeps the endpoint whose secret the parameter holds and deletes the others.",
			url, strings.Join(ep.Older, ", "), param, connect)
	}
}

// setDiff returns what want has that got lacks, and what got has that want lacks.
func setDiff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !slices.Contains(extra, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// checkAlarms checks that the alarm topic reaches someone.
func (d *Deployment) checkAlarms(ctx context.Context, c *checkup) {
	topic, ok := d.output(c, "AlarmTopicArn", "the SNS topic alarms are sent to")
	if !ok {
		return
	}
	subscribe := fmt.Sprintf("aws sns subscribe --region %s --topic-arn %s --protocol email --notification-endpoint YOU@EXAMPLE.ORG", d.region(), topic)
	var confirmed, pending []string
	in := &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)}
	for {
		res, err := d.SNS.ListSubscriptionsByTopic(ctx, in)
		if err != nil {
			c.fix("Could not list the subscriptions of the alarm topic %s: %s.", topic, awsReason(err))
			return
		}
		for _, s := range res.Subscriptions {
			switch arn := aws.ToString(s.SubscriptionArn); arn {
			case "PendingConfirmation":
				pending = append(pending, aws.ToString(s.Endpoint))
			case "Deleted", "":
			default:
				confirmed = append(confirmed, aws.ToString(s.Endpoint))
			}
		}
		if aws.ToString(res.NextToken) == "" {
			break
		}
		in.NextToken = res.NextToken
	}
	switch {
	case len(confirmed) > 0:
		c.ok("alarm topic reaches %d confirmed subscriber(s)", len(confirmed))
	case len(pending) > 0:
		c.fix("The alarm topic's subscription of %s is not confirmed, so alarms reach no one: click the link in the email from AWS Notifications (\"Subscription Confirmation\"); to have it sent again: %s",
			strings.Join(pending, ", "), strings.Replace(subscribe, "YOU@EXAMPLE.ORG", pending[0], 1))
	default:
		c.fix("No one is subscribed to the alarm topic, so alarms reach no one: deploy with AlarmEmail set, or %s, then click the link in the email it sends.", subscribe)
	}
}

// checkTable checks the stack's table: there, its stream the stack's, PITR and deletion
// protection on, and the one the tool works on.
func (d *Deployment) checkTable(ctx context.Context, c *checkup) {
	table, ok := d.output(c, "TableName", "the DynamoDB table")
	if !ok {
		return
	}
	if d.Table != "" && d.Table != table {
		c.fix("TABLE_NAME is %s, not the stack's table %s: the staff tool works on %s; unset TABLE_NAME unless that is meant.", d.Table, table, d.Table)
	}
	desc, err := d.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *dbtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		c.fix("The stack's table %s does not exist in %s: if it was deleted, restore it (docs/runbooks.md) and deploy again.", table, d.region())
		return
	case err != nil:
		c.fix("Could not read the table %s: %s.", table, awsReason(err))
		return
	}
	t := desc.Table
	if t.TableStatus == dbtypes.TableStatusActive {
		c.ok("table %s exists", table)
	} else {
		c.fix("The table %s is %s, not ACTIVE: wait a few minutes and run staff doctor again.", table, t.TableStatus)
	}
	stream := aws.ToString(t.LatestStreamArn)
	switch want := d.Stack.Output("TableStreamArn"); {
	case t.StreamSpecification == nil || !aws.ToBool(t.StreamSpecification.StreamEnabled):
		c.fix("The table %s has no stream, so no email is sent: deploy the stack again (the template turns it on).", table)
	case want == "":
		c.fix("The stack %s has no TableStreamArn output, so the table's stream cannot be checked: deploy the current template (sam build && sam deploy).", d.Stack.Name)
	case stream != want:
		c.fix("The table %s's stream is not the one the stack's mailer reads (TableStreamArn): the table was replaced or its stream turned off and on; deploy the stack again so the mailer reads %s.", table, stream)
	default:
		c.ok("table %s's stream is the one the mailer reads", table)
	}
	if aws.ToBool(t.DeletionProtectionEnabled) {
		c.ok("table %s has deletion protection", table)
	} else {
		c.fix("The table %s can be deleted: aws dynamodb update-table --region %s --table-name %s --deletion-protection-enabled", table, d.region(), table)
	}
	pitr, err := d.DB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(table)})
	switch {
	case err != nil:
		c.fix("Could not read the point-in-time recovery of %s: %s.", table, awsReason(err))
	case pitr.ContinuousBackupsDescription == nil || pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription == nil ||
		pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != dbtypes.PointInTimeRecoveryStatusEnabled:
		c.fix("Point-in-time recovery is off for %s: aws dynamodb update-continuous-backups --region %s --table-name %s --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true",
			table, d.region(), table)
	default:
		c.ok("table %s has point-in-time recovery", table)
	}
}

// checkBucket checks the exports bucket.
func (d *Deployment) checkBucket(ctx context.Context, c *checkup) {
	bucket, ok := d.output(c, "ExportsBucketName", "the exports bucket")
	if !ok {
		return
	}
	_, err := d.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var apiErr smithy.APIError
	switch {
	case err == nil:
		c.ok("exports bucket %s exists", bucket)
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NotFound" || apiErr.ErrorCode() == "NoSuchBucket"):
		c.fix("The exports bucket %s does not exist: deploy the stack again (sam deploy), which creates it.", bucket)
	default:
		c.fix("Could not reach the exports bucket %s: %s.", bucket, awsReason(err))
	}
}

// awsReason is an AWS error in a few words: its code and message.
func awsReason(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if msg := apiErr.ErrorMessage(); msg != "" {
			return apiErr.ErrorCode() + ": " + msg
		}
		return apiErr.ErrorCode()
	}
	return err.Error()
}
