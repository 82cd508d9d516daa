package staff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhookendpoint"

	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webhook"
)

// StripeAccount is what `staff stripe connect` works with: Stripe's API with the secret
// key, and SSM, where the webhook's signing secret is kept.
type StripeAccount struct {
	Key       string // Stripe's secret key
	Endpoints EndpointAPI
	Params    ParamAPI
	// WebhookURL and WebhookParam are the defaults of -url and -param (the stack's
	// StripeWebhookUrl output and STRIPE_WEBHOOK_SECRET_PARAM), if known.
	WebhookURL, WebhookParam string
	Stack                    string // the stack's name, for the endpoint's description
}

// NewStripeAccount reaches Stripe at backend (payment.Backend) with key.
func NewStripeAccount(backend stripe.Backend, key string, params ParamAPI) StripeAccount {
	return StripeAccount{Key: key, Endpoints: webhookendpoint.Client{B: backend, Key: key}, Params: params}
}

// EndpointAPI is the part of stripe-go's webhook endpoint client used.
type EndpointAPI interface {
	List(params *stripe.WebhookEndpointListParams) *webhookendpoint.Iter
	New(params *stripe.WebhookEndpointParams) (*stripe.WebhookEndpoint, error)
	Update(id string, params *stripe.WebhookEndpointParams) (*stripe.WebhookEndpoint, error)
	Del(id string, params *stripe.WebhookEndpointParams) (*stripe.WebhookEndpoint, error)
}

// ParamAPI is the part of the SSM client used.
type ParamAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// RotationWait is how long after -replace created the new endpoint -finish-rotation
// waits: twice the time a running webhook function takes to read its parameter again.
const RotationWait = 2 * webhook.SecretMaxAge

// EndpointsAt lists every webhook endpoint of the account whose URL is exactly url,
// newest first (all pages).
func EndpointsAt(ctx context.Context, api EndpointAPI, url string) ([]*stripe.WebhookEndpoint, error) {
	params := &stripe.WebhookEndpointListParams{}
	params.Context = ctx
	params.Limit = stripe.Int64(100)
	var found []*stripe.WebhookEndpoint
	it := api.List(params)
	for it.Next() {
		if ep := it.WebhookEndpoint(); ep.URL == url {
			found = append(found, ep)
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("list Stripe's webhook endpoints: %w", stripeReason(err))
	}
	slices.SortStableFunc(found, func(a, b *stripe.WebhookEndpoint) int { return int(b.Created - a.Created) })
	return found, nil
}

// FindWebhookEndpoint is doctor's view (Deployment.StripeEndpoint) of the newest webhook
// endpoint sending to url, with the others there; found is false when there is none.
func FindWebhookEndpoint(ctx context.Context, api EndpointAPI, url string) (ep WebhookEndpoint, found bool, err error) {
	eps, err := EndpointsAt(ctx, api, url)
	if err != nil || len(eps) == 0 {
		return WebhookEndpoint{}, false, err
	}
	e := eps[0]
	ep = WebhookEndpoint{ID: e.ID, APIVersion: e.APIVersion, Events: e.EnabledEvents, Enabled: e.Status == "enabled", SecretMark: e.Metadata[SecretMark]}
	for _, older := range eps[1:] {
		ep.Older = append(ep.Older, older.ID)
	}
	return ep, true, nil
}

// ReadStripeKey is Stripe's secret key for the staff tool: key (STRIPE_SECRET_KEY,
// locally) when set, else the SSM SecureString param names (STRIPE_SECRET_KEY_PARAM, the
// stack's StripeSecretKeyParam). A parameter that does not exist is said as doctor says
// it, with the command that creates it.
func ReadStripeKey(ctx context.Context, params interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}, key, param, region string) (string, error) {
	if key != "" {
		return key, nil
	}
	if param == "" {
		return "", errors.New("Stripe's secret key is needed: name the stack (SOLIDARITY_STACK), or set STRIPE_SECRET_KEY_PARAM to its SSM parameter (STRIPE_SECRET_KEY locally)")
	}
	res, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param), WithDecryption: aws.Bool(true)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
		return "", errors.New(missingParameter(param, "Stripe secret key", region, stripeKeyHint))
	case err != nil:
		return "", fmt.Errorf("read Stripe's secret key from the SSM parameter %s: %s", param, awsReason(err))
	}
	return aws.ToString(res.Parameter.Value), nil
}

// StripeEndpointFinder is Deployment.StripeEndpoint for Stripe at backend.
func StripeEndpointFinder(backend stripe.Backend) func(ctx context.Context, key, url string) (WebhookEndpoint, bool, error) {
	return func(ctx context.Context, key, url string) (WebhookEndpoint, bool, error) {
		return FindWebhookEndpoint(ctx, webhookendpoint.Client{B: backend, Key: key}, url)
	}
}

// CheckWebhookURL refuses an address Stripe should not send events to: it must be
// https (http only to this machine, for local use), with a host, and no user, query or
// fragment. warning is set when the path is not the webhook's route.
func CheckWebhookURL(s string) (warning string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: -url %q is not an address like https://api.example.org/webhooks/stripe", ErrUsage, s)
	}
	local := IsLocalEndpoint(s)
	switch {
	case u.Scheme == "http" && local:
	case u.Scheme != "https":
		return "", fmt.Errorf("%w: -url must be an https address (Stripe sends live events only over https); http is for this machine only (http://127.0.0.1 or http://localhost)", ErrUsage)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return "", fmt.Errorf("%w: -url must be the webhook's address alone, without a user, query or fragment", ErrUsage)
	}
	if !strings.HasSuffix(u.Path, "/webhooks/stripe") {
		return fmt.Sprintf("%s does not end in /webhooks/stripe, the webhook's route: check it is the stack's StripeWebhookUrl output", s), nil
	}
	return "", nil
}

// connectOptions are the flags of `staff stripe connect`.
type connectOptions struct {
	url, param              string
	dryRun, replace, finish bool
}

// stripeConnect runs `staff stripe connect`.
func stripeConnect(ctx context.Context, src Sources, args []string, out io.Writer) error {
	fs := newFlags("stripe connect")
	var o connectOptions
	fs.StringVar(&o.url, "url", "", "")
	fs.StringVar(&o.param, "param", "", "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.BoolVar(&o.replace, "replace", false, "")
	fs.BoolVar(&o.finish, "finish-rotation", false, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected %q", ErrUsage, fs.Arg(0))
	}
	if o.replace && o.finish {
		return fmt.Errorf("%w: -replace starts a rotation and -finish-rotation ends it: give one", ErrUsage)
	}
	if o.url != "" { // checked before Stripe's key is read
		if _, err := CheckWebhookURL(o.url); err != nil {
			return err
		}
	}
	if checking(ctx) {
		return nil
	}
	if src.Stripe == nil {
		return errors.New("this staff tool cannot reach Stripe")
	}
	acct, err := src.Stripe(ctx)
	if err != nil {
		return err
	}
	if o.url == "" {
		o.url = acct.WebhookURL
	}
	if o.param == "" {
		o.param = acct.WebhookParam
	}
	if o.url == "" || o.param == "" {
		return fmt.Errorf("%w: -url (the stack's StripeWebhookUrl output) and -param (its StripeWebhookSecretParam) are required", ErrUsage)
	}
	warning, err := CheckWebhookURL(o.url)
	if err != nil {
		return err
	}
	if warning != "" {
		fmt.Fprintln(out, "warning:", warning)
	}
	switch mode, ok := StripeKeyMode(acct.Key); {
	case !ok:
		fmt.Fprintln(out, "warning: the Stripe key does not look like a secret key (sk_live_…, sk_test_…, rk_…)")
	case strings.Contains(acct.Key, "_test_"):
		fmt.Fprintf(out, "warning: the Stripe key is a test key (%s): this connects Stripe's test mode, where no real payment happens; for the appeal, run again with the live key (sk_live_…)\n", strings.SplitN(acct.Key, "_test_", 2)[0]+"_test_…")
	default:
		fmt.Fprintf(out, "Stripe key: %s\n", mode)
	}
	c := connector{acct: acct, o: o, out: out, now: src.now}
	switch {
	case o.finish:
		return c.finishRotation(ctx)
	case o.replace:
		return c.replace(ctx)
	}
	return c.connect(ctx)
}

// connector does one `staff stripe connect`.
type connector struct {
	acct StripeAccount
	o    connectOptions
	out  io.Writer
	now  func() time.Time
}

func (c connector) say(format string, a ...any) { fmt.Fprintf(c.out, format+"\n", a...) }

// would prefixes what a dry run would do.
func (c connector) would(did string) string {
	if c.o.dryRun {
		return "would " + did + " (dry run: nothing changed)"
	}
	return did
}

// secretParam is the webhook secret's SSM parameter as read.
type secretParam struct {
	exists  bool
	secure  bool
	secrets []string
}

func (c connector) readParam(ctx context.Context) (secretParam, error) {
	res, err := c.acct.Params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(c.o.param), WithDecryption: aws.Bool(true)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
		return secretParam{}, nil
	case err != nil:
		return secretParam{}, fmt.Errorf("read the SSM parameter %s: %w (the staff policy must allow ssm:GetParameter on it)", c.o.param, err)
	}
	p := res.Parameter
	return secretParam{exists: true, secure: p.Type == ssmtypes.ParameterTypeSecureString,
		secrets: webhook.ParseSecrets(aws.ToString(p.Value))}, nil
}

// writeParam stores secrets (newest first) as the parameter's SecureString value.
func (c connector) writeParam(ctx context.Context, secrets []string, endpoints []string) error {
	_, err := c.acct.Params.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(c.o.param), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		Value:       aws.String(strings.Join(secrets, ",")),
		Description: aws.String(fmt.Sprintf("Stripe webhook signing secret(s) for %s, newest first: %s", c.o.url, strings.Join(endpoints, ", "))),
	})
	if err != nil {
		return fmt.Errorf("write the SSM parameter %s: %w (the staff policy must allow ssm:PutParameter on it)", c.o.param, err)
	}
	return nil
}

// wanted are an endpoint's settings as this code needs them.
func (c connector) wanted() *stripe.WebhookEndpointParams {
	// Named for the organization (infra/organization.json), as the dashboard shows it.
	org := organization.Default().Name.EN
	desc := org + ": donations, subscriptions and refunds"
	if c.acct.Stack != "" {
		desc = fmt.Sprintf("%s (stack %s): donations, subscriptions and refunds", org, c.acct.Stack)
	}
	p := &stripe.WebhookEndpointParams{
		URL: stripe.String(c.o.url), APIVersion: stripe.String(webhook.APIVersion),
		EnabledEvents: stripe.StringSlice(webhook.HandledEvents()),
		Description:   stripe.String(desc + ", made by staff stripe connect"),
	}
	return p
}

// create makes a new endpoint with the wanted settings; its secret comes with it only.
func (c connector) create(ctx context.Context) (*stripe.WebhookEndpoint, error) {
	p := c.wanted()
	p.Context = ctx
	ep, err := c.acct.Endpoints.New(p)
	if err != nil {
		return nil, fmt.Errorf("create the webhook endpoint: %w", stripeReason(err))
	}
	if ep.Secret == "" {
		c.undo(ctx, ep)
		return nil, fmt.Errorf("Stripe created webhook endpoint %s without a signing secret; it was deleted again: run again", ep.ID)
	}
	// The endpoint carries a fingerprint of its secret, so that a later run knows which
	// endpoint the parameter's secret is (Stripe never shows the secret again).
	mark := &stripe.WebhookEndpointParams{Metadata: map[string]string{SecretMark: Fingerprint(ep.Secret)}}
	mark.Context = ctx
	marked, err := c.acct.Endpoints.Update(ep.ID, mark)
	if err != nil {
		c.undo(ctx, ep)
		return nil, fmt.Errorf("mark webhook endpoint %s with its secret's fingerprint: %w; it was deleted again: run again", ep.ID, stripeReason(err))
	}
	marked.Secret = ep.Secret
	return marked, nil
}

// SecretMark is the metadata key of a webhook endpoint made by staff stripe connect that
// holds Fingerprint of its signing secret.
const SecretMark = "solidarity_secret_sha256"

// Fingerprint identifies a signing secret without revealing it: the first 16 hex digits
// of its SHA-256 (the secret is 32 random bytes or more; anyone who can read the
// endpoint's metadata can read its secret in Stripe's dashboard anyway).
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

// holds reports whether secrets holds ep's secret: known is false when ep carries no
// fingerprint (made in the dashboard, or by other code), so this cannot be told.
func holds(secrets []string, ep *stripe.WebhookEndpoint) (held, known bool) {
	mark := ep.Metadata[SecretMark]
	if mark == "" {
		return false, false
	}
	return slices.ContainsFunc(secrets, func(s string) bool { return Fingerprint(s) == mark }), true
}

// undo deletes an endpoint just created whose secret could not be stored, so that a run
// again starts over; it says so if that fails too.
func (c connector) undo(ctx context.Context, ep *stripe.WebhookEndpoint) {
	p := &stripe.WebhookEndpointParams{}
	p.Context = ctx
	if _, err := c.acct.Endpoints.Del(ep.ID, p); err != nil {
		c.say("could not delete the new webhook endpoint %s again (%v): delete it in Stripe's dashboard (Developers → Webhooks) before running again", ep.ID, stripeReason(err))
	}
}

func describe(ep *stripe.WebhookEndpoint) string {
	return fmt.Sprintf("%s (%s, %d events, %s)", ep.ID, versionOf(ep), len(ep.EnabledEvents), ep.Status)
}

// versionOf names an endpoint's API version ("API version 2023-10-16").
func versionOf(ep *stripe.WebhookEndpoint) string {
	if ep.APIVersion == "" {
		return "the account's default API version"
	}
	return "API version " + ep.APIVersion
}

// versionSentence says why an endpoint of another API version is of no use, and what to do.
func (c connector) versionSentence(ep *stripe.WebhookEndpoint) string {
	return fmt.Sprintf("webhook endpoint %s for %s sends events of %s, but this code reads %s only, so the webhook refuses every event it sends. "+
		"Stripe cannot change the API version of an existing endpoint: run again with -replace, which creates a new endpoint with %s beside it, "+
		"then -finish-rotation, which deletes the old one (docs/runbook-stripe.md)",
		ep.ID, c.o.url, versionOf(ep), webhook.APIVersion, webhook.APIVersion)
}

// connect creates the endpoint, or brings the one there to the wanted settings.
func (c connector) connect(ctx context.Context) error {
	eps, err := EndpointsAt(ctx, c.acct.Endpoints, c.o.url)
	if err != nil {
		return err
	}
	param, err := c.readParam(ctx)
	if err != nil {
		return err
	}
	switch {
	case len(eps) == 0:
		return c.createFirst(ctx, param)
	case len(eps) > 1:
		return fmt.Errorf("%d webhook endpoints send to %s (%s): a rotation is under way. Finish it with staff stripe connect -url %s -param %s -finish-rotation, which keeps the endpoint whose secret the parameter names first (the one -replace made) and deletes the others",
			len(eps), c.o.url, endpointList(eps), c.o.url, c.o.param)
	}
	ep := eps[0]
	if ep.APIVersion != webhook.APIVersion {
		return errors.New(c.versionSentence(ep))
	}
	if err := c.checkParam(param, ep); err != nil {
		return err
	}
	held, known := holds(param.secrets, ep)
	if known && !held {
		return fmt.Errorf("the SSM parameter %s does not hold the signing secret of webhook endpoint %s (it was changed since staff stripe connect stored it), so the webhook refuses its events. "+
			"Stripe cannot show that secret again: run again with -replace, which creates a new endpoint and stores its secret, then -finish-rotation", c.o.param, ep.ID)
	}
	changed, err := c.update(ctx, ep)
	switch {
	case err != nil:
		return err
	case !known && changed:
		c.say("cannot check the secret: the endpoint was not made by stripe connect; if the webhook refuses its events (WebhookRefusedAlarm), run again with -replace, then -finish-rotation")
		return nil
	case changed:
		return nil
	case !known:
		c.say("connected (cannot check the secret: the endpoint was not made by stripe connect): webhook endpoint %s sends the %d handled events, API version %s, to %s; the SSM parameter %s holds a signing secret",
			ep.ID, len(ep.EnabledEvents), ep.APIVersion, c.o.url, c.o.param)
		c.say("if the webhook refuses its events (WebhookRefusedAlarm), run again with -replace, then -finish-rotation")
	default:
		c.say("already connected: webhook endpoint %s sends the %d handled events, API version %s, to %s; its signing secret is in the SSM parameter %s",
			ep.ID, len(ep.EnabledEvents), ep.APIVersion, c.o.url, c.o.param)
	}
	if len(param.secrets) > 1 {
		c.say("the SSM parameter %s still holds %d secrets: finish the rotation with -finish-rotation to keep only the newest", c.o.param, len(param.secrets))
	}
	return nil
}

// checkParam refuses to go on when the parameter cannot hold the endpoint's secret.
func (c connector) checkParam(param secretParam, ep *stripe.WebhookEndpoint) error {
	switch {
	case !param.exists || len(param.secrets) == 0:
		what := "does not exist"
		if param.exists {
			what = "holds no secret"
		}
		return fmt.Errorf("webhook endpoint %s sends to %s, but the SSM parameter %s %s, and Stripe shows an endpoint's signing secret only when it creates it: it cannot be read back. "+
			"Run again with -replace, which creates a new endpoint and stores its secret, then -finish-rotation, which deletes %s",
			ep.ID, c.o.url, c.o.param, what, ep.ID)
	case !param.secure:
		return fmt.Errorf("the SSM parameter %s is not a SecureString, so anyone allowed to read parameters can read the signing secret: "+
			"delete it (aws ssm delete-parameter --name %s), then run again with -replace, which stores a new secret as a SecureString", c.o.param, c.o.param)
	}
	return nil
}

// createFirst creates the only endpoint and stores its secret.
func (c connector) createFirst(ctx context.Context, param secretParam) error {
	if c.o.dryRun {
		c.say(c.would(fmt.Sprintf("create a webhook endpoint for %s with API version %s and the %d handled events (%s), and store its signing secret in the SSM parameter %s",
			c.o.url, webhook.APIVersion, len(webhook.HandledEvents()), strings.Join(webhook.HandledEvents(), ", "), c.o.param)))
		return nil
	}
	ep, err := c.create(ctx)
	if err != nil {
		return err
	}
	if err := c.writeParam(ctx, []string{ep.Secret}, []string{ep.ID}); err != nil {
		c.undo(ctx, ep)
		return fmt.Errorf("%w; the new webhook endpoint %s was deleted again, so a run again starts over", err, ep.ID)
	}
	c.say("created webhook endpoint %s for %s: API version %s, the %d handled events (%s)",
		ep.ID, c.o.url, webhook.APIVersion, len(webhook.HandledEvents()), strings.Join(webhook.HandledEvents(), ", "))
	if param.exists && len(param.secrets) > 0 {
		c.say("stored its signing secret in the SSM parameter %s (SecureString), in place of the value it held", c.o.param)
	} else {
		c.say("stored its signing secret in the SSM parameter %s (SecureString)", c.o.param)
	}
	c.say("running webhook functions read it within %s; next: staff doctor", minutes(webhook.SecretMaxAge))
	return nil
}

// update brings an endpoint's events and status to the wanted ones; changed is false
// when they were already.
func (c connector) update(ctx context.Context, ep *stripe.WebhookEndpoint) (changed bool, err error) {
	missing, extra := setDiff(webhook.HandledEvents(), ep.EnabledEvents)
	disabled := ep.Status != "enabled"
	if len(missing)+len(extra) == 0 && !disabled {
		return false, nil
	}
	var what []string
	if len(missing) > 0 {
		what = append(what, "added "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		what = append(what, "removed "+strings.Join(extra, ", "))
	}
	if disabled {
		what = append(what, "enabled it (it was "+orDisabled(ep.Status)+")")
	}
	did := fmt.Sprintf("update webhook endpoint %s for %s: %s", ep.ID, c.o.url, strings.Join(what, "; "))
	if c.o.dryRun {
		c.say(c.would(did))
		return true, nil
	}
	p := &stripe.WebhookEndpointParams{EnabledEvents: stripe.StringSlice(webhook.HandledEvents()), Disabled: stripe.Bool(false)}
	p.Context = ctx
	if _, err := c.acct.Endpoints.Update(ep.ID, p); err != nil {
		return false, fmt.Errorf("update webhook endpoint %s: %w", ep.ID, stripeReason(err))
	}
	c.say("updated webhook endpoint %s for %s: %s", ep.ID, c.o.url, strings.Join(what, "; "))
	return true, nil
}

func orDisabled(status string) string {
	if status == "" {
		return "not enabled"
	}
	return status
}

// replace starts a rotation: a new endpoint beside the old one, and the parameter
// holding both secrets, the new one first.
func (c connector) replace(ctx context.Context) error {
	eps, err := EndpointsAt(ctx, c.acct.Endpoints, c.o.url)
	if err != nil {
		return err
	}
	param, err := c.readParam(ctx)
	if err != nil {
		return err
	}
	switch {
	case len(eps) == 0:
		c.say("no webhook endpoint sends to %s yet: nothing to replace", c.o.url)
		return c.createFirst(ctx, param)
	case len(eps) > 1:
		return fmt.Errorf("a rotation is under way already: %d webhook endpoints send to %s (%s). Finish it first with -finish-rotation",
			len(eps), c.o.url, endpointList(eps))
	}
	old := eps[0]
	// The old endpoint's secret goes on being accepted during the overlap, if it is known
	// (and secure): the newest one the parameter holds.
	keep := []string{}
	if param.exists && param.secure && len(param.secrets) > 0 {
		keep = param.secrets[:1]
	}
	if c.o.dryRun {
		c.say(c.would(fmt.Sprintf("create a new webhook endpoint for %s with API version %s beside %s, and store both signing secrets in the SSM parameter %s",
			c.o.url, webhook.APIVersion, describe(old), c.o.param)))
		return nil
	}
	ep, err := c.create(ctx)
	if err != nil {
		return err
	}
	if err := c.writeParam(ctx, append([]string{ep.Secret}, keep...), []string{ep.ID, old.ID}); err != nil {
		c.undo(ctx, ep)
		return fmt.Errorf("%w; the new webhook endpoint %s was deleted again, nothing else changed", err, ep.ID)
	}
	done := time.Unix(ep.Created, 0).Add(RotationWait).UTC()
	c.say("created webhook endpoint %s for %s: API version %s, the %d handled events, beside the old %s",
		ep.ID, c.o.url, webhook.APIVersion, len(webhook.HandledEvents()), describe(old))
	if len(keep) > 0 {
		c.say("the SSM parameter %s now holds both signing secrets, the new one first: running webhook functions read it again within %s and then accept events signed by either",
			c.o.param, minutes(webhook.SecretMaxAge))
	} else {
		c.say("the SSM parameter %s now holds the new signing secret only (the old one was not there to keep): %s's deliveries are refused until -finish-rotation deletes it",
			c.o.param, old.ID)
	}
	if old.APIVersion != webhook.APIVersion {
		c.say("%s sends events of %s, which this code refuses (400); the new endpoint sends %s", old.ID, versionOf(old), webhook.APIVersion)
	}
	c.say("until the rotation is finished Stripe delivers each event twice, once per endpoint: the webhook applies an event id once, so the second delivery changes nothing")
	c.say("finish after %s, once Stripe's dashboard (Developers → Webhooks → %s) shows deliveries succeeding:", done.Format("2006-01-02 15:04 MST"), ep.ID)
	c.say("  staff stripe connect -url %s -param %s -finish-rotation", c.o.url, c.o.param)
	return nil
}

// finishRotation keeps the endpoint whose secret is the parameter's newest, and that
// secret alone, and deletes the other endpoints at the URL.
func (c connector) finishRotation(ctx context.Context) error {
	eps, err := EndpointsAt(ctx, c.acct.Endpoints, c.o.url)
	if err != nil {
		return err
	}
	if len(eps) == 0 {
		return fmt.Errorf("no webhook endpoint sends to %s, so there is no rotation to finish: run staff stripe connect -url %s -param %s", c.o.url, c.o.url, c.o.param)
	}
	param, err := c.readParam(ctx)
	if err != nil {
		return err
	}
	if !param.exists || !param.secure || len(param.secrets) == 0 {
		return fmt.Errorf("the SSM parameter %s does not hold the new endpoint's secret as a SecureString, so finishing would leave the webhook refusing every event: start again with -replace", c.o.param)
	}
	// The endpoint kept is the one whose secret is the parameter's first (kept): the
	// one -replace made. When none carries a fingerprint (all made elsewhere), the kept.
	first := Fingerprint(param.secrets[0])
	keep := slices.IndexFunc(eps, func(ep *stripe.WebhookEndpoint) bool { return ep.Metadata[SecretMark] == first })
	if keep < 0 {
		if slices.ContainsFunc(eps, func(ep *stripe.WebhookEndpoint) bool { return ep.Metadata[SecretMark] != "" }) {
			return fmt.Errorf("the newest secret in the SSM parameter %s is the signing secret of no webhook endpoint for %s that staff stripe connect made (was it changed by hand?), so finishing could keep the wrong endpoint: "+
				"delete the extra endpoints in Stripe's dashboard (Developers → Webhooks), then run again with -replace", c.o.param, c.o.url)
		}
		keep = 0
	}
	kept := eps[keep]
	var older []*stripe.WebhookEndpoint
	for _, ep := range eps {
		if ep != kept {
			older = append(older, ep)
		}
	}
	if kept.APIVersion != webhook.APIVersion {
		return fmt.Errorf("the webhook endpoint to keep for %s, %s, sends events of %s, but this staff tool reads %s: run the staff tool of the code that is deployed, or start a rotation with -replace", c.o.url, kept.ID, versionOf(kept), webhook.APIVersion)
	}
	if len(older) == 0 && len(param.secrets) == 1 {
		if changed, err := c.update(ctx, kept); err != nil || changed {
			return err
		}
		c.say("already connected: no rotation to finish; webhook endpoint %s sends to %s and its secret alone is in %s", kept.ID, c.o.url, c.o.param)
		return nil
	}
	if ready := time.Unix(kept.Created, 0).Add(RotationWait); c.now().Before(ready) {
		return fmt.Errorf("webhook endpoint %s was created at %s: running webhook functions read %s again at most %s after it changed, so finish after %s (in %s), once Stripe's dashboard shows its deliveries succeeding",
			kept.ID, time.Unix(kept.Created, 0).UTC().Format("15:04:05 MST"), c.o.param, minutes(webhook.SecretMaxAge),
			ready.UTC().Format("15:04:05 MST"), ready.Sub(c.now()).Round(time.Second))
	}
	for _, ep := range older {
		if c.o.dryRun {
			c.say(c.would("delete webhook endpoint " + describe(ep)))
			continue
		}
		p := &stripe.WebhookEndpointParams{}
		p.Context = ctx
		if _, err := c.acct.Endpoints.Del(ep.ID, p); err != nil {
			return fmt.Errorf("delete webhook endpoint %s: %w (nothing else changed: run again)", ep.ID, stripeReason(err))
		}
		c.say("deleted webhook endpoint %s", describe(ep))
	}
	if len(param.secrets) > 1 {
		if c.o.dryRun {
			c.say(c.would(fmt.Sprintf("keep only the newest signing secret in the SSM parameter %s", c.o.param)))
		} else {
			if err := c.writeParam(ctx, param.secrets[:1], []string{kept.ID}); err != nil {
				return err
			}
			c.say("the SSM parameter %s now holds only the new signing secret: running webhook functions stop accepting the old one within %s", c.o.param, minutes(webhook.SecretMaxAge))
		}
	}
	if _, err := c.update(ctx, kept); err != nil {
		return err
	}
	if c.o.dryRun {
		c.say("dry run: nothing changed")
		return nil
	}
	c.say("rotation finished: webhook endpoint %s alone sends to %s", kept.ID, c.o.url)
	return nil
}

// minutes writes a whole number of minutes as a person would.
func minutes(d time.Duration) string { return fmt.Sprintf("%d minutes", int(d.Minutes())) }

func endpointList(eps []*stripe.WebhookEndpoint) string {
	var s []string
	for _, ep := range eps {
		s = append(s, fmt.Sprintf("%s created %s, %s", ep.ID, time.Unix(ep.Created, 0).UTC().Format("2006-01-02 15:04 MST"), versionOf(ep)))
	}
	return strings.Join(s, "; ")
}

// stripeReason is a Stripe error in a sentence the operator can act on: Stripe's message
// about its own objects (no personal data), the status and the request id.
func stripeReason(err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return err
	}
	msg := se.Msg
	if msg == "" {
		msg = string(se.Type)
	}
	return fmt.Errorf("stripe: %s (status %d, request %s)", msg, se.HTTPStatusCode, se.RequestID)
}

// SSMParameters is the SDK's SSM client read as the functions read their secrets
// (secret.SSM): the staff tool runs on a person's machine, where the SDK's whole
// configuration chain (profiles, per-service endpoints, FIPS) applies.
type SSMParameters struct{ Client *ssm.Client }

// Parameters reads names, decrypted, in calls of ten: a map from each name found.
func (p SSMParameters) Parameters(ctx context.Context, names []string) (map[string]string, error) {
	out := map[string]string{}
	for len(names) > 0 {
		n := min(len(names), 10)
		res, err := p.Client.GetParameters(ctx, &ssm.GetParametersInput{Names: names[:n], WithDecryption: aws.Bool(true)})
		if err != nil {
			return nil, err
		}
		for _, prm := range res.Parameters {
			out[aws.ToString(prm.Name)] = aws.ToString(prm.Value)
		}
		names = names[n:]
	}
	return out, nil
}
