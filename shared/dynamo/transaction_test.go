package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// TestCancelledTransactionChangesNothing holds the local emulator (infra/local/
// moto_single.py, which undoes a cancelled transaction item by item instead of copying
// the table) to DynamoDB's rule: a cancelled transaction leaves no item changed, none
// created and no stream record; a transaction that succeeds applies every item.
func TestCancelledTransactionChangesNothing(t *testing.T) {
	env := emulator.Get(t)
	ctx, db, table := context.Background(), env.DB(), emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": s(pk), "sk": s("META")}
	}
	for _, pk := range []string{"KEPT", "TAKEN"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
			Item: map[string]types.AttributeValue{"pk": s(pk), "sk": s("META"), "v": s("before")}}); err != nil {
			t.Fatal(err)
		}
	}
	records := func() int {
		desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		streams := dynamodbstreams.NewFromConfig(env.AWS)
		arn := desc.Table.LatestStreamArn
		ds, err := streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sh := range ds.StreamDescription.Shards {
			it, err := streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: sh.ShardId,
				ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				t.Fatal(err)
			}
			out, err := streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1000)})
			if err != nil {
				t.Fatal(err)
			}
			n += len(out.Records)
		}
		return n
	}
	before := records()
	update := types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: key("KEPT"),
		UpdateExpression: aws.String("SET v = :after"), ExpressionAttributeValues: map[string]types.AttributeValue{":after": s("after")}}}
	create := types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s("NEW"), "sk": s("META")}}}
	taken := types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: key("TAKEN"),
		ConditionExpression: aws.String("attribute_not_exists(pk)")}}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{update, create, taken}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("not cancelled: %v", err)
	}
	get := func(pk string) map[string]types.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(pk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if v := get("KEPT")["v"].(*types.AttributeValueMemberS).Value; v != "before" {
		t.Errorf("the cancelled update stayed: %s", v)
	}
	if get("NEW") != nil {
		t.Error("the cancelled put stayed")
	}
	if n := records() - before; n != 0 {
		t.Errorf("the cancelled transaction left %d stream records", n)
	}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{update, create}}); err != nil {
		t.Fatal(err)
	}
	if v := get("KEPT")["v"].(*types.AttributeValueMemberS).Value; v != "after" || get("NEW") == nil {
		t.Errorf("the transaction was not applied: %s", v)
	}
	if n := records() - before; n != 2 {
		t.Errorf("%d stream records, want 2", n)
	}
}
