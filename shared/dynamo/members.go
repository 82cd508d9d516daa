package dynamo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/redact"
	"github.com/solidarity/solidarity/shared/token"
)

// Member, branch and consent-state items. A member lives under its person (one per
// canonical address, so the key itself forbids duplicates) and is indexed by branch
// and status on GSI1; branches are listed together on GSI1.
const (
	memberSK       = "MEMBER"
	newsSK         = "NEWS"
	branchesGSI1PK = "BRANCHES"
)

// TypeApplication is a membership application (member.Application): what one signup post
// asked for, kept under its person beside the member, until the address is confirmed or
// the TTL takes it.
const TypeApplication = "member_application"

const applicationPrefix = "APPLICATION#"

func applicationSK(id string) string { return applicationPrefix + id }

// applicationPut is an application's item: replaced whole when its link is sent again,
// and kept PendingRetention after that newest link (or its post, while held back).
func (s *Store) applicationPut(a member.Application) (types.TransactWriteItem, error) {
	it, err := item(a, personPK(a.Email), applicationSK(a.ID), TypeApplication)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	it[TTLAttribute] = num(a.Kept().Add(member.PendingRetention).Unix())
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: it}}, nil
}

// Application reads one of an address's applications, or member.ErrNotFound.
func (s *Store) Application(ctx context.Context, email, id string) (member.Application, error) {
	var a member.Application
	found, err := s.get(ctx, personPK(email), applicationSK(id), &a)
	if err == nil && !found {
		err = member.ErrNotFound
	}
	return a, err
}

// Applications lists the applications an address holds, oldest first.
func (s *Store) Applications(ctx context.Context, email string) ([]member.Application, error) {
	var out []member.Application
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk AND begins_with(sk, :app)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(personPK(email)), ":app": str(applicationPrefix)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query applications: %w", err)
		}
		for _, it := range page.Items {
			var a member.Application
			if err := attributevalue.UnmarshalMap(it, &a); err != nil {
				return nil, fmt.Errorf("decode application: %w", err)
			}
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	return out, nil
}

func branchPK(slug string) string { return "BRANCH#" + slug }

// memberGSI1 indexes a member under its branch, by status then signup time.
func memberGSI1(m member.Member) (string, string) {
	return "MEMBERS#" + m.Branch, m.Status + "#" + m.CreatedAt.UTC().Format(time.RFC3339) + "#" + m.ID
}

// PutBranches creates or replaces branches (the staff import, make dev's seed).
func (s *Store) PutBranches(ctx context.Context, bs []branch.Branch) error {
	for _, b := range bs {
		it, err := item(b, branchPK(b.Slug), metaSK, TypeBranch)
		if err != nil {
			return err
		}
		it["gsi1pk"], it["gsi1sk"] = str(branchesGSI1PK), str(b.Slug)
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it}); err != nil {
			return fmt.Errorf("put branch %s: %w", b.Slug, err)
		}
	}
	return nil
}

// Branches lists every branch.
func (s *Store) Branches(ctx context.Context) ([]branch.Branch, error) {
	var out []branch.Branch
	err := s.queryGSI1(ctx, branchesGSI1PK, "", func(it map[string]types.AttributeValue) error {
		var b branch.Branch
		if err := attributevalue.UnmarshalMap(it, &b); err != nil {
			return fmt.Errorf("decode branch: %w", err)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// queryGSI1 calls fn with each item under pk on GSI1 whose sort key starts with prefix.
func (s *Store) queryGSI1(ctx context.Context, pk, prefix string, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.Table), IndexName: aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if prefix != "" { // DynamoDB refuses an empty string in a key condition
		in.KeyConditionExpression = aws.String("gsi1pk = :pk AND begins_with(gsi1sk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = str(prefix)
	}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query %s: %w", keyKind(pk), err)
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// Member reads the member with a canonical address, or member.ErrNotFound.
func (s *Store) Member(ctx context.Context, email string) (member.Member, error) {
	var m member.Member
	found, err := s.get(ctx, personPK(email), memberSK, &m)
	if err == nil && !found {
		err = member.ErrNotFound
	}
	return m, err
}

func (s *Store) memberPut(m member.Member) (*types.Put, error) {
	put, err := s.put(m, personPK(m.Email), memberSK, TypeMember)
	if err != nil {
		return nil, err
	}
	pk, sk := memberGSI1(m)
	put.Item["gsi1pk"], put.Item["gsi1sk"] = str(pk), str(sk)
	if m.Status == member.StatusPending {
		put.Item[TTLAttribute] = num(pendingExpiry(m))
	}
	return put, nil
}

// pendingExpiry is when the TTL deletes a signup that was never confirmed.
func pendingExpiry(m member.Member) int64 {
	return m.NoticeSentAt.Add(member.PendingRetention).Unix()
}

// withConsent is items with the put of c, if there is one.
func (s *Store) withConsent(items []types.TransactWriteItem, c *consent.Record) ([]types.TransactWriteItem, error) {
	if c == nil {
		return items, nil
	}
	put, err := s.consentPut(*c)
	return append(items, put), err
}

func (s *Store) consentPut(c consent.Record) (types.TransactWriteItem, error) {
	put, err := s.put(c, personPK(c.Email), "CONSENT#"+c.At.Format(time.RFC3339Nano)+"#"+c.SourceID, TypeConsent)
	return types.TransactWriteItem{Put: put}, err
}

// CreateMember stores a new pending member, its first application (the member's fields,
// when m.Application names it), the confirmation email it owes and the consent record,
// if any, in one transaction; member.ErrExists if the address is taken.
func (s *Store) CreateMember(ctx context.Context, m member.Member, e outbox.Email, c *consent.Record) error {
	put, err := s.memberPut(m)
	if err != nil {
		return err
	}
	mail, err := s.emailPut(e)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: put}, mail}
	if m.Application != "" {
		app, err := s.applicationPut(member.ApplicationOf(m, m.Application))
		if err != nil {
			return err
		}
		items = append(items, app)
	}
	if items, err = s.withConsent(items, c); err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return member.ErrExists
	}
	if err != nil {
		return fmt.Errorf("create member: %w", err)
	}
	return nil
}

// Renotify records one more notice on the member and the email it sends, if the last
// notice is still prevSentAt; else member.ErrConflict.
func (s *Store) Renotify(ctx context.Context, m member.Member, prevSentAt time.Time, e outbox.Email) error {
	prev, err := attributevalue.Marshal(prevSentAt)
	if err != nil {
		return err
	}
	now, err := attributevalue.Marshal(m.NoticeSentAt)
	if err != nil {
		return err
	}
	mail, err := s.emailPut(e)
	if err != nil {
		return err
	}
	update := &types.Update{
		TableName: aws.String(s.Table), Key: key(personPK(m.Email), memberSK),
		UpdateExpression:          aws.String("SET notice_sent_at = :now, notices = :n"),
		ConditionExpression:       aws.String("notice_sent_at = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": now, ":prev": prev, ":n": num(int64(m.Notices))},
	}
	if m.Status == member.StatusPending { // kept PendingRetention after its newest link
		update.UpdateExpression = aws.String("SET notice_sent_at = :now, notices = :n, #exp = :exp")
		update.ExpressionAttributeNames = map[string]string{"#exp": TTLAttribute}
		update.ExpressionAttributeValues[":exp"] = num(pendingExpiry(m))
	}
	items := []types.TransactWriteItem{{Update: update}, mail}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return member.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("renotify member: %w", err)
	}
	return nil
}

// Reapply stores the application a (new, or one whose link is sent again), the pending
// member m as it becomes (holding a, with one more notice), the email of a's link and
// the consent record, if any, in one transaction, if the member is still the same
// pending one and its last notice still prevSentAt; else member.ErrConflict. An email
// with no To is none (an application held back by the pace: stored, nothing sent).
func (s *Store) Reapply(ctx context.Context, m member.Member, prevSentAt time.Time, a member.Application, e outbox.Email, c *consent.Record) error {
	put, err := s.memberPut(m)
	if err != nil {
		return err
	}
	prev, err := attributevalue.Marshal(prevSentAt)
	if err != nil {
		return err
	}
	put.ConditionExpression = aws.String("#s = :pending AND id = :id AND notice_sent_at = :prev")
	put.ExpressionAttributeNames = map[string]string{"#s": "status"}
	put.ExpressionAttributeValues = map[string]types.AttributeValue{":pending": str(member.StatusPending), ":id": str(m.ID), ":prev": prev}
	app, err := s.applicationPut(a)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: put}, app}
	if e.To != "" {
		mail, err := s.emailPut(e)
		if err != nil {
			return err
		}
		items = append(items, mail)
	}
	if items, err = s.withConsent(items, c); err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return member.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("reapply member: %w", err)
	}
	return nil
}

// Token reads a stored token by hash, or token.ErrNotFound.
func (s *Store) Token(ctx context.Context, hash string) (token.Token, error) {
	var t token.Token
	found, err := s.get(ctx, tokenPK(hash), metaSK, &t)
	if err == nil && !found {
		err = token.ErrNotFound
	}
	return t, err
}

// Confirm spends the token and makes the member active as c.Member (the confirmed
// application's details, replacing whatever the pending member held), deletes that
// application, and writes the emails it owes and the confirmed news consent, in one
// transaction: member.ErrLinkUsed if the token was spent or expired meanwhile,
// member.ErrNotFound if the application is gone (erased, expired), member.ErrAlreadyActive
// if the member is no longer the same pending one. Then the address's other
// applications, void now, are deleted (what a failure leaves, the TTL takes).
func (s *Store) Confirm(ctx context.Context, c member.Confirmation) error {
	m := c.Member
	put, err := s.memberPut(m)
	if err != nil {
		return err
	}
	put.ConditionExpression = aws.String("#s = :pending AND id = :id")
	put.ExpressionAttributeNames = map[string]string{"#s": "status"}
	put.ExpressionAttributeValues = map[string]types.AttributeValue{":pending": str(member.StatusPending), ":id": str(m.ID)}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(tokenPK(c.TokenHash), metaSK),
			UpdateExpression:    aws.String("SET used_at = :now"),
			ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :epoch"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":now": mustTime(s.Now().UTC()), ":epoch": num(s.Now().Unix()),
			},
		}},
		{Put: put},
		{Delete: &types.Delete{
			TableName: aws.String(s.Table), Key: key(personPK(m.Email), applicationSK(c.Application)),
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
	}
	for _, e := range c.Emails {
		mail, err := s.emailPut(e)
		if err != nil {
			return err
		}
		items = append(items, mail)
	}
	if c.Consent != nil {
		cput, err := s.consentPut(*c.Consent)
		if err != nil {
			return err
		}
		state, err := item(consent.State{Email: m.Email, Subscribed: true, ChangedAt: c.Consent.At, Source: c.Consent.Source},
			personPK(m.Email), newsSK, TypeNewsState)
		if err != nil {
			return err
		}
		items = append(items, cput, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.Table), Item: state}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok {
		switch {
		case failed[0]:
			return member.ErrLinkUsed
		case failed[2]:
			return member.ErrNotFound
		case failed[1]:
			return member.ErrAlreadyActive
		}
	}
	if err != nil {
		return fmt.Errorf("confirm member: %w", err)
	}
	s.dropApplications(ctx, m.Email)
	return nil
}

// dropApplications deletes what applications an address still holds: once it is
// confirmed they confirm nothing, and the details strangers may have typed are not ours
// to keep. It is best effort: what it leaves, the TTL takes.
func (s *Store) dropApplications(ctx context.Context, email string) {
	apps, err := s.Applications(ctx, email)
	if err != nil {
		slog.Warn("list applications to drop", "err", redact.Error(err))
		return
	}
	for _, a := range apps {
		if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table),
			Key: key(personPK(email), applicationSK(a.ID))}); err != nil {
			slog.Warn("drop application", "err", redact.Error(err))
			return
		}
	}
}

// mustTime is t as an attribute (a time always marshals).
func mustTime(t time.Time) types.AttributeValue {
	av, _ := attributevalue.Marshal(t)
	return av
}

// News reads a person's news state; ok is false when they have none.
func (s *Store) News(ctx context.Context, email string) (consent.State, bool, error) {
	var st consent.State
	ok, err := s.get(ctx, personPK(email), newsSK, &st)
	return st, ok, err
}

// NewsKey is the key of the item that holds a person's news state: for tests that age a
// withdrawal.
func NewsKey(email string) map[string]types.AttributeValue { return key(personPK(email), newsSK) }

// Withdraw records a withdrawal of news consent and sets the person's news state (and
// their member item's copy) to unsubscribed, unless it is already: then nothing is
// written and it reports false.
func (s *Store) Withdraw(ctx context.Context, rec consent.Record) (bool, error) {
	return s.setNews(ctx, rec, false, nil)
}

// Resubscribe records a new grant of news consent and sets the person's news state (and
// an active member's copy) back to subscribed, only if the state is still undo, the
// withdrawal it undoes (unsubscribed, from the same source, at the same instant): else
// nothing is written and it reports false.
func (s *Store) Resubscribe(ctx context.Context, rec consent.Record, undo consent.State) (bool, error) {
	return s.setNews(ctx, rec, true, &undo)
}

// newsWrites are the writes that make the news state subscribed from rec: the state item
// (for the caller to put under its condition), then rec's put and the member item's copy
// (an unsubscribe reaches any member; a new grant only an active one, since a pending
// member's news waits for their confirmation).
func (s *Store) newsWrites(ctx context.Context, rec consent.Record, subscribed bool) (map[string]types.AttributeValue, []types.TransactWriteItem, error) {
	m, err := s.Member(ctx, rec.Email)
	if err != nil && !errors.Is(err, member.ErrNotFound) {
		return nil, nil, err
	}
	touchMember := err == nil && (!subscribed || m.Status == member.StatusActive)
	state, err := item(consent.State{Email: rec.Email, Subscribed: subscribed, ChangedAt: rec.At, Source: rec.Source, SourceID: rec.SourceID},
		personPK(rec.Email), newsSK, TypeNewsState)
	if err != nil {
		return nil, nil, err
	}
	cput, err := s.consentPut(rec)
	if err != nil {
		return nil, nil, err
	}
	rest := []types.TransactWriteItem{cput}
	if touchMember {
		rest = append(rest, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(personPK(m.Email), memberSK),
			UpdateExpression:          aws.String("SET news = :now"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberBOOL{Value: subscribed}},
		}})
	}
	return state, rest, nil
}

// setNews writes rec and the news state subscribed with the member item's copy
// (newsWrites), unless the state is subscribed already, or, given from, unless the state
// is no longer exactly from.
func (s *Store) setNews(ctx context.Context, rec consent.Record, subscribed bool, from *consent.State) (bool, error) {
	state, rest, err := s.newsWrites(ctx, rec, subscribed)
	if err != nil {
		return false, err
	}
	cond, values := "attribute_not_exists(pk) OR subscribed = :was", map[string]types.AttributeValue{
		":was": &types.AttributeValueMemberBOOL{Value: !subscribed}}
	if from != nil {
		at, err := attributevalue.Marshal(from.ChangedAt)
		if err != nil {
			return false, err
		}
		cond = "subscribed = :was AND source_id = :sid AND changed_at = :at"
		values[":was"] = &types.AttributeValueMemberBOOL{Value: from.Subscribed}
		values[":sid"], values[":at"] = str(from.SourceID), at
	}
	items := append([]types.TransactWriteItem{{Put: &types.Put{TableName: aws.String(s.Table), Item: state,
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: values}}}, rest...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return false, nil // in that state already, or no longer in from
	}
	if err != nil {
		return false, fmt.Errorf("set news consent: %w", err)
	}
	return true, nil
}

// Members calls fn with each member of a branch (all branches when branchSlug is empty),
// of a status (any when empty), branch by branch in signup order.
func (s *Store) Members(ctx context.Context, branchSlug, status string, fn func(member.Member) error) error {
	decode := func(it map[string]types.AttributeValue) error {
		var m member.Member
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			return fmt.Errorf("decode member: %w", err)
		}
		return fn(m)
	}
	prefix := ""
	if status != "" {
		prefix = status + "#"
	}
	if branchSlug != "" {
		return s.queryGSI1(ctx, "MEMBERS#"+branchSlug, prefix, decode)
	}
	// Every branch, including members of one that was removed since: read by type.
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.Table),
		FilterExpression:          aws.String("#t = :t"),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(TypeMember)},
	}
	if status != "" {
		in.FilterExpression = aws.String("#t = :t AND #s = :s")
		in.ExpressionAttributeNames["#s"] = "status"
		in.ExpressionAttributeValues[":s"] = str(status)
	}
	var all []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan members: %w", err)
		}
		all = append(all, page.Items...)
	}
	text := func(it map[string]types.AttributeValue, name string) string {
		s, _ := it[name].(*types.AttributeValueMemberS)
		if s == nil {
			return ""
		}
		return s.Value
	}
	sort.Slice(all, func(i, j int) bool { // by branch, then status and signup time
		return text(all[i], "gsi1pk")+"\x00"+text(all[i], "gsi1sk") < text(all[j], "gsi1pk")+"\x00"+text(all[j], "gsi1sk")
	})
	for _, it := range all {
		if err := decode(it); err != nil {
			return err
		}
	}
	return nil
}

// MoveMember puts a member in another branch, if it is still in the branch it was read
// in (member.ErrConflict otherwise), with the notices that owes.
func (s *Store) MoveMember(ctx context.Context, m member.Member, fromBranch string, notices []outbox.Email) error {
	g1pk, g1sk := memberGSI1(m)
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: aws.String(s.Table), Key: key(personPK(m.Email), memberSK),
		UpdateExpression:          aws.String("SET branch = :to, routed_by = :how, gsi1pk = :g1pk, gsi1sk = :g1sk"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND branch = :from"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":to": str(m.Branch), ":how": str(m.RoutedBy), ":from": str(fromBranch), ":g1pk": str(g1pk), ":g1sk": str(g1sk)},
	}}}
	for _, e := range notices {
		mail, err := s.emailPut(e)
		if err != nil {
			return err
		}
		items = append(items, mail)
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return member.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("move member: %w", err)
	}
	return nil
}
