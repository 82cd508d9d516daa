package webhook

import (
	"context"
	"log/slog"

	stripe "github.com/stripe/stripe-go/v76"
)

// sessionNotOurs logs, by id, a Checkout session that names no donation of ours in our
// metadata (another flow's, a Payment Link's, another system's on the same account):
// acknowledged and changing nothing, whatever its client_reference_id says.
func sessionNotOurs(ctx context.Context, ev stripe.Event, s stripe.CheckoutSession) {
	slog.InfoContext(ctx, "stripe session not ours", "event_id", ev.ID, "type", string(ev.Type),
		"session_id", s.ID, "has_client_reference", s.ClientReferenceID != "")
}
