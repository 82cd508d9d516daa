// Package staff is the staff command line: campaigns, offline gifts, branches and members,
// with reports and privacy requests to come. Each subcommand parses its own flags and works on
// the live table through the same store as the functions.
package staff

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/money"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/subscription"
)

// Store is what the staff commands need of the table.
type Store interface {
	campaign.Store
	campaign.SettingsStore
	CreateCampaign(ctx context.Context, c campaign.Campaign) error
	AddOfflineGift(ctx context.Context, g dynamo.OfflineGift) error
	// offline void and campaign show (void.go)
	VoidOfflineGift(ctx context.Context, id, campaign string, v dynamo.Void) (dynamo.OfflineGift, error)
	OfflineGifts(ctx context.Context, campaign string) ([]dynamo.OfflineGift, error)
	Branches(ctx context.Context) ([]branch.Branch, error)
	PutBranches(ctx context.Context, bs []branch.Branch) error
	Member(ctx context.Context, email string) (member.Member, error)
	Members(ctx context.Context, branchSlug, status string, fn func(member.Member) error) error
	MoveMember(ctx context.Context, m member.Member, fromBranch string, notices []outbox.Email) error
	Subscriptions(ctx context.Context, fn func(subscription.Subscription) error) error
	Privacy
	// mail resend and mail unsuppress (resend.go)
	FailedEmails(ctx context.Context, since time.Time, fn func(dynamo.FailedEmail) error) error
	ReopenEmail(ctx context.Context, k outbox.Key) (bool, error)
	Unsuppress(ctx context.Context, address string) (bool, error)
	BroadcastStore // broadcast (broadcast.go)
}

// Usage is the tool's help.
const Usage = `staff — Solidarity's staff tool.

  staff [-stack NAME] COMMAND …     (the stack: -stack, else SOLIDARITY_STACK)

Its table, exports bucket, dead-letter queue, sender and SSM parameters are the stack's
outputs; a setting in the environment (TABLE_NAME, EXPORT_BUCKET, PUBLIC_URL, MAIL_FROM,
MAIL_CONFIGURATION_SET, MAILER_DEAD_LETTER_QUEUE_URL, STRIPE_SECRET_KEY_PARAM,
ERASURE_KEY_PARAM…) wins over the stack's.

Deployment:
  staff doctor                                          (checks the stack: each line OK, FIX and what to do, or NOTE: what it cannot tell; exit status 1 on a FIX)
  staff stripe connect [-url URL] [-param SSM_NAME] [-dry-run]
        (creates, or finds and updates, Stripe's webhook endpoint for URL with API version 2023-10-16
        and exactly the events the webhook handles, and stores its signing secret in the SSM
        SecureString; run twice, it changes nothing. -url and -param default to the stack's
        StripeWebhookUrl and StripeWebhookSecretParam. Needs Stripe's secret key:
        STRIPE_SECRET_KEY_PARAM, or STRIPE_SECRET_KEY locally)
  staff stripe connect … -replace            (a new endpoint beside the old one, both secrets accepted:
                                              rotates the signing secret, or moves to a new API version)
  staff stripe connect … -finish-rotation    (then: deletes the old endpoint, keeps only the new secret)
  staff reconcile [-days 3|-since 2026-11-20] [-dry-run]   (applies the events of Stripe's last days (at most 30) the ledger missed, then lists each charge of those days whose amount, refund or dispute differs from the ledger's; exit status 1 on a difference; run twice, changes nothing; needs Stripe's secret key: an administrator's)

Reports, read from an export of the table (a folder, or s3://bucket/prefix, in AWS's
layout or moto's) or from the live table (-live), as CSV (default) or JSON:

  staff report NAME (-export FOLDER|s3://bucket/prefix | -live) [-format csv|json|html] [-o FILE] [-lang fr] [-tz ZONE]
        donations             every donation and offline gift, one row each
        payments              every confirmed payment, with its refunds
        members               every member
        subscriptions         every subscription and dues plan
        appeal                totals by day: online, offline, refunded, net  [-campaign SLUG]
        members-by-branch     members by branch and status
        new-members           members who signed up in a period  [-from 2026-11-01] [-to 2026-12-01]
        new-members-by-week   sign-ups per week, weeks without any at zero  [-from] [-to]
        subscriptions-due     subscriptions renewing in the next days  [-days 30]
        subscriptions-lapsed  subscriptions that ended or are past due
        failed-payments       payments that failed  [-from] [-to]
        failed-emails         emails that ended unsent: refused by SES, or to a suppressed address  [-from] [-to]
  With -o FILE the report is written to FILE only once complete; a failed run leaves
  nothing there. A progress bar shows on a terminal. CSV is for people: its columns in
  English, or French with -lang fr (default: the LANG setting's language), amounts in
  dollars ("$1,250.00", and beside each a plain number a spreadsheet sums), times in
  your computer's time zone or -tz (America/Toronto), which the header names; JSON keeps
  exact cents (*_cents) and UTC times. -format html draws appeal, members-by-branch and
  new-members(-by-week) as one page of charts with their figures, to open in any browser
  (it fetches nothing) or print:  staff report appeal -campaign SLUG -export s3://… -format html -o appeal.html

Campaigns and offline gifts:
  staff campaign create -slug SLUG -title-en TITLE -title-fr TITRE -goal 100000.00 [-min 1.00] [-max 10000.00] [-closes-at 2026-12-31T23:59:59-05:00] [-closed] [-counter-shards 200] [-lang fr]
  staff campaign show -slug SLUG [-lang fr]
  staff offline add -campaign SLUG -amount 250.00 -method cheque|cash|e-transfer|other -received-on 2026-11-20 [-id CHEQUE-1042] [-note TEXT] [-donor-name NAME] [-donor-email ADDRESS] [-lang fr]
  staff offline void -id CHEQUE-1042 -reason "cheque returned by the bank" [-by NAME] [-campaign SLUG]
        (the gift stays, marked voided with who (-by, else the computer's user name), when and why, and leaves the
        campaign's totals once; voiding it again changes nothing. Its id stays spent: record the correction under a new -id)

Branches and members (live table):
  staff branches import -file infra/branches.csv
  staff branches list                                   (CSV, the format import reads)
  staff members list [-branch SLUG] [-status pending|active]
  staff members move -email ADDRESS -branch SLUG        (tells the new branch's organizers)

Subscriptions (live table):
  staff subscriptions mailing [-date 2026-12-01]        (the printer's list; default today)
  staff subscriptions lapsing [-days 30]                (not renewing, paid period ending soon)

Exports (on demand; the nightly export function keeps exports/<date>/, one a day):
  staff export start [-bucket BUCKET] [-wait]            (exports under on-demand/<time>/, which Athena never reads, and prints
        the s3:// address for report -export; default: the stack's bucket)

Email:
  staff mail redrive [-settle 5m] [-queue DLQ_URL]       (send what the outbox still owes, then empty the dead-letter queue; default: the stack's)
  staff mail failed [-from 2026-11-01] [-to 2026-12-01] [-format json]
        (emails that ended unsent: refused by SES for good, with its reason, or to an address that bounced or
        complained; the failed-emails report on the live table. A redrive never sends them)
  staff mail resend [-since 2026-11-01] [-reason SUBSTRING] [-confirm]  (send failed (not suppressed) emails again once the cause is fixed; without -confirm, counts them by template. Failed and suppressed emails expire 30 days after they end)
  staff mail unsuppress -email ADDRESS                  (mail the address again; prints the command that takes it off SES's account-level suppression list too)

News broadcasts (live table; docs/broadcasts.md): a message in English and French, each person in the
audience once, in their language, if their news consent is on and their address not suppressed:
  staff broadcast create -en news-en.md -fr news-fr.md -audience news|branches:SLUG,…|provinces:QC,…|subscribers|dues|donors:CAMPAIGN
        (each file's first line, # Subject, is its subject; the rest is Markdown: paragraphs, ## headings,
        - lists, **bold**, *italic*, [links](https://…). Prints the broadcast's id)
  staff broadcast preview -id ID                        (both languages as text, and the recipients by language and by branch)
  staff broadcast test -id ID -to ADDRESS               (both languages to that address only, marked [TEST]; needs MAIL_FROM)
  staff broadcast send -id ID -confirm [-confirm-large N]
        (queues one email per person, then hands them to the broadcast sender; an audience over
        BROADCAST_CONFIRM_ABOVE (1000) people also needs -confirm-large with its size. Stopped, run it again:
        nobody is queued twice)
  staff broadcast cancel -id ID                         (what is not sent yet is not sent)
  staff broadcast report -id ID                         (queued, sent, waiting, skipped as unsubscribed, suppressed, failed, by language)

Privacy requests (live table):
  staff privacy find -email ADDRESS [-name NAME]... [-lang en|fr] [-json]   (everything held about the address: a letter to send the person, in their language; -json: every record as held; -name: other names to look for in notes)
  staff privacy erase -email ADDRESS [-name NAME]... -confirm [-expire-checkouts]
        (remove or anonymize it; money records stay, without identity. Refuses while a subscription or
        monthly gift is not ended at Stripe, the person organizes a branch, or a Checkout opened with the
        address in the last 24 hours can still be paid; -expire-checkouts expires such Checkouts at Stripe,
        then erases. Needs the erasure key: ERASURE_KEY_PARAM, an SSM SecureString's name, or ERASURE_KEY
        locally; -expire-checkouts needs Stripe's: STRIPE_SECRET_KEY_PARAM, or STRIPE_SECRET_KEY locally)

Restore (after aws dynamodb restore-table-to-point-in-time: docs/runbooks.md):
  staff restore copy -from RESTORED_TABLE [-confirm]
        (puts into the live table each item of the restored table it lacks, and never overwrites one;
        counts by type what it would copy, what is already there, what differs (listed by key), and what
        it never copies: emails (the mailer would send them again), rate-limit counters, link tokens,
        cooldowns, expired items, an erased person's items. Without -confirm a dry run. Needs the
        erasure key when the tables hold erasure records: ERASURE_KEY_PARAM, or ERASURE_KEY locally)

Amounts are dollars and cents, read as the donation form reads them ("250", "250.00", "25,50",
"1 250,50", "$1,250.00"), and stored as integer cents. -lang fr reads them as French writes
them, where the comma is only the decimal mark: "1,250" is then refused (three decimals)
instead of $1,250.00; an amount that reads two ways ("1.250") is always refused.
The table is the stack's (or TABLE_NAME; "solidarity" when AWS_ENDPOINT_URL points at moto locally).
Recording an offline gift with an -id used before changes nothing, so a retried command is safe;
the same -id with another amount, campaign, donor, method, day or note is refused.
Importing branches creates or replaces the rows of the file and leaves other branches as
they are; a file with any bad row imports nothing. Lists and reports hold personal
information: keep them off shared drives and delete them when done.
`

// ErrUsage means the arguments were wrong; the message says how.
var ErrUsage = errors.New("usage")

// checkKey marks the context of Check's run.
type checkKey struct{}

// Check checks the command args (after -stack) as Run reads them, and reads nothing: the
// command, its options and words, and the values they must have, so that a typo is said
// before the AWS settings are even looked at. It is Run itself on no store and no
// sources, each command stopping (checking) where it would first read the table, AWS, a
// file or a setting; so what Check refuses, Run refuses in the same sentence.
func Check(args []string) error {
	_, err := check(args)
	return err
}

// check is Check, and whether the command went on past its checks (read: it reached for
// the store or a source Check does not give, and panicked or failed otherwise than on
// its arguments): then its arguments passed, and Run reads them again.
// TestCheckReadsNothing keeps every command stopping at checking(ctx) instead.
func check(args []string) (read bool, err error) {
	defer func() {
		if recover() != nil {
			read, err = true, nil
		}
	}()
	ctx := context.WithValue(context.Background(), checkKey{}, true)
	err = Run(ctx, nil, Sources{}, args, io.Discard)
	if err != nil && !errors.Is(err, ErrUsage) {
		return true, nil
	}
	return false, err
}

// checking reports whether ctx is Check's: a command whose arguments are checked
// returns there, before it reads or writes anything.
func checking(ctx context.Context) bool { return ctx.Value(checkKey{}) != nil }

// Run runs one command.
func Run(ctx context.Context, store Store, src Sources, args []string, out io.Writer) error {
	now := src.now()
	if len(args) >= 1 && args[0] == "report" {
		return runReport(ctx, src, args[1:], out, now.UTC())
	}
	if len(args) >= 1 && args[0] == "doctor" {
		return doctor(ctx, src.Deployment, args[1:], out)
	}
	if len(args) >= 1 && args[0] == "reconcile" {
		return reconcileStripe(ctx, src, args[1:], out, now) // reconcile.go
	}
	if len(args) < 2 {
		if len(args) == 1 && !knownCommand(args[0]) {
			return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
		}
		return fmt.Errorf("%w: a command and a subcommand are needed", ErrUsage)
	}
	switch args[0] + " " + args[1] {
	case "campaign create":
		return createCampaign(ctx, store, args[2:], out)
	case "campaign show":
		return showCampaign(ctx, store, args[2:], out, now)
	case "offline add":
		return addOffline(ctx, store, args[2:], out, now)
	case "offline void":
		return voidOffline(ctx, store, src, args[2:], out, now) // void.go
	case "branches import":
		return importBranches(ctx, store, args[2:], out)
	case "branches list":
		if err := newFlags("branches list").Parse(args[2:]); err != nil || checking(ctx) {
			return err
		}
		return listBranches(ctx, store, out)
	case "members list":
		return listMembers(ctx, store, args[2:], out)
	case "members move":
		return moveMember(ctx, store, args[2:], out, now)
	case "subscriptions mailing":
		return mailingList(ctx, store, args[2:], out, now.UTC())
	case "mail redrive":
		return redrive(ctx, src, args[2:], out)
	case "mail failed": // the failed-emails report, on the live table
		return runReport(ctx, src, append([]string{"failed-emails", "-live"}, args[2:]...), out, now.UTC())
	case "mail resend":
		return resend(ctx, store, src, args[2:], out) // resend.go
	case "mail unsuppress":
		return unsuppress(ctx, store, args[2:], out) // resend.go
	case "export start":
		return startExport(ctx, src, args[2:], out)
	case "privacy find", "privacy erase":
		return privacy(ctx, store, src, args[1], args[2:], out)
	case "subscriptions lapsing":
		return lapsing(ctx, store, args[2:], out, now.UTC())
	case "stripe connect":
		return stripeConnect(ctx, src, args[2:], out) // stripe.go
	case "broadcast create", "broadcast preview", "broadcast test", "broadcast send", "broadcast cancel", "broadcast report":
		return broadcastCommand(ctx, store, src, args[1], args[2:], out) // broadcast.go
	case "restore copy":
		return restoreCopy(ctx, src, args[2:], out) // restore.go
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0]+" "+args[1])
}

// knownCommand reports whether word is the first word of a command of Usage.
func knownCommand(word string) bool {
	for _, line := range strings.Split(Usage, "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "  staff ") && len(f) >= 2 && f[1] == word {
			return true
		}
	}
	return false
}

// newFlags is the flags of the command name, which takes no words besides its options
// (messages.go: flagSet; set words for one that does).
func newFlags(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name}
}

// amountLang reads the -lang flag of a command that takes amounts: how they are written.
func amountLang(s string) (i18n.Lang, error) {
	l, ok := i18n.Parse(s)
	if !ok {
		return "", fmt.Errorf("%w: -lang must be en or fr", ErrUsage)
	}
	return l, nil
}

// dollars reads the amount of the flag named name as the donation form does
// (money.ParseDollars), in lang; a refusal says why in lang.
func dollars(name, s string, lang i18n.Lang) (int64, error) {
	cents, err := money.ParseDollars(s, lang)
	if err != nil {
		return 0, fmt.Errorf("%w: -%s %q: %v", ErrUsage, name, s, reason(err, lang))
	}
	return cents, nil
}

// reason is a refusal of money.ParseDollars in lang, as the rest of a sentence: the
// donation form's own sentence without its capital and its full stop.
func reason(err error, lang i18n.Lang) string {
	var refused *money.Error
	if errors.As(err, &refused) {
		msg := strings.TrimSuffix(i18n.Text(lang, refused.Message()), ".")
		first, size := utf8.DecodeRuneInString(msg)
		return string(unicode.ToLower(first)) + msg[size:]
	}
	return err.Error()
}

func createCampaign(ctx context.Context, store Store, args []string, out io.Writer) error {
	fs := newFlags("campaign create")
	slug := fs.String("slug", "", "")
	titleEN := fs.String("title-en", "", "")
	titleFR := fs.String("title-fr", "", "")
	goal := fs.String("goal", "", "")
	minAmt := fs.String("min", "1.00", "")
	maxAmt := fs.String("max", "10000.00", "")
	currency := fs.String("currency", "cad", "")
	closesAt := fs.String("closes-at", "", "")
	closed := fs.Bool("closed", false, "")
	langFlag := fs.String("lang", "en", "")
	shards := fs.Int("counter-shards", campaign.DefaultCounterShards, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *shards < 1 || *shards > campaign.MaxCounterShards {
		return fmt.Errorf("%w: -counter-shards must be from 1 to %d (%d takes 100 payments a second)", ErrUsage, campaign.MaxCounterShards, campaign.DefaultCounterShards)
	}
	lang, err := amountLang(*langFlag)
	if err != nil {
		return err
	}
	if !campaign.ValidSlug(*slug) || *titleEN == "" || *titleFR == "" {
		return fmt.Errorf("%w: -slug (lowercase words joined by -), -title-en and -title-fr are required", ErrUsage)
	}
	c := campaign.Campaign{Slug: *slug, TitleEN: *titleEN, TitleFR: *titleFR, Currency: strings.ToLower(*currency), Open: !*closed, CounterShards: *shards}
	if c.GoalCents, err = dollars("goal", *goal, lang); err != nil {
		return err
	}
	if c.GoalCents == 0 {
		return fmt.Errorf("%w: -goal must be a positive amount", ErrUsage)
	}
	if c.MinCents, err = dollars("min", *minAmt, lang); err != nil {
		return err
	}
	if c.MaxCents, err = dollars("max", *maxAmt, lang); err != nil {
		return err
	}
	if c.MinCents < 50 || c.MaxCents < c.MinCents {
		return fmt.Errorf("%w: -min must be at least 0.50 (Stripe's minimum) and -max at least -min", ErrUsage)
	}
	if *closesAt != "" {
		t, err := time.Parse(time.RFC3339, *closesAt)
		if err != nil {
			return fmt.Errorf("%w: -closes-at must look like 2026-12-31T23:59:59-05:00", ErrUsage)
		}
		c.ClosesAt = &t
	}
	if checking(ctx) {
		return nil
	}
	if err := store.CreateCampaign(ctx, c); err != nil {
		if errors.Is(err, dynamo.ErrExists) {
			return fmt.Errorf("a campaign %q exists already", c.Slug)
		}
		return err
	}
	fmt.Fprintf(out, "created campaign %s: %s / %s, goal %s\n", c.Slug, c.TitleEN, c.TitleFR, i18n.FormatCents(lang, c.GoalCents))
	return nil
}

func showCampaign(ctx context.Context, store Store, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("campaign show")
	slug := fs.String("slug", "", "")
	lang := fs.String("lang", "en", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *slug == "" {
		return fmt.Errorf("%w: -slug is required (the campaign's, as campaign create named it)", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	c, err := store.Campaign(ctx, *slug)
	if err != nil {
		return err
	}
	l, _ := i18n.Parse(*lang)
	voided, voidedCents, err := voidedGifts(ctx, store, c.Slug) // out of the totals, listed
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		campaign.Progress
		OfflineCents  int64        `json:"offline_cents"`
		OnlineCents   int64        `json:"online_cents"`
		RefundedCents int64        `json:"refunded_cents"`
		DisputedCents int64        `json:"disputed_cents"`
		Open          bool         `json:"open"`
		VoidedCents   int64        `json:"voided_offline_cents"`
		Voided        []voidedGift `json:"voided_offline_gifts"`
	}{campaign.ProgressOf(c, l), c.OfflineCents, c.PaidCents, c.RefundedCents, c.DisputedCents, c.Accepting(now), voidedCents, voided})
}

var methods = map[string]bool{"cheque": true, "cash": true, "e-transfer": true, "other": true}

func addOffline(ctx context.Context, store Store, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("offline add")
	slug := fs.String("campaign", "", "")
	amount := fs.String("amount", "", "")
	method := fs.String("method", "", "")
	received := fs.String("received-on", "", "")
	id := fs.String("id", "", "")
	note := fs.String("note", "", "")
	donorName := fs.String("donor-name", "", "")
	donorEmail := fs.String("donor-email", "", "")
	langFlag := fs.String("lang", "en", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	lang, err := amountLang(*langFlag)
	if err != nil {
		return err
	}
	cents, err := dollars("amount", *amount, lang)
	if err != nil {
		return err
	}
	if cents == 0 {
		return fmt.Errorf("%w: -amount must be a positive amount like 250.00", ErrUsage)
	}
	if !methods[*method] {
		return fmt.Errorf("%w: -method must be cheque, cash, e-transfer or other", ErrUsage)
	}
	if _, err := time.Parse(time.DateOnly, *received); err != nil {
		return fmt.Errorf("%w: -received-on must be a date like 2026-11-20", ErrUsage)
	}
	gid := strings.TrimSpace(*id)
	if !oneLine(gid) || utf8.RuneCountInString(gid) > 200 { // as offline void reads it (void.go)
		return fmt.Errorf("%w: -id must be one line of at most 200 characters", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	if gid == "" {
		gid = ids.New("off")
	}
	g := dynamo.OfflineGift{ID: gid, Campaign: *slug, AmountCents: cents, Method: *method,
		ReceivedOn: *received, Note: *note, RecordedAt: now.UTC(),
		DonorName: strings.TrimSpace(*donorName), DonorEmail: contact.CanonicalEmail(*donorEmail)}
	var taken *dynamo.OfflineIDTaken
	switch err := store.AddOfflineGift(ctx, g); {
	case errors.Is(err, dynamo.ErrExists):
		fmt.Fprintf(out, "offline gift %s was recorded before; nothing changed\n", g.ID)
		return nil
	case errors.As(err, &taken):
		return offlineTaken(taken, lang) // void.go
	case errors.Is(err, campaign.ErrNotFound):
		return fmt.Errorf("no campaign %q", g.Campaign)
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "recorded offline gift %s: %s by %s to %s\n", g.ID, i18n.FormatCents(lang, cents), g.Method, g.Campaign)
	return nil
}
