package staff

// restore copy: bring back, from a table DynamoDB's point-in-time recovery restored (a
// new table, with another name, no stream and no TTL), the items the live table lost,
// without overwriting anything, re-sending any email, or bringing back an erased person.
// docs/runbooks.md, "Restore the table from a point in time", says when and how.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
)

// RestoreDB is what restore copy needs of DynamoDB: it scans the restored table (as
// privacy find does, to find what erasing would find there), and reads and
// conditionally puts in the live one; it never updates or deletes. Sources.DB's client
// must be one (a *dynamodb.Client is).
type RestoreDB interface {
	dynamo.DB
}

// Why restore copy leaves an item of the restored table out, whatever the live table holds.
const (
	SkipEmail       = "emails not re-sent (inserted again, the mailer would send them again)"
	SkipEmailUnsent = "emails unsent at the restored moment, lost since: never sent (see the runbook)"
	SkipRateLimit   = "rate-limit counters (windows long over)"
	SkipToken       = "link tokens (a lost link is asked for again)"
	SkipCooldown    = "request cooldowns (portal and news links)"
	SkipErased      = "erased person"
	SkipErasedMoney = "erased person's money record, missing from the live table (see the runbook)"
	SkipExpired     = "expired (expires_at past: the TTL would delete it)"
	SkipConfirmed   = "applications of a member confirmed since (deleted on purpose)"
)

// restoreArgs are restore copy's flags.
type restoreArgs struct {
	From    string
	Confirm bool
}

// tableNameRE is DynamoDB's rule for a table's name.
var tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

// parseRestoreArgs reads restore copy's flags; live is the live table's name, which
// -from must not be.
func parseRestoreArgs(args []string, live string) (restoreArgs, error) {
	fs := newFlags("restore copy")
	var a restoreArgs
	fs.StringVar(&a.From, "from", "", "")
	fs.BoolVar(&a.Confirm, "confirm", false, "")
	if err := fs.Parse(args); err != nil {
		return a, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return a, fmt.Errorf("%w: unexpected %q (restore copy -from RESTORED_TABLE [-confirm])", ErrUsage, fs.Arg(0))
	}
	switch {
	case a.From == "":
		return a, fmt.Errorf("%w: -from RESTORED_TABLE is required: the table aws dynamodb restore-table-to-point-in-time made", ErrUsage)
	case !tableNameRE.MatchString(a.From):
		return a, fmt.Errorf("%w: -from %q is not a DynamoDB table name (3 to 255 letters, digits, _ - .)", ErrUsage, a.From)
	case a.From == live:
		return a, fmt.Errorf("%w: -from %q is the live table itself: name the restored table", ErrUsage, a.From)
	}
	return a, nil
}

// restoreCounts counts what restore copy did (or would do) by item type.
type restoreCounts struct {
	copied, there, differ map[string]int
	skipped               map[[2]string]int // {type, reason}
	differing             []string          // "type  key", no personal value
	erasedPeople          int
	read                  int
}

func (c *restoreCounts) total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// restoreCopy is `staff restore copy -from RESTORED_TABLE [-confirm]`.
func restoreCopy(ctx context.Context, src Sources, args []string, out io.Writer) error {
	a, err := parseRestoreArgs(args, src.Table)
	if err != nil || checking(ctx) {
		return err
	}
	db, ok := src.DB.(RestoreDB)
	if !ok || src.Table == "" {
		return errors.New("restore copy needs DynamoDB and the live table (TABLE_NAME, or the stack's)")
	}
	r := restorer{db: db, live: src.Table, from: a.From, confirm: a.Confirm, now: src.now(), src: src,
		c: restoreCounts{copied: map[string]int{}, there: map[string]int{}, differ: map[string]int{}, skipped: map[[2]string]int{}}}
	if err := r.run(ctx); err != nil {
		if a.Confirm && r.c.total(r.c.copied) > 0 {
			return fmt.Errorf("%w (%d items were copied before it stopped; run the same command again: it copies only what is still missing)",
				err, r.c.total(r.c.copied))
		}
		return err
	}
	r.print(out)
	return nil
}

type restorer struct {
	db            RestoreDB
	live, from    string
	confirm       bool
	now           time.Time
	src           Sources
	c             restoreCounts
	erased        map[string]bool // canonical addresses of erased people found in the restored table
	skipKeys      map[string]bool // keys of the items erasing found of them
	activeMembers map[string]bool // PERSON#… → the live table holds an active member there
}

func (r *restorer) run(ctx context.Context) error {
	if err := r.findErased(ctx); err != nil {
		return err
	}
	r.activeMembers = map[string]bool{}
	return r.scan(ctx, r.from, "", func(it map[string]types.AttributeValue) error {
		r.c.read++
		return r.restore(ctx, it)
	})
}

// scan sends every item of table to fn, page by page; with prefix, only the items whose
// pk begins with it (strongly consistent: the live table's erasure records).
func (r *restorer) scan(ctx context.Context, table, prefix string, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.ScanInput{TableName: aws.String(table)}
	if prefix != "" {
		in.ConsistentRead = aws.Bool(true)
		in.FilterExpression = aws.String("begins_with(pk, :prefix)")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prefix": &types.AttributeValueMemberS{Value: prefix}}
	}
	p := dynamodb.NewScanPaginator(r.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r.tableError(table, "scan", err)
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// tableError says in a sentence what a failed call on table means for staff.
func (r *restorer) tableError(table, op string, err error) error {
	var nf *types.ResourceNotFoundException
	var api smithy.APIError
	what := "the live table"
	if table == r.from {
		what = "the restored table"
	}
	switch {
	case errors.As(err, &nf):
		if table == r.from {
			return fmt.Errorf("nothing was copied: there is no table %q in this region (AWS_REGION). Check its name, and wait for the "+
				"restore to finish: aws dynamodb wait table-exists --table-name %s", table, table)
		}
		return fmt.Errorf("nothing was copied: the live table %q does not exist: check SOLIDARITY_STACK or TABLE_NAME", table)
	case errors.As(err, &api) && strings.Contains(api.ErrorCode(), "AccessDenied"):
		if table == r.from {
			return fmt.Errorf("%s %q cannot be read (%s): add the statement that lets staff read it (docs/runbooks.md, "+
				"\"Restore the table from a point in time\")", what, table, api.ErrorCode())
		}
		return fmt.Errorf("%s %q refused the %s (%s): restore copy needs the stack's StaffPolicy", what, table, op, api.ErrorCode())
	}
	return fmt.Errorf("%s of %s: %w", op, what, err)
}

// erasureRecords are the erasure records of both tables: the keyed hashes (email_hmac)
// by key id, and the bare SHA-256 ones erasures wrote before the key existed.
type erasureRecords struct {
	keyed map[string]bool
	keys  map[string]int // key_id → records
	bare  map[string]bool
}

func (e *erasureRecords) add(it map[string]types.AttributeValue) {
	hash, _ := strings.CutPrefix(text(it, "pk"), "ERASURE#")
	switch {
	case text(it, "email_hmac") != "":
		e.keyed[text(it, "email_hmac")] = true
		e.keys[text(it, "key_id")]++
	case text(it, "email_sha256") != "":
		e.bare[text(it, "email_sha256")] = true
	case hash != "":
		e.keyed[hash], e.bare[hash] = true, true // a record of an unknown shape: matched either way
	}
}

// findErased finds the people the table has erased (an erasure record in the live table,
// or in the restored one) among the addresses the restored table holds, and the items
// erasing would find of each there: none of those is copied.
func (r *restorer) findErased(ctx context.Context) error {
	recs := erasureRecords{keyed: map[string]bool{}, keys: map[string]int{}, bare: map[string]bool{}}
	addresses := map[string]bool{}
	isErasure := func(it map[string]types.AttributeValue) bool {
		return dynamo.ItemType(it) == dynamo.TypeErasure || strings.HasPrefix(text(it, "pk"), "ERASURE#")
	}
	if err := r.scan(ctx, r.live, "ERASURE#", func(it map[string]types.AttributeValue) error {
		if isErasure(it) {
			recs.add(it)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.scan(ctx, r.from, "", func(it map[string]types.AttributeValue) error {
		if isErasure(it) {
			recs.add(it)
		}
		for _, a := range itemAddresses(it) {
			addresses[a] = true
		}
		return nil
	}); err != nil {
		return err
	}
	r.erased, r.skipKeys = map[string]bool{}, map[string]bool{}
	if len(recs.keyed)+len(recs.bare) == 0 {
		return nil
	}
	var key []byte
	if len(recs.keyed) > 0 {
		var err error
		if key, err = r.erasureKey(ctx); err != nil {
			return err
		}
		id := dynamo.ErasureKeyID(key)
		for other, n := range recs.keys {
			if other != "" && other != id {
				return fmt.Errorf("nothing was copied: %d erasure records were made with another erasure key (key %s) than the one "+
					"given (key %s), so the people they stand for cannot be recognized in the restored table. Set %s to the "+
					"parameter of the key those erasures used", n, other, id, ErasureKeySetting)
			}
		}
	}
	for a := range addresses {
		bare := sha256.Sum256([]byte(a))
		if (key != nil && recs.keyed[dynamo.ErasureHash(key, a)]) || recs.bare[hex.EncodeToString(bare[:])] {
			r.erased[a] = true
		}
	}
	// What erasing finds of each (their partition, donor markers, portal links of their
	// Stripe customers, offline gifts whose note names them), as it would find it.
	restored := dynamo.New(r.db, r.from)
	restored.Now = func() time.Time { return r.now }
	for a := range r.erased {
		held, err := restored.Find(ctx, dynamo.Query{Email: a})
		if err != nil {
			return r.tableError(r.from, "scan", err)
		}
		for _, f := range held.Items {
			r.skipKeys[text(f.Item, "pk")+"\x00"+text(f.Item, "sk")] = true
		}
	}
	r.c.erasedPeople = len(r.erased)
	return nil
}

// erasureKey reads the key the erasure records were made with.
func (r *restorer) erasureKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := errors.New("it is not set")
	if r.src.ErasureKey != nil {
		key, err = r.src.ErasureKey(ctx)
	}
	if err == nil && len(key) < dynamo.MinErasureKey {
		err = fmt.Errorf("it is shorter than %d bytes", dynamo.MinErasureKey)
	}
	if err != nil {
		return nil, fmt.Errorf("nothing was copied: the tables hold erasure records, and the erasure key is needed to keep the "+
			"erased people out of the live table (%v). Set %s to the name of the SSM SecureString parameter that holds it "+
			"(ERASURE_KEY holds the key itself, locally), as for privacy erase", err, ErasureKeySetting)
	}
	return key, nil
}

// itemAddresses are the email addresses an item holds, canonical, in any attribute
// (however nested) or in its key (PERSON#<address>).
func itemAddresses(it map[string]types.AttributeValue) []string {
	var out []string
	var walk func(v types.AttributeValue)
	add := func(s string) {
		s = strings.TrimPrefix(s, "PERSON#") // a key, or an index's key (gsi1pk)
		if strings.Contains(s, "@") {
			out = append(out, contact.CanonicalEmail(s))
		}
	}
	walk = func(v types.AttributeValue) {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			add(v.Value)
		case *types.AttributeValueMemberSS:
			for _, s := range v.Value {
				add(s)
			}
		case *types.AttributeValueMemberL:
			for _, e := range v.Value {
				walk(e)
			}
		case *types.AttributeValueMemberM:
			for _, e := range v.Value {
				walk(e)
			}
		}
	}
	for _, v := range it {
		walk(v)
	}
	return out
}

// skipReason is why an item of the restored table is never copied, or "".
func (r *restorer) skipReason(it map[string]types.AttributeValue) string {
	typ, pk := dynamo.ItemType(it), text(it, "pk")
	if r.skipKeys[pk+"\x00"+text(it, "sk")] || slices.ContainsFunc(itemAddresses(it), func(a string) bool { return r.erased[a] }) {
		return SkipErased
	}
	switch {
	case typ == dynamo.TypeEmail || strings.HasPrefix(pk, "EMAIL#"):
		return SkipEmail
	case typ == dynamo.TypeRateLimit || strings.HasPrefix(pk, "RATE#"):
		return SkipRateLimit
	case typ == dynamo.TypeToken || strings.HasPrefix(pk, "TOKEN#"):
		return SkipToken
	case typ == dynamo.TypePortalRequest || typ == dynamo.TypeNewsRequest:
		return SkipCooldown
	}
	if n, ok := it[dynamo.TTLAttribute].(*types.AttributeValueMemberN); ok {
		if exp, err := strconv.ParseInt(n.Value, 10, 64); err == nil && exp <= r.now.Unix() {
			return SkipExpired
		}
	}
	return ""
}

// moneyTypes are the records erasing keeps without identity.
var moneyTypes = map[string]bool{dynamo.TypeDonation: true, dynamo.TypeSubscription: true, dynamo.TypeOffline: true, dynamo.TypeCustomer: true}

// memberSK is the sort key of a person's member item (package dynamo's).
const memberSK = "MEMBER"

// restore copies one item of the restored table, if it is to be and the live table
// lacks it, and counts.
func (r *restorer) restore(ctx context.Context, it map[string]types.AttributeValue) error {
	typ := dynamo.ItemType(it)
	if typ == "" {
		typ = "(no type)"
	}
	reason := r.skipReason(it)
	if reason == "" && dynamo.ItemType(it) == dynamo.TypeApplication {
		active, err := r.activeMember(ctx, text(it, "pk"))
		if err != nil {
			return err
		}
		if active {
			reason = SkipConfirmed
		}
	}
	if reason != "" && reason != SkipErased && reason != SkipEmail {
		r.c.skipped[[2]string{typ, reason}]++
		return nil
	}
	k := map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}
	got, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.live), Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return r.tableError(r.live, "read", err)
	}
	// Two reasons tell more once the live table is read: what staff may have to make up for.
	switch st := text(it, "status"); {
	case reason == SkipErased && got.Item == nil && moneyTypes[dynamo.ItemType(it)]:
		reason = SkipErasedMoney
	case reason == SkipEmail && got.Item == nil && (st == outbox.StatusPending || st == outbox.StatusSending):
		reason = SkipEmailUnsent
	}
	if reason != "" {
		r.c.skipped[[2]string{typ, reason}]++
		return nil
	}
	if got.Item != nil {
		r.compare(typ, it, got.Item)
		return nil
	}
	if !r.confirm {
		r.c.copied[typ]++
		return nil
	}
	_, err = r.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.live), Item: it,
		ConditionExpression:                 aws.String("attribute_not_exists(pk)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf): // written meanwhile by the stack: its item stays
		old := ccf.Item
		if old == nil {
			old = map[string]types.AttributeValue{}
		}
		r.compare(typ, it, old)
	case err != nil:
		return r.tableError(r.live, "put", err)
	default:
		r.c.copied[typ]++
	}
	return nil
}

// activeMember reports whether the live table holds an active member in the partition pk.
func (r *restorer) activeMember(ctx context.Context, pk string) (bool, error) {
	if v, ok := r.activeMembers[pk]; ok {
		return v, nil
	}
	got, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.live), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: memberSK}}})
	if err != nil {
		return false, r.tableError(r.live, "read", err)
	}
	active := got.Item != nil && text(got.Item, "status") == member.StatusActive
	r.activeMembers[pk] = active
	return active, nil
}

// compare counts an item both tables hold: the same, or differing (listed by its key,
// never a personal value).
func (r *restorer) compare(typ string, restored, live map[string]types.AttributeValue) {
	if sameItem(restored, live) {
		r.c.there[typ]++
		return
	}
	r.c.differ[typ]++
	r.c.differing = append(r.c.differing, fmt.Sprintf("%-18s %s", typ, keyLabel(text(restored, "pk"), text(restored, "sk"))))
}

// recordKinds are the kinds of key whose id is a record's, not a person's: shown whole.
var recordKinds = map[string]bool{"CAMPAIGN": true, "DONATION": true, "PAYMENT": true, "SUBSCRIPTION": true, "DISPUTE": true,
	"BRANCH": true, "EXPORT": true, "STRIPE_EVENT": true, "MEMBERS": true}

// keyLabel shows an item's key without a personal value: the kind of a person's key
// (PERSON#…, SUPPRESSION#…, CUSTOMER#…) and of hashed sort keys (DONOR#…), the whole key
// of a record (DONATION#don_1 META).
func keyLabel(pk, sk string) string {
	kind, _, ok := strings.Cut(pk, "#")
	if ok && !recordKinds[kind] {
		pk = kind + "#…"
	}
	if skKind, _, ok := strings.Cut(sk, "#"); ok && skKind == "DONOR" {
		sk = skKind + "#…"
	}
	return pk + " " + sk
}

// sameItem reports whether two items hold the same attributes and values (sets in any order).
func sameItem(a, b map[string]types.AttributeValue) bool {
	return sameValue(&types.AttributeValueMemberM{Value: a}, &types.AttributeValueMemberM{Value: b})
}

func sameValue(a, b types.AttributeValue) bool {
	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	bytesSorted := func(bs [][]byte) []string {
		s := make([]string, len(bs))
		for i, b := range bs {
			s[i] = string(b)
		}
		return sorted(s)
	}
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		b, ok := b.(*types.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberN:
		b, ok := b.(*types.AttributeValueMemberN)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberB:
		b, ok := b.(*types.AttributeValueMemberB)
		return ok && string(a.Value) == string(b.Value)
	case *types.AttributeValueMemberBOOL:
		b, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberSS:
		b, ok := b.(*types.AttributeValueMemberSS)
		return ok && slices.Equal(sorted(a.Value), sorted(b.Value))
	case *types.AttributeValueMemberNS:
		b, ok := b.(*types.AttributeValueMemberNS)
		return ok && slices.Equal(sorted(a.Value), sorted(b.Value))
	case *types.AttributeValueMemberBS:
		b, ok := b.(*types.AttributeValueMemberBS)
		return ok && slices.Equal(bytesSorted(a.Value), bytesSorted(b.Value))
	case *types.AttributeValueMemberL:
		b, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for i := range a.Value {
			if !sameValue(a.Value[i], b.Value[i]) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberM:
		b, ok := b.(*types.AttributeValueMemberM)
		if !ok || len(a.Value) != len(b.Value) {
			return false
		}
		for k, v := range a.Value {
			w, ok := b.Value[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// print writes the counts: by type, what was (or would be) copied, what the live table
// has already, what differs; then what is never copied and why; then the differing keys.
func (r *restorer) print(out io.Writer) {
	c := &r.c
	copied := "copied"
	if r.confirm {
		fmt.Fprintf(out, "restore copy from %s into %s: %d items read\n", r.from, r.live, c.read)
	} else {
		copied = "would copy"
		fmt.Fprintf(out, "restore copy from %s into %s: dry run, nothing was written (add -confirm to copy); %d items read\n",
			r.from, r.live, c.read)
	}
	seen := map[string]bool{}
	for _, m := range []map[string]int{c.copied, c.there, c.differ} {
		for t := range m {
			seen[t] = true
		}
	}
	names := make([]string, 0, len(seen))
	for t := range seen {
		names = append(names, t)
	}
	sort.Strings(names)
	fmt.Fprintf(out, "%-20s %10s %13s %7s\n", "type", copied, "already there", "differ")
	for _, t := range names {
		fmt.Fprintf(out, "%-20s %10d %13d %7d\n", t, c.copied[t], c.there[t], c.differ[t])
	}
	fmt.Fprintf(out, "%-20s %10d %13d %7d\n", "total", c.total(c.copied), c.total(c.there), c.total(c.differ))
	if len(c.skipped) > 0 {
		fmt.Fprintln(out, "never copied:")
		keys := make([][2]string, 0, len(c.skipped))
		for k := range c.skipped {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i][0] != keys[j][0] {
				return keys[i][0] < keys[j][0]
			}
			return keys[i][1] < keys[j][1]
		})
		for _, k := range keys {
			fmt.Fprintf(out, "  %-18s %6d  %s\n", k[0], c.skipped[k], k[1])
		}
	}
	if c.erasedPeople > 0 {
		fmt.Fprintf(out, "erased people found in the restored table: %d (nothing of theirs is copied)\n", c.erasedPeople)
	}
	if len(c.differing) > 0 {
		sort.Strings(c.differing)
		fmt.Fprintln(out, "differ (left as the live table has them: compare, then decide; campaign totals: staff report appeal -live):")
		for _, d := range c.differing {
			fmt.Fprintln(out, "  "+d)
		}
	}
}

// text is the string attribute name of it, or "".
func text(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
