package httpapi

import (
	"errors"
	"math"
	"time"

	"github.com/solidarity/solidarity/shared/i18n"
)

// waitMessage is the message of a refusal that knows how long the client must wait (a
// guard's rate limit: its Wait, by the guard's own clock), in whole minutes rounded up,
// at least one: "Try again in 45 minutes."; from two hours on, in whole hours rounded up
// ("Try again in 24 hours.", not 1440 minutes). Other errors have none.
func waitMessage(err error) (i18n.Message, bool) {
	var wait interface{ Wait() time.Duration }
	if !errors.As(err, &wait) {
		return i18n.Message{}, false
	}
	mins := max(1, int(math.Ceil(wait.Wait().Minutes())))
	if mins > 120 {
		return i18n.M("error.rate_limited_wait_hours", int(math.Ceil(wait.Wait().Hours()))), true
	}
	if mins == 1 {
		return i18n.M("error.rate_limited_wait_one"), true
	}
	return i18n.M("error.rate_limited_wait", mins), true
}
