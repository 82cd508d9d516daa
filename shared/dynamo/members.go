package dynamo

import (
	"context"
	"errors"
	"fmt"
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

func (s *Store) consentPut(c consent.Record) (types.TransactWriteItem, error) {
	put, err := s.put(c, personPK(c.Email), "CONSENT#"+c.At.Format(time.RFC3339Nano)+"#"+c.SourceID, TypeConsent)
	return types.TransactWriteItem{Put: put}, err
}

// CreateMember stores a new pending member, the confirmation email it owes and the
// consent record, if any, in one transaction; member.ErrExists if the address is taken.
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
	if c != nil {
		cput, err := s.consentPut(*c)
		if err != nil {
			return err
		}
		items = append(items, cput)
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

// Token reads a stored token by hash, or token.ErrNotFound.
func (s *Store) Token(ctx context.Context, hash string) (token.Token, error) {
	var t token.Token
	found, err := s.get(ctx, tokenPK(hash), metaSK, &t)
	if err == nil && !found {
		err = token.ErrNotFound
	}
	return t, err
}

// Confirm spends the token, makes the member active, and writes the emails it owes and
// the confirmed news consent, in one transaction.
func (s *Store) Confirm(ctx context.Context, c member.Confirmation) error {
	m := c.Member
	av, err := attributevalue.MarshalMap(struct {
		Now         time.Time `dynamodbav:":now"`
		Epoch       int64     `dynamodbav:":epoch"`
		Active      string    `dynamodbav:":active"`
		Pending     string    `dynamodbav:":pending"`
		Branch      string    `dynamodbav:":branch"`
		RoutedBy    string    `dynamodbav:":routed"`
		News        bool      `dynamodbav:":news"`
		GSI1PK      string    `dynamodbav:":g1pk"`
		GSI1SK      string    `dynamodbav:":g1sk"`
		ConfirmedAt time.Time `dynamodbav:":confirmed"`
	}{Now: s.Now().UTC(), Epoch: s.Now().Unix(), Active: member.StatusActive, Pending: member.StatusPending,
		Branch: m.Branch, RoutedBy: m.RoutedBy, News: m.News, ConfirmedAt: *m.ConfirmedAt})
	if err != nil {
		return err
	}
	g1pk, g1sk := memberGSI1(m)
	av[":g1pk"], av[":g1sk"] = str(g1pk), str(g1sk)
	pick := func(names ...string) map[string]types.AttributeValue {
		out := make(map[string]types.AttributeValue, len(names))
		for _, n := range names {
			out[n] = av[n]
		}
		return out
	}
	items := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(tokenPK(c.TokenHash), metaSK),
			UpdateExpression:          aws.String("SET used_at = :now"),
			ConditionExpression:       aws.String("attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :epoch"),
			ExpressionAttributeValues: pick(":now", ":epoch"),
		}},
		{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(personPK(m.Email), memberSK),
			UpdateExpression: aws.String("SET #s = :active, confirmed_at = :confirmed, branch = :branch, routed_by = :routed, " +
				"news = :news, gsi1pk = :g1pk, gsi1sk = :g1sk REMOVE #exp"),
			ConditionExpression:       aws.String("#s = :pending"),
			ExpressionAttributeNames:  map[string]string{"#s": "status", "#exp": TTLAttribute},
			ExpressionAttributeValues: pick(":active", ":confirmed", ":branch", ":routed", ":news", ":g1pk", ":g1sk", ":pending"),
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
		case failed[1]:
			return member.ErrAlreadyActive
		}
	}
	if err != nil {
		return fmt.Errorf("confirm member: %w", err)
	}
	return nil
}

// Withdraw records a withdrawal of news consent and sets the person's news state (and
// their member item's copy) to unsubscribed, unless it is already: then nothing is
// written and it reports false.
func (s *Store) Withdraw(ctx context.Context, rec consent.Record) (bool, error) {
	return s.setNews(ctx, rec, false)
}

// Resubscribe records a new grant of news consent and sets the person's news state (and
// an active member's copy) back to subscribed, unless it is already: then nothing is
// written and it reports false. It undoes Withdraw.
func (s *Store) Resubscribe(ctx context.Context, rec consent.Record) (bool, error) {
	return s.setNews(ctx, rec, true)
}

// setNews writes rec and the news state subscribed, with the member item's copy (an
// unsubscribe reaches any member; a new grant only an active one, since a pending
// member's news waits for their confirmation), unless the state is subscribed already.
func (s *Store) setNews(ctx context.Context, rec consent.Record, subscribed bool) (bool, error) {
	m, err := s.Member(ctx, rec.Email)
	if err != nil && !errors.Is(err, member.ErrNotFound) {
		return false, err
	}
	touchMember := err == nil && (!subscribed || m.Status == member.StatusActive)
	state, err := item(consent.State{Email: rec.Email, Subscribed: subscribed, ChangedAt: rec.At, Source: rec.Source},
		personPK(rec.Email), newsSK, TypeNewsState)
	if err != nil {
		return false, err
	}
	cput, err := s.consentPut(rec)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.Table), Item: state,
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR subscribed = :was"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":was": &types.AttributeValueMemberBOOL{Value: !subscribed}}}},
		cput,
	}
	if touchMember {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.Table), Key: key(personPK(m.Email), memberSK),
			UpdateExpression:          aws.String("SET news = :now"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberBOOL{Value: subscribed}},
		}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := cancelled(err, len(items)); ok && failed[0] {
		return false, nil // in that state already
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
