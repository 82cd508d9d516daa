package faults

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// contentionCase is a fresh table behind a proxy, and a client that tries each call once.
type contentionCase struct {
	p     *Proxy
	url   string
	db    *dynamodb.Client
	table string
}

func newContentionCase(t *testing.T, c *Contention) *contentionCase {
	t.Helper()
	env := emulator.Get(t)
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
		t.Fatal(err)
	}
	p, err := New(env.Moto.URL, Rates{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.Contention = c
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	cfg := emulator.AWSConfig(srv.URL)
	cfg.RetryMaxAttempts, cfg.Retryer = 1, nil // see each conflict once
	return &contentionCase{p: p, url: srv.URL, db: dynamodb.NewFromConfig(cfg), table: table}
}

func itemKey(sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "HOT"}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

func (c *contentionCase) put(sk string) types.TransactWriteItem {
	it := itemKey(sk)
	it["by"] = &types.AttributeValueMemberS{Value: "transaction"}
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(c.table), Item: it}}
}

func (c *contentionCase) add(sk string, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(c.table), Key: itemKey(sk),
		UpdateExpression:          aws.String("ADD n :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}}}}
}

func (c *contentionCase) tx(db *dynamodb.Client, items ...types.TransactWriteItem) error {
	_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

// get returns the item's attributes by and n, and whether it exists.
func (c *contentionCase) get(t *testing.T, sk string) (by, n string, ok bool) {
	t.Helper()
	out, err := c.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: itemKey(sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return "", "", false
	}
	if v, ok := out.Item["by"].(*types.AttributeValueMemberS); ok {
		by = v.Value
	}
	if v, ok := out.Item["n"].(*types.AttributeValueMemberN); ok {
		n = v.Value
	}
	return by, n, true
}

// reasons returns the cancellation reasons' codes of a cancelled transaction, or fails.
func reasons(t *testing.T, what string, err error) []string {
	t.Helper()
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("%s: %v, want TransactionCanceledException", what, err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
		if aws.ToString(r.Code) == "TransactionConflict" && aws.ToString(r.Message) != "Transaction is ongoing for the item" {
			t.Errorf("%s: reason message %q", what, aws.ToString(r.Message))
		}
	}
	return codes
}

// TestContentionCancelsWhatMeetsAHeldItem: while a transaction holds its items (kept held
// by the Held hook, no timing involved), a transaction naming one of them, through any
// action, is cancelled with TransactionConflict at that item and applies nothing; a
// single-item write of one is refused with TransactionConflictException and applies
// nothing; reads and transactions on other items pass; the project's retryer retries the
// conflict; once the first has been answered, all of it goes through.
func TestContentionCancelsWhatMeetsAHeldItem(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	var holds atomic.Int32
	c := newContentionCase(t, &Contention{HoldMedian: time.Millisecond, HoldP99: time.Millisecond, Held: func() {
		if holds.Add(1) == 1 {
			close(held)
			<-release
		}
	}})
	var released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	t.Cleanup(unblock) // a failed test closes its server only once the first has its answer
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { first <- c.tx(c.db, c.put("A"), c.add("B", 1)) }()
	select {
	case <-held:
	case err := <-first:
		t.Fatalf("the first transaction was answered before holding its items: %v", err)
	}

	// Each action naming a held item (A or B) cancels the transaction, at that item only.
	for _, second := range []struct {
		what string
		item types.TransactWriteItem
	}{
		{"put", c.put("A")},
		{"update", c.add("B", 5)},
		{"delete", types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(c.table), Key: itemKey("A")}}},
		{"condition check", types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(c.table), Key: itemKey("B"),
			ConditionExpression: aws.String("attribute_not_exists(nope)")}}},
	} {
		err := c.tx(c.db, c.put("C"), second.item)
		if got := reasons(t, second.what, err); !slices.Equal(got, []string{"None", "TransactionConflict"}) {
			t.Errorf("%s: reasons %v, want [None TransactionConflict]", second.what, got)
		}
	}
	// Other items: applied at once.
	if err := c.tx(c.db, c.put("D"), c.add("E", 2)); err != nil {
		t.Errorf("a transaction on other items: %v", err)
	}
	// Single-item writes of a held item: refused.
	var single *types.TransactionConflictException
	it := itemKey("A")
	it["by"] = &types.AttributeValueMemberS{Value: "single"}
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: it}); !errors.As(err, &single) {
		t.Errorf("put of a held item: %v, want TransactionConflictException", err)
	}
	if _, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(c.table), Key: itemKey("B"),
		UpdateExpression: aws.String("SET #by = :s"), ExpressionAttributeNames: map[string]string{"#by": "by"}, ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": &types.AttributeValueMemberS{Value: "single"}}}); !errors.As(err, &single) {
		t.Errorf("update of a held item: %v, want TransactionConflictException", err)
	}
	if _, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(c.table), Key: itemKey("D")}); err != nil {
		t.Errorf("delete of another item: %v", err)
	}
	// Reads: a GetItem passes (and sees the item as it was), a TransactGetItems conflicts.
	if _, _, ok := c.get(t, "A"); ok {
		t.Error("the held transaction is visible before it was forwarded")
	}
	_, err := c.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String(c.table), Key: itemKey("E")}},
		{Get: &types.Get{TableName: aws.String(c.table), Key: itemKey("B")}},
	}})
	if got := reasons(t, "transactional read", err); !slices.Equal(got, []string{"None", "TransactionConflict"}) {
		t.Errorf("transactional read: reasons %v, want [None TransactionConflict]", got)
	}
	if _, err := c.db.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String(c.table), Key: itemKey("E")}}}}); err != nil {
		t.Errorf("transactional read of other items: %v", err)
	}
	// The project's retryer (emulator.AWSConfig: 2 attempts) retries the conflict.
	if err := c.tx(dynamodb.NewFromConfig(emulator.AWSConfig(c.url)), c.add("B", 7)); err == nil {
		t.Error("a retried transaction on a held item applied")
	}
	counts, _ := c.p.Counts()
	if counts[KindHeldTransaction] != 4+1+2 || counts[KindHeldWrite] != 2 {
		t.Errorf("while held: counts %v, want 7 cancelled transactions (2 of them one retried) and 2 refused writes", counts)
	}

	unblock()
	if err := <-first; err != nil {
		t.Fatalf("the first transaction: %v", err)
	}
	if by, n, _ := c.get(t, "A"); by != "transaction" || n != "" {
		t.Errorf("A: by %q n %q, want only the first transaction's put", by, n)
	}
	if by, n, _ := c.get(t, "B"); by != "" || n != "1" {
		t.Errorf("B: by %q n %q, want only the first transaction's add", by, n)
	}
	if _, _, ok := c.get(t, "C"); ok {
		t.Error("C: a cancelled transaction applied")
	}
	if _, n, _ := c.get(t, "E"); n != "2" {
		t.Errorf("E: n %q, want the other items' transaction applied", n)
	}
	// Released: the same calls go through.
	if err := c.tx(c.db, c.put("C"), c.add("B", 5)); err != nil {
		t.Errorf("after the release, a transaction: %v", err)
	}
	if _, err := c.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: it}); err != nil {
		t.Errorf("after the release, a put: %v", err)
	}
	if by, _, _ := c.get(t, "A"); by != "single" {
		t.Errorf("A after the release: by %q, want single", by)
	}
	if _, n, _ := c.get(t, "B"); n != "6" {
		t.Errorf("B after the release: n %q, want 6", n)
	}
	counts, _ = c.p.Counts()
	// first, 4 cancelled, other items, 2 transactional reads, 2 attempts, after the release
	if n := c.p.Transactions(); n != 1+4+1+2+2+1 || counts[KindHeldTransaction] != 7 || counts[KindHeldWrite] != 2 {
		t.Errorf("%d transactions, counts %v", n, counts)
	}
	if s := c.p.Summary(); !strings.Contains(s, "11 transactions") {
		t.Errorf("summary %q", s)
	}
	if n := holds.Load(); n != 3 { // first, other items, after the release: reads hold nothing
		t.Errorf("%d transactions held their items, want 3", n)
	}
}

// TestWithoutContentionNothingConflicts: with Contention unset, a transaction held up
// before it is forwarded leaves every other call on its items to the emulator.
func TestWithoutContentionNothingConflicts(t *testing.T) {
	c := newContentionCase(t, nil)
	held, release := make(chan struct{}), make(chan struct{})
	var txs atomic.Int32
	c.p.Observe = func(r *http.Request, _ []byte) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".TransactWriteItems") && txs.Add(1) == 1 {
			close(held)
			<-release
		}
	}
	var released sync.Once
	unblock := func() { released.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	first := make(chan error, 1)
	go func() { first <- c.tx(c.db, c.put("A"), c.add("B", 1)) }()
	<-held
	if err := c.tx(c.db, c.put("C"), c.add("B", 5)); err != nil {
		t.Errorf("a transaction on the same item: %v", err)
	}
	if _, err := c.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(c.table), Item: itemKey("A")}); err != nil {
		t.Errorf("a put of the same item: %v", err)
	}
	unblock()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, n, _ := c.get(t, "B"); n != "6" {
		t.Errorf("B: n %q, want 6", n)
	}
	if counts, calls := c.p.Counts(); len(counts) != 0 || calls != 0 || c.p.Transactions() != 0 || c.p.Summary() != "0 calls" {
		t.Errorf("counts %v of %d calls, %d transactions, summary %q", counts, calls, c.p.Transactions(), c.p.Summary())
	}
}

// TestHoldTimeDistribution: for a fixed seed, the drawn hold times have the median and
// 99th percentile asked for (12 ms and 40 ms by default), within a few per cent.
func TestHoldTimeDistribution(t *testing.T) {
	for _, c := range []struct {
		contention  Contention
		median, p99 time.Duration
	}{
		{Contention{}, 12 * time.Millisecond, 40 * time.Millisecond},
		{Contention{HoldMedian: 5 * time.Millisecond, HoldP99: 30 * time.Millisecond}, 5 * time.Millisecond, 30 * time.Millisecond},
		{Contention{HoldMedian: 3 * time.Millisecond, HoldP99: 3 * time.Millisecond}, 3 * time.Millisecond, 3 * time.Millisecond},
	} {
		p, err := New("http://emulator.invalid", Rates{}, 20)
		if err != nil {
			t.Fatal(err)
		}
		p.Contention = &c.contention
		draws := make([]time.Duration, 20000)
		for i := range draws {
			draws[i] = p.holdTime()
		}
		slices.Sort(draws)
		median, p99 := draws[len(draws)/2], draws[len(draws)*99/100]
		near := func(got, want time.Duration, share float64) bool {
			return float64(got) >= float64(want)*(1-share) && float64(got) <= float64(want)*(1+share)
		}
		t.Logf("%v/%v asked: median %v, p99 %v, min %v, max %v", c.contention.HoldMedian, c.contention.HoldP99, median, p99, draws[0], draws[len(draws)-1])
		if !near(median, c.median, 0.03) || !near(p99, c.p99, 0.06) || draws[0] <= 0 {
			t.Errorf("%+v: median %v p99 %v min %v, want %v and %v", c.contention, median, p99, draws[0], c.median, c.p99)
		}
	}
}

// TestDrawnHoldOnly: with DrawnHoldOnly a transaction's items are free once its hold time
// ends, while the emulator (kept from answering by a second proxy behind the first) has
// not answered it yet; without, they stay held until it has.
func TestDrawnHoldOnly(t *testing.T) {
	for _, drawnOnly := range []bool{true, false} {
		env := emulator.Get(t)
		table := emulator.TableName(t) + strconv.FormatBool(drawnOnly)
		if err := dynamo.CreateTable(context.Background(), env.DB(), table); err != nil {
			t.Fatal(err)
		}
		inner, err := New(env.Moto.URL, Rates{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		atEmulator, release := make(chan struct{}), make(chan struct{})
		var txs atomic.Int32
		inner.Observe = func(r *http.Request, _ []byte) {
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".TransactWriteItems") && txs.Add(1) == 1 {
				close(atEmulator)
				<-release
			}
		}
		var released sync.Once
		unblock := func() { released.Do(func() { close(release) }) }
		innerSrv := httptest.NewServer(inner)
		outer, err := New(innerSrv.URL, Rates{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		outer.Contention = &Contention{HoldMedian: time.Millisecond, HoldP99: time.Millisecond, DrawnHoldOnly: drawnOnly}
		outerSrv := httptest.NewServer(outer)
		cfg := emulator.AWSConfig(outerSrv.URL)
		cfg.RetryMaxAttempts, cfg.Retryer = 1, nil
		c := &contentionCase{p: outer, url: outerSrv.URL, db: dynamodb.NewFromConfig(cfg), table: table}
		first := make(chan error, 1)
		go func() { first <- c.tx(c.db, c.put("A"), c.add("B", 1)) }()
		<-atEmulator
		err = c.tx(c.db, c.put("C"), c.add("B", 5))
		if drawnOnly && err != nil {
			t.Errorf("drawn hold only: a transaction on an item whose hold ended: %v", err)
		}
		if !drawnOnly {
			if got := reasons(t, "held until answered", err); !slices.Equal(got, []string{"None", "TransactionConflict"}) {
				t.Errorf("held until answered: reasons %v", got)
			}
		}
		unblock()
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: "6", false: "1"}[drawnOnly]
		if _, n, _ := c.get(t, "B"); n != want {
			t.Errorf("drawn hold only %v: B n %q, want %s", drawnOnly, n, want)
		}
		outerSrv.Close()
		innerSrv.Close()
	}
}
