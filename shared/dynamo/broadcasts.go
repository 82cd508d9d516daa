package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/plan"
	"github.com/solidarity/solidarity/shared/subscription"
)

// The records side of a broadcast (docs/broadcasts.md): the broadcast (BROADCAST#<id>,
// META), its audience expanded a page at a time, and one recipient item per person
// (BROADCAST#<id>, TO#<canonical email>), each an outbox email the broadcast sender
// sends (broadcast_send.go). A recipient's item and the broadcast's counters are written
// in one transaction, conditional on the item being new: a rerun, or a retry after a lost
// answer, queues nobody twice and counts nobody twice.

// ErrBroadcastNotFound means there is no broadcast with that id.
var ErrBroadcastNotFound = errors.New("no such broadcast")

// ErrBroadcastState means a broadcast was not in a state the change asks for.
var ErrBroadcastState = errors.New("broadcast not in that state")

// StateError is a change refused by the broadcast's state: State is the state it is
// in ("" when there is no such broadcast).
type StateError struct{ ID, State, Want string }

func (e *StateError) Error() string {
	return fmt.Sprintf("broadcast %s is %s, not %s", e.ID, e.State, e.Want)
}
func (e *StateError) Unwrap() error { return ErrBroadcastState }

func broadcastPK(id string) string { return "BROADCAST#" + id }

// RecipientSK is the sort key of a recipient's item under its broadcast.
func recipientSK(email string) string { return "TO#" + strings.ToLower(email) }

// testSK is the sort key of a test send's item: beside the recipients, never one of them.
func testSK(email, lang, id string) string {
	return "TEST#" + strings.ToLower(email) + "#" + lang + "#" + id
}

// Keys of a report's languages: English, French, and both in one
// message for a person without a language.
const (
	LangEN   = "en"
	LangFR   = "fr"
	LangBoth = "both"
)

// LangKey is the key language lang counts under ("en", "fr" or "both").
func LangKey(lang string) string {
	switch lang {
	case LangEN, LangFR:
		return lang
	}
	return LangBoth
}

// CreateBroadcast stores a new broadcast, in draft with nothing queued, or ErrExists if
// its id is taken. A retry after a lost answer finds its own item and succeeds.
func (s *Store) CreateBroadcast(ctx context.Context, b broadcast.Broadcast) error {
	b.State, b.Rev = broadcast.StateDraft, 0
	put, err := s.put(b, broadcastPK(b.ID), metaSK, TypeBroadcast)
	if err != nil {
		return err
	}
	err = s.create(ctx, []types.TransactWriteItem{{Put: put}})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ErrExists
	}
	if err != nil {
		return fmt.Errorf("create broadcast: %w", err)
	}
	return nil
}

// Broadcast reads a broadcast, or ErrBroadcastNotFound.
func (s *Store) Broadcast(ctx context.Context, id string) (broadcast.Broadcast, error) {
	var b broadcast.Broadcast
	found, err := s.get(ctx, broadcastPK(id), metaSK, &b)
	if err == nil && !found {
		err = ErrBroadcastNotFound
	}
	return b, err
}

// transitions are the changes of state a broadcast allows.
var transitions = map[[2]string]bool{
	{broadcast.StateDraft, broadcast.StateSending}:     true,
	{broadcast.StateSending, broadcast.StateSent}:      true,
	{broadcast.StateDraft, broadcast.StateCancelled}:   true,
	{broadcast.StateSending, broadcast.StateCancelled}: true,
}

// SetBroadcastState moves broadcast id from state from to state to, one of the
// transitions draft→sending, sending→sent, draft→cancelled, sending→cancelled. A
// broadcast already in to is left as it is, and that is success (a retry, a second
// sender); one in any other state is not changed: a *StateError (ErrBroadcastState), or
// ErrBroadcastNotFound.
func (s *Store) SetBroadcastState(ctx context.Context, id, from, to string) error {
	if !transitions[[2]string{from, to}] {
		return fmt.Errorf("broadcast: no change from %s to %s", from, to)
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.Table),
		Key:                                 key(broadcastPK(id), metaSK),
		UpdateExpression:                    aws.String("SET #st = :to ADD rev :one"),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND #st = :from"),
		ExpressionAttributeNames:            map[string]string{"#st": "state"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":to": str(to), ":from": str(from), ":one": num(1)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		switch st := text(ccf.Item, "state"); {
		case ccf.Item == nil:
			return ErrBroadcastNotFound
		case st == to:
			return nil
		default:
			return &StateError{ID: id, State: st, Want: from}
		}
	}
	if err != nil {
		return fmt.Errorf("set broadcast state: %w", err)
	}
	return nil
}

// ExpandWorkers is how many people ExpandAudience looks up, and hands to fn, at once:
// each person costs a Query and a GetItem, so a 100,000-person audience read one by one
// from an organizer's laptop would take the better part of an hour.
const ExpandWorkers = 8

// ExpandAudience calls fn with each person of audience a whose news state (the
// consent ledger's, read strongly consistent) is subscribed and whose address is not
// suppressed, once each, with their canonical address, their language (their member
// record's, else the language of the record that put them in the audience, else the
// language of their latest consent record, else "": both) and their branch (a member's,
// else ""). It reads a page of the audience at a time (a Query on GSI1 for branches, else
// a Scan of the table filtered by type), never everyone at once; for audiences where a
// person may appear twice (subscribers, dues, donors: several plans or gifts), it keeps
// an 8-byte hash of each address seen. People are looked up ExpandWorkers at a time, so
// fn is called from as many goroutines at once. The first error of fn stops it, and
// is returned once the calls under way have ended.
func (s *Store) ExpandAudience(ctx context.Context, a broadcast.Audience, fn func(broadcast.Recipient) error) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var wg sync.WaitGroup
	slots := make(chan struct{}, ExpandWorkers)
	var seen map[uint64]struct{}
	switch a.Kind {
	case broadcast.Subscribers, broadcast.Dues, broadcast.Donors:
		seen = map[uint64]struct{}{}
	}
	each := func(email, lang string) error {
		email = contact.CanonicalEmail(email)
		if email == "" || email == Erased {
			return nil
		}
		if seen != nil {
			h := fnv.New64a()
			h.Write([]byte(email))
			if _, ok := seen[h.Sum64()]; ok {
				return nil
			}
			seen[h.Sum64()] = struct{}{}
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		wg.Go(func() {
			defer func() { <-slots }()
			r, ok, err := s.recipient(ctx, email, lang)
			if err == nil && ok {
				err = fn(r)
			}
			if err != nil {
				stop(err)
			}
		})
		return nil
	}
	err := s.expand(ctx, a, each)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return err
}

// expand calls each with the address and language of every record of audience a.
func (s *Store) expand(ctx context.Context, a broadcast.Audience, each func(email, lang string) error) error {
	switch a.Kind {
	case broadcast.News:
		return s.scanType(ctx, TypeNewsState, "#sub = :yes", map[string]types.AttributeValue{":yes": &types.AttributeValueMemberBOOL{Value: true}},
			func(it map[string]types.AttributeValue) error {
				return each(strings.TrimPrefix(text(it, "pk"), "PERSON#"), "")
			})
	case broadcast.Branches:
		for _, slug := range a.Values {
			err := s.queryGSI1(ctx, "MEMBERS#"+slug, member.StatusActive+"#", func(it map[string]types.AttributeValue) error {
				return each(text(it, "email"), text(it, "language"))
			})
			if err != nil {
				return err
			}
		}
		return nil
	case broadcast.Provinces:
		values := map[string]types.AttributeValue{":active": str(member.StatusActive)}
		var in []string
		for i, p := range a.Values {
			k := fmt.Sprintf(":p%d", i)
			values[k] = str(p)
			in = append(in, k)
		}
		return s.scanType(ctx, TypeMember, "#s = :active AND #addr.#prov IN ("+strings.Join(in, ", ")+")", values,
			func(it map[string]types.AttributeValue) error { return each(text(it, "email"), text(it, "language")) })
	case broadcast.Subscribers, broadcast.Dues:
		kind := plan.KindSubscription
		if a.Kind == broadcast.Dues {
			kind = plan.KindDues
		}
		return s.scanType(ctx, TypeSubscription, "#kind = :kind AND #s IN (:active, :pastdue)", map[string]types.AttributeValue{
			":kind": str(kind), ":active": str(subscription.StatusActive), ":pastdue": str(subscription.StatusPastDue)},
			func(it map[string]types.AttributeValue) error { return each(text(it, "email"), text(it, "language")) })
	case broadcast.Donors:
		if len(a.Values) != 1 {
			return fmt.Errorf("broadcast: donors of %d campaigns", len(a.Values))
		}
		return s.scanType(ctx, TypeDonation, "#camp = :c AND #s = :paid", map[string]types.AttributeValue{
			":c": str(a.Values[0]), ":paid": str(donation.StatusPaid)},
			func(it map[string]types.AttributeValue) error { return each(text(it, "email"), text(it, "language")) })
	}
	return fmt.Errorf("broadcast: unknown audience %q", a.Kind)
}

// scanType calls fn with each item of type typ matching filter (which may name the
// status as #s, and other attributes by the aliases below), a page of the scan at a time.
func (s *Store) scanType(ctx context.Context, typ, filter string, values map[string]types.AttributeValue, fn func(map[string]types.AttributeValue) error) error {
	values[":type"] = str(typ)
	names := map[string]string{"#t": "type"}
	for alias, name := range map[string]string{"#s": "status", "#sub": "subscribed", "#addr": "address", "#prov": "province", "#kind": "kind", "#camp": "campaign"} {
		if strings.Contains(filter, alias+" ") || strings.Contains(filter, alias+".") {
			names[alias] = name
		}
	}
	p := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{
		TableName:                 aws.String(s.Table),
		FilterExpression:          aws.String("#t = :type AND " + filter),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan %s: %w", typ, err)
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// recipient reads a person's own partition (news state, member, consent records) in one
// strongly consistent Query and the suppression list: ok is false unless their news state
// is subscribed and the address is not suppressed.
func (s *Store) recipient(ctx context.Context, email, lang string) (broadcast.Recipient, bool, error) {
	r := broadcast.Recipient{Email: email}
	var subscribed bool
	var memberLang, consentLang string
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(personPK(email))},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return r, false, fmt.Errorf("query person: %w", err)
		}
		for _, it := range page.Items {
			switch ItemType(it) {
			case TypeNewsState:
				var st consent.State
				if err := attributevalue.UnmarshalMap(it, &st); err != nil {
					return r, false, fmt.Errorf("decode news state: %w", err)
				}
				subscribed = st.Subscribed
			case TypeMember:
				memberLang, r.Branch = text(it, "language"), text(it, "branch")
			case TypeConsent: // in time order: the last one read is the latest
				if l := text(it, "language"); l != "" {
					consentLang = l
				}
			}
		}
	}
	if !subscribed {
		return r, false, nil
	}
	suppressed, err := s.Suppressed(ctx, email)
	if err != nil || suppressed {
		return r, false, err
	}
	for _, l := range []string{memberLang, lang, consentLang} {
		if l == LangEN || l == LangFR {
			r.Language = l
			break
		}
	}
	return r, true, nil
}

// QueuedRetention is how long a recipient's item queued but never sent (its broadcast
// cancelled, or its sender stopped for good) is kept before the table's TTL deletes it:
// well past the 25 days in which staff may resume a broadcast (staff.ResendWithin), so
// no resumed broadcast finds its people forgotten.
const QueuedRetention = 60 * 24 * time.Hour

// QueueRecipient writes recipient r's email of broadcast id (template
// outbox.Broadcast, pending, news: the mailer mints the unsubscribe link when it sends),
// one PutItem conditional on the recipient's item being new. queued is false, with
// nothing written, when the person is queued already (a rerun; a retry after a lost
// answer). It touches no item but the recipient's: with people queued 8 at a time, a
// counter on the broadcast's item in each write would make that item hot, and
// DynamoDB would cancel most of them for a conflict; the report counts the recipients'
// items instead, and the mailer skips the email of a broadcast cancelled meanwhile.
func (s *Store) QueueRecipient(ctx context.Context, id string, r broadcast.Recipient) (queued bool, err error) {
	e := outbox.Email{ID: ids.New("bem"), Template: outbox.Broadcast, Language: r.Language, To: r.Email,
		Data: map[string]string{"broadcast": id}, News: true, Status: outbox.StatusPending, CreatedAt: s.Now().UTC()}
	put, err := s.put(e, broadcastPK(id), recipientSK(r.Email), TypeBroadcastEmail)
	if err != nil {
		return false, err
	}
	put.Item[TTLAttribute] = num(s.Now().Add(QueuedRetention).Unix()) // sent or ended, it is SentRetention after that
	queued, err = s.putNew(ctx, put, "broadcast recipient")
	return queued, err
}

// QueueTest writes a test send of broadcast id to address in lang ("en", "fr" or ""):
// an item beside the recipients (sort key TEST#…, so neither the sender nor the report
// counts it) holding an outbox email marked test (Data["test"]), which the mailer sends
// whatever the address's news state, with [TEST] before the subject. It returns the key
// and the email, for the mailer's Send.
func (s *Store) QueueTest(ctx context.Context, id, address, lang string) (outbox.Key, outbox.Email, error) {
	e := outbox.Email{ID: ids.New("btest"), Template: outbox.Broadcast, Language: lang, To: contact.CanonicalEmail(address),
		Data: map[string]string{"broadcast": id, "test": "1"}, News: true, Status: outbox.StatusPending, CreatedAt: s.Now().UTC()}
	k := outbox.Key{Partition: broadcastPK(id), Sort: testSK(e.To, LangKey(lang), e.ID)}
	put, err := s.put(e, k.Partition, k.Sort, TypeBroadcastEmail)
	if err != nil {
		return k, e, err
	}
	put.Item[TTLAttribute] = num(s.Now().Add(SentRetention).Unix()) // a test is kept no longer than a sent email
	if _, err := s.putNew(ctx, put, "broadcast test"); err != nil {
		return k, e, err
	}
	return k, e, nil
}

// BroadcastReport counts broadcast id's recipients by status and language ("en", "fr",
// "both"), a page of the Query at a time.
func (s *Store) BroadcastReport(ctx context.Context, id string) (broadcast.Report, error) {
	rep := broadcast.Report{ByStatus: map[string]int64{}, ByLang: map[string]map[string]int64{}, Skipped: map[string]int64{}}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :to)"),
		ProjectionExpression:      aws.String("#s, #l, end_reason"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#l": "language"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(broadcastPK(id)), ":to": str("TO#")},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return rep, fmt.Errorf("query broadcast recipients: %w", err)
		}
		for _, it := range page.Items {
			st, l := text(it, "status"), LangKey(text(it, "language"))
			rep.Total++
			rep.ByStatus[st]++
			if rep.ByLang[l] == nil {
				rep.ByLang[l] = map[string]int64{}
			}
			rep.ByLang[l][st]++
			if st == outbox.StatusSkipped {
				rep.Skipped[text(it, "end_reason")]++
			}
		}
	}
	return rep, nil
}
