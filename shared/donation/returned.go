package donation

import (
	"crypto/subtle"
	"time"
)

// RestateFor is how long after a gift or a subscription was made the page Checkout
// returns to restates it: the address stays in the browser's history, and a day on,
// whoever uses that browser gets the plain page.
const RestateFor = 24 * time.Hour

// Returned reports whether the page Checkout returned to with the session id session may
// restate a record whose own Checkout session is checkoutID and that was made at created:
// the session id is the secret only Checkout's return carries (Stripe fills it in), so a
// stranger's link, or another session's, restates nobody's record.
func Returned(checkoutID, session string, created, now time.Time) bool {
	if checkoutID == "" || session == "" || len(session) > 255 {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(checkoutID), []byte(session)) != 1 {
		return false
	}
	return now.Sub(created) <= RestateFor
}
