package faults

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
)

func TestMain(m *testing.M) { os.Exit(emulator.Run(m)) }

// TestEachFaultReachesTheSDKAsAWSWouldAnswer: every injected fault is parsed by the SDK
// as the error AWS would return, and only the lost answer leaves the call applied.
func TestEachFaultReachesTheSDKAsAWSWouldAnswer(t *testing.T) {
	env := emulator.Get(t)
	ctx := context.Background()
	table := emulator.TableName(t)
	if err := dynamo.CreateTable(ctx, env.DB(), table); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rates   Rates
		kind    string
		code    string
		applied bool
	}{
		{Rates{InternalError: 1}, KindInternalError, "InternalServerError", false},
		{Rates{Throttle: 1}, KindThrottle, "ProvisionedThroughputExceededException", false},
		{Rates{Conflict: 1}, KindConflict, "TransactionCanceledException", false},
		{Rates{LostAnswer: 1}, KindLostAnswer, "InternalServerError", true},
	}
	for i, c := range cases {
		p, err := New(env.Moto.URL, c.rates, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(p)
		cfg := emulator.AWSConfig(srv.URL)
		cfg.RetryMaxAttempts, cfg.Retryer = 1, nil // see each fault once
		db := dynamodb.NewFromConfig(cfg)
		p.On()
		pk := "FAULT#" + c.kind
		_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}}},
			{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "OTHER"}}}},
		}})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != c.code {
			t.Errorf("%s: error %v, want %s", c.kind, err, c.code)
		}
		if c.kind == KindConflict {
			var tce *types.TransactionCanceledException
			if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[1].Code) != "TransactionConflict" {
				t.Errorf("conflict reasons: %v", err)
			}
		}
		p.Off()
		got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: "META"}}})
		if err != nil {
			t.Fatal(err)
		}
		if (got.Item != nil) != c.applied {
			t.Errorf("%s: applied %v, want %v", c.kind, got.Item != nil, c.applied)
		}
		if counts, _ := p.Counts(); counts[c.kind] != 1 {
			t.Errorf("%s: counts %v", c.kind, counts)
		}
		srv.Close()
	}

	p, err := New(env.Moto.URL, Rates{SESThrottle: 1}, 9)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	cfg := emulator.AWSConfig(srv.URL)
	cfg.RetryMaxAttempts, cfg.Retryer = 1, nil
	ses := sesv2.NewFromConfig(cfg)
	send := func() error {
		_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("appeal@solidarity.example"),
			Destination: &sestypes.Destination{ToAddresses: []string{"fault@example.org"}},
			Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")},
				Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}}}})
		return err
	}
	p.On()
	var tooMany *sestypes.TooManyRequestsException
	if err := send(); !errors.As(err, &tooMany) {
		t.Errorf("ses throttle: %v", err)
	}
	p.SESOutage(true)
	var api smithy.APIError
	if err := send(); !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailable" {
		t.Errorf("ses outage: %v", err)
	}
	if n := len(env.SentEmails(t, "fault@example.org")); n != 0 {
		t.Errorf("%d sent through faults", n)
	}
	if counts, calls := p.Counts(); counts[KindSESThrottle] != 1 || counts[KindSESOutage] != 1 || calls != 2 {
		t.Errorf("counts %v of %d", counts, calls)
	}
}
