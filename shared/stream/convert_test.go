package stream

import (
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestFromEvent(t *testing.T) {
	img := map[string]events.DynamoDBAttributeValue{
		"s":    events.NewStringAttribute("Élise"),
		"n":    events.NewNumberAttribute("2500"),
		"bool": events.NewBooleanAttribute(true),
		"null": events.NewNullAttribute(),
		"b":    events.NewBinaryAttribute([]byte{0, 1}),
		"ss":   events.NewStringSetAttribute([]string{"a", "b"}),
		"ns":   events.NewNumberSetAttribute([]string{"1", "2"}),
		"bs":   events.NewBinarySetAttribute([][]byte{{1}}),
		"l":    events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("x"), events.NewNumberAttribute("1")}),
		"m":    events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"city": events.NewStringAttribute("Montréal")}),
	}
	got, err := FromEvent(img)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]types.AttributeValue{
		"s":    &types.AttributeValueMemberS{Value: "Élise"},
		"n":    &types.AttributeValueMemberN{Value: "2500"},
		"bool": &types.AttributeValueMemberBOOL{Value: true},
		"null": &types.AttributeValueMemberNULL{Value: true},
		"b":    &types.AttributeValueMemberB{Value: []byte{0, 1}},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}}},
		"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"}}},
		"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": &types.AttributeValueMemberS{Value: "Montréal"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	var v struct {
		S string            `dynamodbav:"s"`
		N int64             `dynamodbav:"n"`
		M map[string]string `dynamodbav:"m"`
	}
	if err := attributevalue.UnmarshalMap(got, &v); err != nil || v.S != "Élise" || v.N != 2500 || v.M["city"] != "Montréal" {
		t.Fatalf("%+v %v", v, err)
	}
}
