package staff

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Privacy is what privacy requests need of the table.
type Privacy interface {
	Find(ctx context.Context, q dynamo.Query) (dynamo.Held, error)
	Erase(ctx context.Context, q dynamo.Query, key []byte) (dynamo.Erasure, dynamo.Held, error)
}

// DefaultExportRetentionDays is how long the exports bucket keeps a nightly export when
// the stack's ExportRetentionDays is left at its default (template.yaml).
const DefaultExportRetentionDays = 35

// PITRDays is how far back DynamoDB's point-in-time recovery can restore the table.
const PITRDays = 35

// ErasureKeySetting names the erasure key's settings, for messages: ERASURE_KEY_PARAM
// (an SSM SecureString's name), or ERASURE_KEY itself locally.
const ErasureKeySetting = "ERASURE_KEY_PARAM"

// ExpireCheckoutsFlag is privacy erase's flag that expires open Checkouts at Stripe.
const ExpireCheckoutsFlag = "-expire-checkouts"

// Statuses of a Checkout session, as Stripe reports them.
const (
	CheckoutExpired  = "expired"
	CheckoutComplete = "complete" // paid
)

// CheckoutExpirer ends Checkout sessions at Stripe (package payment's Checkout).
type CheckoutExpirer interface {
	// ExpireSession ends the session id, so that it can no longer be paid, and returns
	// its status then: CheckoutExpired (also if it had expired already), or
	// CheckoutComplete if it was paid first.
	ExpireSession(ctx context.Context, id string) (string, error)
}

// names is a repeatable -name flag.
type names []string

func (n *names) String() string     { return strings.Join(*n, ", ") }
func (n *names) Set(v string) error { *n = append(*n, v); return nil }

var _ flag.Value = (*names)(nil)

func privacy(ctx context.Context, store Store, src Sources, action string, args []string, out io.Writer) error {
	fs := newFlags("privacy " + action)
	fs.words = 1 // the address, without -email
	email := fs.String("email", "", "")
	var also names
	fs.Var(&also, "name", "")
	var confirm, expire, asJSON *bool
	var format, langFlag *string
	if action == "erase" {
		confirm = fs.Bool("confirm", false, "")
		expire = fs.Bool(strings.TrimPrefix(ExpireCheckoutsFlag, "-"), false, "")
	} else {
		asJSON = fs.Bool("json", false, "")
		format = fs.String("format", "text", "")
		langFlag = fs.String("lang", "", "")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if w := fs.Words(); len(w) == 1 && *email != "" && !strings.EqualFold(w[0], *email) {
		return fmt.Errorf("%w: name the person once: %s or -email %s", ErrUsage, w[0], *email)
	} else if len(w) == 1 {
		*email = w[0]
	}
	if *email == "" {
		return fmt.Errorf("%w: the person's email address is required, such as privacy %s -email someone@example.org", ErrUsage, action)
	}
	addr := contact.CanonicalEmail(*email)
	if at := strings.LastIndexByte(addr, '@'); at < 1 || at == len(addr)-1 {
		return fmt.Errorf("%w: -email %q is not an email address", ErrUsage, *email)
	}
	q := dynamo.Query{Email: addr, Names: also}
	switch action {
	case "find":
		if *format != "text" && *format != "json" {
			return fmt.Errorf("%w: -format must be text (the letter to send) or json (every record as held)", ErrUsage)
		}
		var lang i18n.Lang
		if *langFlag != "" {
			l, ok := i18n.Parse(*langFlag)
			if !ok {
				return fmt.Errorf("%w: -lang must be en or fr", ErrUsage)
			}
			lang = l
		}
		if checking(ctx) {
			return nil
		}
		held, err := store.Find(ctx, q)
		if err != nil {
			return err
		}
		if *asJSON || *format == "json" {
			return writeHeld(out, held, unreachable(src, held))
		}
		return writeLetter(ctx, store, src, held, lang, out)
	case "erase":
		if !*confirm {
			return fmt.Errorf("%w: erasing cannot be undone; run `staff privacy find` first, then add -confirm", ErrUsage)
		}
		if checking(ctx) {
			return nil
		}
		key, err := erasureKey(ctx, src)
		if err != nil {
			return err
		}
		er, held, err := store.Erase(ctx, q, key)
		var refused *dynamo.RefusedError
		// With -expire-checkouts, the open Checkouts that alone stand in the way are
		// expired at Stripe, then erasing tries again (a new one may have opened meanwhile).
		for round := 0; *expire && round < dynamo.ErasePasses && errors.As(err, &refused); round++ {
			closed, stop := expireCheckouts(ctx, src, addr, refused.Refusals, out)
			if stop != nil {
				return stop
			}
			q.ClosedCheckouts = append(q.ClosedCheckouts, closed...)
			er, held, err = store.Erase(ctx, q, key)
		}
		if errors.As(err, &refused) {
			return errors.New(RefusalMessage(addr, refused.Refusals))
		}
		var incomplete *dynamo.IncompleteError
		if err != nil && !errors.As(err, &incomplete) {
			return err
		}
		fmt.Fprintf(out, "erased: %d items deleted, %d kept without identity (money records); erasure recorded under a keyed hash (key %s)\n",
			er.Deleted, er.Anonymized, er.KeyID)
		if incomplete != nil {
			return errors.New(IncompleteMessage(addr, incomplete))
		}
		fmt.Fprintln(out, "Not reachable from here — tell the person:")
		for _, line := range unreachable(src, held) {
			fmt.Fprintln(out, "  - "+line)
		}
		return nil
	}
	return fmt.Errorf("%w: privacy find or privacy erase", ErrUsage)
}

// erasureKey reads the key of the erasure record's hash; without one, erasing refuses.
func erasureKey(ctx context.Context, src Sources) ([]byte, error) {
	var key []byte
	var err error
	if src.ErasureKey != nil {
		key, err = src.ErasureKey(ctx)
	}
	if err == nil && len(key) >= dynamo.MinErasureKey {
		return key, nil
	}
	why := "it is not set"
	switch {
	case err != nil:
		why = err.Error()
	case len(key) > 0:
		why = fmt.Sprintf("it is shorter than %d bytes", dynamo.MinErasureKey)
	}
	return nil, fmt.Errorf("nothing was erased: the erasure key is needed (%s). Set %s to the name of the SSM "+
		"SecureString parameter that holds it (ERASURE_KEY holds the key itself, locally): see the README, Configuration",
		why, ErasureKeySetting)
}

// expireCheckouts expires at Stripe the open Checkouts of rs, when nothing else refuses,
// and returns their ids; stop says why erasing must not go on: something else refuses, a
// Checkout has no session recorded, Stripe is out of reach, or a session was paid.
func expireCheckouts(ctx context.Context, src Sources, email string, rs []dynamo.Refusal, out io.Writer) ([]string, error) {
	for _, r := range rs {
		switch {
		case !r.OpenCheckout():
			return nil, errors.New(RefusalMessage(email, rs) + "\n" + ExpireCheckoutsFlag +
				" expires open Checkouts only once nothing else stands in the way: nothing was expired.")
		case r.CheckoutID == "":
			return nil, fmt.Errorf("%s\nThe Checkout of %s (record %s) has no session recorded here, so it cannot be "+
				"expired: nothing was expired; wait until %s", RefusalMessage(email, rs), checkoutOf(r), r.RecordID, LocalTime(r.Until))
		}
	}
	var x CheckoutExpirer
	err := errors.New("it is not set")
	if src.Checkouts != nil {
		x, err = src.Checkouts(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("nothing was erased or expired: expiring Checkouts needs Stripe's secret key (%v). Set "+
			"STRIPE_SECRET_KEY_PARAM to the name of the SSM SecureString parameter that holds it (STRIPE_SECRET_KEY holds "+
			"the key itself, locally): see the README, Configuration", err)
	}
	var closed []string
	var paid []dynamo.Refusal
	for _, r := range rs {
		if slices.Contains(closed, r.CheckoutID) {
			continue
		}
		status, err := x.ExpireSession(ctx, r.CheckoutID)
		if err == nil && status != CheckoutExpired && status != CheckoutComplete {
			err = fmt.Errorf("Stripe reports it %q after expiring it", status)
		}
		if err != nil {
			return nil, fmt.Errorf("nothing was erased: the Checkout %s of %s (record %s) could not be expired at Stripe: %v. "+
				"Run privacy erase again; the Checkouts expired before it (%d) stay expired", r.CheckoutID, checkoutOf(r),
				r.RecordID, err, len(closed))
		}
		if status == CheckoutComplete {
			paid = append(paid, r)
			continue
		}
		closed = append(closed, r.CheckoutID)
		fmt.Fprintf(out, "expired at Stripe: Checkout %s of %s (record %s), which can no longer be paid\n", r.CheckoutID,
			checkoutOf(r), r.RecordID)
	}
	if len(paid) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "erasure refused, nothing was erased: %s has just paid\n", email)
		for _, r := range paid {
			fmt.Fprintf(&b, "  - %s (record %s): Stripe reports its Checkout %s complete\n", checkoutOf(r), r.RecordID, r.CheckoutID)
		}
		b.WriteString("The payment's events will record it here within minutes: a paid one-time gift can then be erased; " +
			"a subscription or monthly gift it started must first be cancelled at Stripe. Run privacy find, then privacy erase again.")
		if len(closed) > 0 {
			fmt.Fprintf(&b, " The other open Checkouts (%d) were expired at Stripe.", len(closed))
		}
		return nil, errors.New(b.String())
	}
	return closed, nil
}

// checkoutOf names what the Checkout of r would pay for.
func checkoutOf(r dynamo.Refusal) string {
	return map[string]string{dynamo.RefuseSubscription: "subscription " + r.Name,
		dynamo.RefuseMonthlyGift: "monthly gift to " + r.Name, dynamo.RefuseDonation: "gift to " + r.Name}[r.Kind]
}

// RefusalMessage says why an erasure refused and what staff must do first.
func RefusalMessage(email string, rs []dynamo.Refusal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "erasure refused, nothing was changed: %s still has\n", email)
	writeRefusals(&b, rs)
	return strings.TrimRight(b.String(), "\n")
}

// IncompleteMessage says what an erasure left, and what to do.
func IncompleteMessage(email string, e *dynamo.IncompleteError) string {
	var b strings.Builder
	fmt.Fprintf(&b, "erasure incomplete: what was found of %s is erased, but after %d passes the table still holds these "+
		"items of theirs (%d), written while the erasure ran:\n", email, e.Passes, len(e.Left.Items))
	for _, f := range e.Left.Items {
		fmt.Fprintf(&b, "  - %s %s (%s)\n", dynamo.ItemType(f.Item), keyOf(f.Item), f.Matched)
	}
	if len(e.Left.Refusals) > 0 {
		b.WriteString("Of these, erasing must not change by itself:\n")
		writeRefusals(&b, e.Left.Refusals)
	} else {
		b.WriteString("Run privacy erase again. If it stops here again, something keeps writing the person's data: " +
			"ask the developers.\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func keyOf(it map[string]types.AttributeValue) string {
	pk, _ := it["pk"].(*types.AttributeValueMemberS)
	sk, _ := it["sk"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil {
		return "?"
	}
	return pk.Value + " " + sk.Value
}

// LocalTime is how the staff tool shows a moment: in the local time of the machine it
// runs on, with the zone.
func LocalTime(t time.Time) string { return t.In(time.Local).Format("2006-01-02 15:04 MST") }

// inHours says how long d is, rounded up, in hours (or minutes, under one).
func inHours(d time.Duration) string {
	switch h := int64((d + time.Hour - 1) / time.Hour); {
	case d < time.Hour:
		m := max(int64((d+time.Minute-1)/time.Minute), 1)
		if m == 1 {
			return "in 1 minute"
		}
		return fmt.Sprintf("in %d minutes", m)
	case h == 1:
		return "in 1 hour"
	default:
		return fmt.Sprintf("in %d hours", h)
	}
}

// writeRefusals lists rs, then what to do about each kind.
func writeRefusals(b *strings.Builder, rs []dynamo.Refusal) {
	recurring, organizer, unknown := false, false, false
	var open *dynamo.Refusal // the open Checkout that closes last
	for _, r := range rs {
		if r.OpenCheckout() {
			fmt.Fprintf(b, "  - %s (record %s, status %s), whose Checkout, opened %s, can still be paid: erasing is possible after %s, %s\n",
				checkoutOf(r), r.RecordID, r.Status, LocalTime(r.Opened), LocalTime(r.Until), inHours(r.Wait))
			if open == nil || r.Until.After(open.Until) {
				open = &r
			}
			continue
		}
		switch r.Kind {
		case dynamo.RefuseSubscription:
			recurring = true
			fmt.Fprintf(b, "  - subscription %s (record %s, Stripe %s, status %s)\n", r.Name, r.RecordID, orNone(r.StripeID), r.Status)
		case dynamo.RefuseMonthlyGift:
			recurring = true
			fmt.Fprintf(b, "  - monthly gift to %s (record %s, Stripe %s, %s)\n", r.Name, r.RecordID, orNone(r.StripeID), r.Status)
		case dynamo.RefuseOrganizer:
			organizer = true
			fmt.Fprintf(b, "  - organizer of branch %s\n", r.Name)
		default:
			unknown = true
			fmt.Fprintf(b, "  - an item of kind %q (%s) that erasing does not know how to erase\n", r.Name, r.RecordID)
		}
	}
	if open != nil {
		fmt.Fprintf(b, "A Checkout still open can be paid at any moment, and what it starts (a gift, a subscription that charges "+
			"every period) would then have no address, no link to the person, and nothing staff or the customer portal could "+
			"find or cancel. Stripe ends a Checkout 24 hours after it opens: run privacy erase again after %s (staff's local "+
			"time), %s. If the person pays meanwhile, a subscription or monthly gift it starts must then be cancelled at Stripe "+
			"first.\n", LocalTime(open.Until), inHours(open.Wait))
		fmt.Fprintf(b, "Or, not to wait (anyone can open a Checkout with the person's address): run privacy erase again with %s, "+
			"which expires these Checkouts at Stripe, so that none can be paid, then erases (it needs Stripe's secret key: "+
			"STRIPE_SECRET_KEY_PARAM, or STRIPE_SECRET_KEY locally).\n", ExpireCheckoutsFlag)
	}
	if recurring {
		b.WriteString("Cancel each subscription and monthly gift at Stripe first: in Stripe's dashboard (the customer, " +
			"then the subscription, then Cancel immediately), or by the person in the customer portal. Once Stripe " +
			"reports it ended (the status above reads canceled), run privacy erase again. This tool does not cancel " +
			"them itself: cancelling is a money decision with consequences for the person (the paper stops, dues " +
			"lapse) that staff take knowingly, and an erasure must not silently end income.\n")
	}
	if organizer {
		b.WriteString("For a branch the person organizes: change the branch directory first (edit the branch's row " +
			"in the branches file, e.g. infra/branches.csv, to another organizer, then `staff branches import -file " +
			"infra/branches.csv`), then run privacy erase again. Where new members' notices go is staff's decision, " +
			"and an import from the file would bring the address back.\n")
	}
	if unknown {
		b.WriteString("Ask the developers: this version of the tool does not know that kind of item.\n")
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// unreachable is what holds the person that the table's erasure cannot reach, for
// staff to tell them.
func unreachable(src Sources, held dynamo.Held) []string {
	days := src.ExportRetentionDays
	if days <= 0 {
		days = DefaultExportRetentionDays
	}
	stripe := "Stripe keeps its own copy (customers, payments, cards): no Stripe customer is recorded here, " +
		"so search Stripe's dashboard for the address and delete any customer found."
	if len(held.Customers) > 0 {
		stripe = fmt.Sprintf("Stripe keeps its own copy of customer %s (name, email, addresses, cards, payments): "+
			"delete the customer in Stripe's dashboard; Stripe keeps some payment records for its own legal duties.",
			strings.Join(held.Customers, ", "))
	}
	return []string{
		fmt.Sprintf("Nightly exports of the table hold the person until they expire, %d days after each export "+
			"(the exports bucket's lifecycle, the stack's ExportRetentionDays).", days),
		fmt.Sprintf("DynamoDB point-in-time recovery keeps %d days of the table's history: a table restored to a "+
			"moment before this erasure holds the person again, so erase them again after any restore.", PITRDays),
		stripe,
		"Amazon SES and the mail providers keep their own records and copies of the emails sent (the person's " +
			"mailbox, organizers' mailboxes, SES's sending events if a configuration set sends them somewhere).",
		"Reports and lists saved from the staff tool are outside the table: delete the copies that name the person.",
	}
}

// foundItem is one item of privacy find's output. Every entry has the same fields.
type foundItem struct {
	PK      string         `json:"pk"`
	SK      string         `json:"sk"`
	Type    string         `json:"type"`
	Matched string         `json:"matched"`
	Erase   string         `json:"erase"` // delete, anonymize or refuse
	Item    map[string]any `json:"item"`
}

// refusal is a dynamo.Refusal with what to do about it, in privacy find's output.
type refusal struct {
	dynamo.Refusal
	WhatToDo string `json:"what_to_do"`
}

// writeHeld writes privacy find's output: one JSON object whose fields are always
// present (empty lists, never null).
func writeHeld(out io.Writer, held dynamo.Held, notReachable []string) error {
	items := make([]foundItem, 0, len(held.Items))
	for _, f := range held.Items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(f.Item, &m); err != nil {
			return err
		}
		pk, _ := m["pk"].(string)
		sk, _ := m["sk"].(string)
		typ, _ := m["type"].(string)
		items = append(items, foundItem{PK: pk, SK: sk, Type: typ, Matched: f.Matched, Erase: f.Action, Item: m})
	}
	refusals := make([]refusal, 0, len(held.Refusals))
	for _, r := range held.Refusals {
		todo := "ask the developers: erasing does not know this kind of item"
		switch {
		case r.OpenCheckout():
			todo = fmt.Sprintf("wait: its Checkout can be paid until %s (erasable_after, UTC; %s staff's local time, %s); erase after that, "+
				"or now with %s, which expires the Checkout at Stripe first", r.Until.Format(time.RFC3339), LocalTime(r.Until),
				inHours(r.Wait), ExpireCheckoutsFlag)
		case r.Kind == dynamo.RefuseSubscription, r.Kind == dynamo.RefuseMonthlyGift:
			todo = "cancel it at Stripe (dashboard, or the person in the customer portal), then erase"
		case r.Kind == dynamo.RefuseOrganizer:
			todo = "change the branch's organizers in the branches file and import it, then erase"
		}
		refusals = append(refusals, refusal{Refusal: r, WhatToDo: todo})
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Email        string      `json:"email"`
		Names        []string    `json:"names_searched"`
		Customers    []string    `json:"stripe_customers"`
		Items        []foundItem `json:"items"`
		Refusals     []refusal   `json:"erase_refused_until"`
		NotReachable []string    `json:"not_reachable"`
	}{held.Email, nonNil(held.Names), nonNil(held.Customers), items, refusals, notReachable})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
