package config

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestRetryerRetriesTransactionConflictsOnly(t *testing.T) {
	reasons := func(codes ...string) error {
		var rs []types.CancellationReason
		for _, c := range codes {
			rs = append(rs, types.CancellationReason{Code: aws.String(c)})
		}
		return &types.TransactionCanceledException{CancellationReasons: rs}
	}
	r := Retryer(3)()
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"conflict", reasons("TransactionConflict"), true},
		{"conflict beside untouched items", reasons("None", "TransactionConflict", "None"), true},
		{"failed condition", reasons("ConditionalCheckFailed", "None"), false},
		{"failed condition and conflict", reasons("ConditionalCheckFailed", "TransactionConflict"), false},
		{"no reasons", reasons(), false},
		{"single write meets a transaction", &types.TransactionConflictException{Message: aws.String("ongoing")}, true},
		{"throttled", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, true},
		{"plain error", errors.New("boom"), false},
	} {
		if got := r.IsErrorRetryable(c.err); got != c.want {
			t.Errorf("%s: retryable %v, want %v", c.name, got, c.want)
		}
	}
	if r.MaxAttempts() != 3 {
		t.Errorf("max attempts %d", r.MaxAttempts())
	}
}
