package config

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Retryer is the SDK's standard retryer (maxAttempts in all, 0 for its default) that
// also retries a DynamoDB transaction cancelled only because another transaction was
// writing the same item at that moment (a hot item, such as an appeal's totals on
// appeal night): DynamoDB applied none of it, and the same request succeeds a moment
// later. The SDK's own list leaves that cancellation, and the conflict of a single-item
// write with a transaction, to the caller.
func Retryer(maxAttempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			if maxAttempts > 0 {
				o.MaxAttempts = maxAttempts
			}
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(conflictOnly)}, o.Retryables...)
		})
	}
}

// conflictOnly: true for a transaction cancelled by conflicts and nothing else (a failed
// condition is an answer, not a fault); unknown for any other error.
func conflictOnly(err error) aws.Ternary {
	var single *types.TransactionConflictException // a single-item write meeting a transaction
	if errors.As(err, &single) {
		return aws.TrueTernary
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) == 0 {
		return aws.UnknownTernary
	}
	conflict := false
	for _, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return aws.UnknownTernary
		}
	}
	return aws.BoolTernary(conflict)
}
