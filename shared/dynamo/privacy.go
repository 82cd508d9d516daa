package dynamo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/subscription"
	"github.com/solidarity/solidarity/shared/token"
)

// Query names the person of a privacy request: their canonical email address, and any
// other names staff know them by (a nickname, a maiden name) to look for in free text.
type Query struct {
	Email string
	Names []string
	// ClosedCheckouts are the ids of Checkout sessions Stripe has just reported expired
	// (staff privacy erase -expire-checkouts expired them): the pending record of one can
	// no longer be paid, whatever its age, so it does not refuse.
	ClosedCheckouts []string
}

// What erasing does with an item found.
const (
	ActionDelete    = "delete"    // the whole item goes
	ActionAnonymize = "anonymize" // a money record: its ids and amounts stay, the identity goes
	ActionRefuse    = "refuse"    // erasing refuses until staff change it (see Refusal)
)

// Found is one item the table holds about the person, why it was found, and what
// erasing does with it.
type Found struct {
	Item    map[string]types.AttributeValue
	Matched string // "person" (their own partition), "email", "donor marker", "stripe customer", "name in note"
	Action  string // ActionDelete, ActionAnonymize or ActionRefuse
}

// Refusal is something that must change before the person can be erased, and is not
// the erasure's to change: a subscription or monthly gift Stripe still charges (ending
// it is a money decision), a gift or subscription whose Checkout can still be paid (the
// payment would start what nothing here could then find or cancel), or a branch the
// person organizes (the branch directory is staff's, imported from a file).
type Refusal struct {
	Kind     string `json:"kind"`      // one of the Refuse… kinds
	Name     string `json:"name"`      // the plan, the campaign or the branch
	RecordID string `json:"record_id"` // our record
	StripeID string `json:"stripe_id,omitempty"`
	// CheckoutID is the Stripe Checkout session of a pending record ("" if none is
	// recorded), which staff can expire at Stripe rather than wait.
	CheckoutID string `json:"checkout_id,omitempty"`
	Status     string `json:"status,omitempty"`
	// For a Checkout still open: when it opened, and Until, when it can no longer be
	// paid (CheckoutPayableFor later), after which erasing is possible; Wait is how long
	// that is from the moment Find read the table, by the store's clock.
	Opened time.Time     `json:"checkout_opened_at,omitzero"`
	Until  time.Time     `json:"erasable_after,omitzero"`
	Wait   time.Duration `json:"-"`
}

// OpenCheckout reports whether r stands for a Checkout that can still be paid.
func (r Refusal) OpenCheckout() bool { return !r.Until.IsZero() }

// CheckoutPayableFor is how long after a donation or subscription was created its Stripe
// Checkout can still be paid: Stripe expires a session 24 hours after it opens unless it
// sets expires_at, which package payment's sessions do not. A quarter of an hour more
// covers the moments between our record and Stripe's session, and the clocks' drift.
// Until then, erasing the person refuses: their payment would start a subscription or a
// gift that has no address, no link to them, and nothing staff or the portal can find.
const CheckoutPayableFor = 24*time.Hour + 15*time.Minute

// Held is everything the table holds about one person, read in one strongly consistent
// scan of the whole table.
type Held struct {
	Email string
	// Names are the names looked for in free text (offline gifts' notes): those staff
	// gave and those the person's own records carry.
	Names []string
	// Customers are the person's Stripe customers: Stripe's own copy is theirs to delete.
	Customers []string
	Items     []Found
	Refusals  []Refusal
}

// Kinds of refusal.
const (
	RefuseSubscription = "subscription"
	RefuseMonthlyGift  = "monthly_gift"
	RefuseDonation     = "donation" // a one-time gift whose Checkout is still open
	RefuseOrganizer    = "branch_organizer"
	RefuseUnknown      = "unknown_item" // an item of a kind erasing does not know holds the address
)

// ErrRefused means erasing refused: Held.Refusals say why, and nothing was changed.
var ErrRefused = errors.New("erasure refused")

// RefusedError is an erasure refused, with what stands in the way.
type RefusedError struct{ Refusals []Refusal }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%v: %d things to change first", ErrRefused, len(e.Refusals))
}
func (e *RefusedError) Unwrap() error { return ErrRefused }

// ErrIncomplete means an erasure ran but, after ErasePasses passes, the table still
// holds something of the person (written while it ran, or of a kind erasing does not
// remove): an *IncompleteError says what.
var ErrIncomplete = errors.New("erasure incomplete")

// IncompleteError is an erasure that left something: Left is what a last Find found.
// What the passes did erase stays erased, and the erasure is recorded.
type IncompleteError struct {
	Passes int
	Left   Held
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("%v: after %d passes, %d items still hold the person (%d refused)", ErrIncomplete, e.Passes,
		len(e.Left.Items), len(e.Left.Refusals))
}
func (e *IncompleteError) Unwrap() error { return ErrIncomplete }

// ErasePasses bounds how many times Erase erases what Find finds: what was written
// between a Find and the writes (a new link to a Stripe customer, a token minted by a
// send under way) is found by the next Find and erased in turn.
const ErasePasses = 3

// ErrNoErasureKey means the key of the erasure record's hash is missing or too short.
var ErrNoErasureKey = errors.New("no erasure key")

// MinErasureKey is the shortest erasure key accepted, in bytes.
const MinErasureKey = 32

// Find gathers everything the table holds about a person: their own partition
// (membership and its applications, consent, news state, Stripe customer, portal and news
// requests), every item that names their address in any attribute (donations,
// subscriptions, emails to or about them, links, offline gifts, Stripe customer links),
// their distinct-donor markers, the portal links of their Stripe customers, the offline
// gifts whose note names them, and the branches they organize. It scans the whole table with strongly consistent reads,
// page by page, so what it finds is what erasing acts on. What erasing must not change
// by itself (see Refusal) it reports in Held.Refusals, judged by the store's clock.
func (s *Store) Find(ctx context.Context, q Query) (Held, error) {
	return s.find(ctx, q, nil)
}

// find is Find, also reaching the portal links of the Stripe customers known already
// (an erasure's later passes: the records that named them are anonymized by then).
func (s *Store) find(ctx context.Context, q Query, knownCustomers []string) (Held, error) {
	email := strings.ToLower(strings.TrimSpace(q.Email))
	held := Held{Email: email}
	now := s.Now()
	var portalTokens, notes []map[string]types.AttributeValue
	found := map[string]bool{}
	add := func(it map[string]types.AttributeValue, matched string) {
		k := text(it, "pk") + "\x00" + text(it, "sk")
		if !found[k] {
			found[k] = true
			held.Items = append(held.Items, Found{Item: it, Matched: matched, Action: actionOf(it, email)})
		}
	}
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return held, fmt.Errorf("scan: %w", err)
		}
		for _, it := range page.Items {
			switch {
			case text(it, "pk") == personPK(email):
				add(it, "person")
			case text(it, "sk") == donorSK(email):
				add(it, "donor marker")
			case holds(&types.AttributeValueMemberM{Value: it}, email):
				add(it, "email")
			case ItemType(it) == TypeToken && text(it, "purpose") == token.Portal:
				portalTokens = append(portalTokens, it)
			case ItemType(it) == TypeOffline && (text(it, "note") != "" || text(it, "void_reason") != ""):
				notes = append(notes, it)
			}
		}
	}
	// What the person's records tell: their Stripe customers and their names.
	customers := map[string]bool{}
	for _, id := range knownCustomers {
		customers[id] = true
	}
	names := map[string]string{}
	addName := func(n string, minWords int) {
		if f := foldWords(n); len(f) >= minWords {
			names[strings.Join(f, " ")] = strings.TrimSpace(n)
		}
	}
	for _, n := range q.Names {
		addName(n, 1)
	}
	for _, f := range held.Items {
		it := f.Item
		for _, a := range []string{"stripe_customer_id", "customer_id"} {
			if id := text(it, a); id != "" {
				customers[id] = true
			}
		}
		if id, ok := strings.CutPrefix(text(it, "pk"), "CUSTOMER#"); ok {
			customers[id] = true
		}
		addName(text(it, "first_name")+" "+text(it, "last_name"), 2) // a first name alone names too many
		addName(text(it, "donor_name"), 2)
		if sh, ok := it["shipping"].(*types.AttributeValueMemberM); ok {
			addName(text(sh.Value, "name"), 2)
		}
	}
	for _, it := range portalTokens {
		if customers[text(it, "subject")] {
			add(it, "stripe customer")
		}
	}
	emailWords := foldWords(email)
	for _, it := range notes {
		note := foldWords(text(it, "note") + " " + text(it, "void_reason")) // staff's words: the note, and why a gift was voided
		if containsWords(note, emailWords) {
			add(it, MatchedNote)
			continue
		}
		for n := range names {
			if containsWords(note, strings.Fields(n)) {
				add(it, MatchedNote)
				break
			}
		}
	}
	for id := range customers {
		held.Customers = append(held.Customers, id)
	}
	for _, n := range names {
		held.Names = append(held.Names, n)
	}
	sort.Strings(held.Customers)
	sort.Strings(held.Names)
	sort.Slice(held.Items, func(i, j int) bool {
		a, b := held.Items[i].Item, held.Items[j].Item
		return text(a, "pk")+"\x00"+text(a, "sk") < text(b, "pk")+"\x00"+text(b, "sk")
	})
	for i, f := range held.Items {
		if r, ok := refusalOf(f.Item, now, q.ClosedCheckouts); ok {
			held.Items[i].Action = ActionRefuse
			held.Refusals = append(held.Refusals, r)
		}
	}
	return held, nil
}

// holds reports whether any string in v, however deeply nested (maps, lists, sets), is
// the address, whatever its case. Only whole values count: "ana@example.org" is not in
// "diana@example.org".
func holds(v types.AttributeValue, email string) bool {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return strings.EqualFold(strings.TrimSpace(v.Value), email)
	case *types.AttributeValueMemberSS:
		return slices.ContainsFunc(v.Value, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), email) })
	case *types.AttributeValueMemberM:
		for _, e := range v.Value {
			if holds(e, email) {
				return true
			}
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if holds(e, email) {
				return true
			}
		}
	}
	return false
}

// foldWords splits free text into lowercase words without accents, so that "Félicité
// NDIAYE," and "felicite ndiaye" are the same words. (A table of the letters French and
// English use folds the accents, as package branch does for place names.)
func foldWords(s string) []string {
	return strings.FieldsFunc(unaccent.Replace(strings.ToLower(s)), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

var unaccent = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "á", "a", "ã", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "í", "i", "ì", "i", "ô", "o", "ö", "o", "ó", "o", "ò", "o", "ù", "u", "û", "u", "ü", "u", "ú", "u",
	"ÿ", "y", "ñ", "n", "œ", "oe", "æ", "ae",
)

// containsWords reports whether want appears in words, as consecutive whole words.
func containsWords(words, want []string) bool {
	if len(want) == 0 {
		return false
	}
	for i := 0; i+len(want) <= len(words); i++ {
		if slices.Equal(words[i:i+len(want)], want) {
			return true
		}
	}
	return false
}

// Mentions reports whether text names the person h is about as Find looks for them in
// offline gifts' notes: the words of their address, or one of h.Names, as whole words,
// case and accents aside.
func (h Held) Mentions(text string) bool {
	words := foldWords(text)
	if containsWords(words, foldWords(h.Email)) {
		return true
	}
	for _, n := range h.Names {
		if containsWords(words, foldWords(n)) {
			return true
		}
	}
	return false
}

// MatchedNote is Found.Matched of an item found only because its note (or the reason it
// was voided) names the person: usually someone else's record.
const MatchedNote = "name in note"

// actionOf is what erasing does with an item found: money records (donations,
// subscriptions, offline gifts, the links of Stripe customers to subscriptions) keep their
// ids and amounts without identity; the person's own items, emails, links and markers are
// deleted; an item of a kind not known to hold people is refused rather than guessed at.
func actionOf(it map[string]types.AttributeValue, email string) string {
	switch ItemType(it) {
	case TypeDonation, TypeSubscription, TypeOffline:
		return ActionAnonymize
	case TypeCustomer:
		if text(it, "pk") == personPK(email) {
			return ActionDelete
		}
		return ActionAnonymize // CUSTOMER#<id>: the money's link stays
	case TypeMember, TypeApplication, TypeConsent, TypeNewsState, TypeEmail, TypeToken, TypePortalRequest, TypeDonor,
		TypeNewsRequest, TypeBroadcastEmail:
		return ActionDelete
	}
	if text(it, "pk") == personPK(email) {
		return ActionDelete // the person's own partition holds nothing else of value
	}
	return ActionRefuse
}

// Statuses after which Stripe charges a subscription no more. (A pending one, whose
// Checkout never completed, is judged by its age: see openCheckout.)
var ended = map[string]bool{subscription.StatusCanceled: true, "incomplete_expired": true}

// refusalOf is what, about an item found, erasing must not change by itself, at now;
// the pending records of closed Checkout sessions are not refused.
func refusalOf(it map[string]types.AttributeValue, now time.Time, closed []string) (Refusal, bool) {
	erased := text(it, "email") == Erased
	if b, ok := it["erased"].(*types.AttributeValueMemberBOOL); ok && b.Value {
		erased = true
	}
	switch ItemType(it) {
	case TypeSubscription:
		st := text(it, "status")
		r := Refusal{Kind: RefuseSubscription, Name: text(it, "plan"), RecordID: text(it, "id"),
			StripeID: text(it, "stripe_subscription_id"), Status: st}
		switch {
		case erased || ended[st]:
		case st == subscription.StatusPending:
			r.CheckoutID = text(it, "checkout_id")
			if r.CheckoutID != "" && slices.Contains(closed, r.CheckoutID) {
				break
			}
			if openCheckout(it, now, &r) {
				return r, true
			}
		default:
			return r, true
		}
	case TypeDonation:
		_, endedAt := it["monthly_ended_at"]
		monthly, linked := text(it, "frequency") == donation.Monthly, text(it, "stripe_subscription_id") != ""
		switch {
		case erased:
		case monthly && linked && !endedAt:
			return Refusal{Kind: RefuseMonthlyGift, Name: text(it, "campaign"), RecordID: text(it, "id"),
				StripeID: text(it, "stripe_subscription_id"), Status: "not ended"}, true
		case text(it, "status") == donation.StatusPending && !linked:
			// Its Checkout may still be paid: a one-time gift would then be paid with no
			// one to tell, a monthly one start a Stripe subscription nothing here knows.
			r := Refusal{Kind: RefuseDonation, Name: text(it, "campaign"), RecordID: text(it, "id"), Status: donation.StatusPending,
				CheckoutID: text(it, "checkout_session_id")}
			if monthly {
				r.Kind = RefuseMonthlyGift
			}
			if r.CheckoutID != "" && slices.Contains(closed, r.CheckoutID) {
				break
			}
			if openCheckout(it, now, &r) {
				return r, true
			}
		}
	case TypeBranch:
		return Refusal{Kind: RefuseOrganizer, Name: text(it, "slug"), RecordID: text(it, "pk")}, true
	}
	if actionOf(it, "") == ActionRefuse { // a kind of item erasing does not know
		return Refusal{Kind: RefuseUnknown, Name: ItemType(it), RecordID: keyKind(text(it, "pk"))}, true
	}
	return Refusal{}, false
}

// openCheckout reports whether the Checkout of a record created at its created_at can
// still be paid at now, and if so sets when it opened, when it can no longer be, and how
// long until then. A record without a readable creation time is taken as long closed:
// every record is written with one.
func openCheckout(it map[string]types.AttributeValue, now time.Time, r *Refusal) bool {
	opened, err := time.Parse(time.RFC3339Nano, text(it, "created_at"))
	if err != nil {
		return false
	}
	until := opened.Add(CheckoutPayableFor)
	if !now.Before(until) {
		return false
	}
	r.Opened, r.Until, r.Wait = opened.UTC(), until.UTC(), until.Sub(now)
	return true
}

// Erasure is the record an erasure leaves: who (as a keyed hash of the address, which
// only the holder of the key can match to a guess), when, and what changed.
type Erasure struct {
	EmailHMAC  string    `dynamodbav:"email_hmac"` // HMAC-SHA256 of the canonical address, hex
	Hash       string    `dynamodbav:"hash"`       // "hmac-sha256"
	KeyID      string    `dynamodbav:"key_id"`     // which key: its own hash's first bytes, so a rotation shows
	At         time.Time `dynamodbav:"at"`
	Deleted    int       `dynamodbav:"deleted"`
	Anonymized int       `dynamodbav:"anonymized"`
}

// Erased stands for an erased person's address in the records that keep money.
const Erased = subscription.ErasedEmail

// ErasureHash is the keyed hash an erasure is recorded under.
func ErasureHash(key []byte, email string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(m.Sum(nil))
}

// erasureKeyID names a key without revealing it.
func erasureKeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("solidarity erasure key id\x00"), key...))
	return hex.EncodeToString(sum[:6])
}

// Erase removes what the table holds about a person (what Find finds): personal items,
// emails, links and markers are deleted; donations, subscriptions, offline gifts and the
// links of Stripe customers keep their ids and money but lose the identity (names,
// addresses, email address, notes) and are marked erased, so that no later Stripe event
// gives it back or writes to the person. It refuses, changing nothing, while Find reports
// refusals (a *RefusedError), and without a key of at least MinErasureKey bytes for the
// record's hash (ErrNoErasureKey). The erasure itself is recorded under a keyed hash of
// the address.
//
// A scan and the writes that follow it are not one transaction: what is written between
// them (a link to a Stripe customer, a token a send under way mints, an email) would
// survive. So after erasing, Erase finds again and erases what is new, up to ErasePasses
// passes; if the table still holds something of the person then, or something new
// refuses, it stops with an *IncompleteError saying what (ErrIncomplete), having recorded
// what it did.
func (s *Store) Erase(ctx context.Context, q Query, key []byte) (Erasure, Held, error) {
	if len(key) < MinErasureKey {
		return Erasure{}, Held{}, ErrNoErasureKey
	}
	held, err := s.Find(ctx, q)
	if err != nil {
		return Erasure{}, held, err
	}
	if len(held.Refusals) > 0 {
		return Erasure{}, held, &RefusedError{Refusals: held.Refusals}
	}
	er := Erasure{EmailHMAC: ErasureHash(key, held.Email), Hash: "hmac-sha256", KeyID: erasureKeyID(key), At: s.Now().UTC()}
	// The later passes look for the names and Stripe customers the first one learnt, as
	// the records that told them are anonymized by then.
	again := Query{Email: held.Email, Names: append(slices.Clone(q.Names), held.Names...), ClosedCheckouts: q.ClosedCheckouts}
	items := held.Items
	var incomplete error
	for pass := 1; ; pass++ {
		if err := s.eraseItems(ctx, items, &er); err != nil {
			return er, held, err
		}
		left, err := s.find(ctx, again, held.Customers)
		if err != nil {
			return er, held, fmt.Errorf("erase, pass %d: %w", pass, err)
		}
		held.Customers = union(held.Customers, left.Customers)
		held.Names = union(held.Names, left.Names)
		if len(left.Items) == 0 {
			break
		}
		held.Items = append(held.Items, left.Items...)
		held.Refusals = append(held.Refusals, left.Refusals...)
		if len(left.Refusals) > 0 || pass == ErasePasses {
			incomplete = &IncompleteError{Passes: pass, Left: left}
			break
		}
		items = left.Items
	}
	rec, err := item(er, "ERASURE#"+er.EmailHMAC, er.At.Format(time.RFC3339Nano), TypeErasure)
	if err != nil {
		return er, held, err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: rec}); err != nil {
		return er, held, fmt.Errorf("record erasure: %w", err)
	}
	return er, held, incomplete
}

// eraseItems deletes or anonymizes each item found, counting in er.
func (s *Store) eraseItems(ctx context.Context, found []Found, er *Erasure) error {
	at, err := attrTime(er.At)
	if err != nil {
		return err
	}
	yes := &types.AttributeValueMemberBOOL{Value: true}
	exists := aws.String("attribute_exists(pk)")
	for _, f := range found {
		it := f.Item
		k := key2(it)
		var err error
		switch {
		case f.Action == ActionRefuse:
			continue // never reached: a refusal stops the erasure first
		case f.Action == ActionDelete:
			_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k})
			er.Deleted++
		case ItemType(it) == TypeSubscription:
			// The revision moves, so an event that read the record before the erasure
			// cannot write its old identity back (its put is conditional on rev).
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k, ConditionExpression: exists,
				UpdateExpression: aws.String("SET email = :erased, erased = :yes, erased_at = :at " +
					"REMOVE first_name, last_name, shipping, gsi1pk, gsi1sk ADD rev :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":erased": str(Erased), ":at": at, ":yes": yes, ":one": num(1)},
			})
			er.Anonymized++
		case ItemType(it) == TypeDonation:
			// The mark is what the ledger's writes that owe the donor an email are
			// conditional on (attribute_not_exists(erased)), so one that read the
			// donation before this cannot queue its email after.
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k, ConditionExpression: exists,
				UpdateExpression: aws.String("SET email = :erased, erased = :yes, erased_at = :at " +
					"REMOVE first_name, last_name, address, gsi1pk, gsi1sk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":erased": str(Erased), ":at": at, ":yes": yes},
			})
			er.Anonymized++
		case ItemType(it) == TypeOffline:
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k, ConditionExpression: exists,
				UpdateExpression:          aws.String("SET erased = :yes, erased_at = :at REMOVE donor_name, donor_email, note, void_reason"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": at, ":yes": yes},
			})
			er.Anonymized++
		default: // the link of a Stripe customer to a subscription
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k, ConditionExpression: exists,
				UpdateExpression:          aws.String("SET email = :erased, erased = :yes"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":erased": str(Erased), ":yes": yes},
			})
			er.Anonymized++
		}
		var gone *types.ConditionalCheckFailedException
		if errors.As(err, &gone) {
			err = nil // deleted meanwhile (its TTL): nothing left to erase, and no stub is made
		}
		if err != nil {
			return fmt.Errorf("erase %s: %w", ItemType(it), err)
		}
	}
	return nil
}

// union is a and b's strings, each once, sorted.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

func key2(it map[string]types.AttributeValue) map[string]types.AttributeValue {
	return key(text(it, "pk"), text(it, "sk"))
}

func text(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
