package staff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
)

// Limits of offline void's -reason and -by.
const (
	maxVoidReason = 500
	maxVoidBy     = 100
)

// checkVoid checks offline void's arguments (already trimmed) and says, in one sentence,
// what is wrong: an id and a reason are required, the reason and the name are one line
// of printable text, of at most maxVoidReason and maxVoidBy characters.
func checkVoid(id, reason, by string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: -id is required: the offline gift's id, as offline add printed it", ErrUsage)
	case reason == "":
		return fmt.Errorf("%w: -reason is required: say why the gift is voided, such as \"cheque returned by the bank\"", ErrUsage)
	case !oneLine(id) || utf8.RuneCountInString(id) > 200:
		return fmt.Errorf("%w: -id must be one line of at most 200 characters", ErrUsage)
	case !oneLine(reason) || utf8.RuneCountInString(reason) > maxVoidReason:
		return fmt.Errorf("%w: -reason must be one line of at most %d characters", ErrUsage, maxVoidReason)
	case by == "":
		return fmt.Errorf("%w: -by is required here (the computer's user name is unknown): say who voids the gift", ErrUsage)
	case !oneLine(by) || utf8.RuneCountInString(by) > maxVoidBy:
		return fmt.Errorf("%w: -by must be one line of at most %d characters", ErrUsage, maxVoidBy)
	}
	return nil
}

// oneLine reports whether s is valid UTF-8 without control characters.
func oneLine(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// whoRuns is who runs the tool, for offline void without -by: Sources.User, else the
// computer's user name.
func whoRuns(src Sources) string {
	if src.User != nil {
		return strings.TrimSpace(src.User())
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, v := range []string{"USER", "USERNAME"} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" {
			return s
		}
	}
	return ""
}

// voidOffline runs `staff offline void`: the gift stays in the table, marked voided with
// who, when (the tool's clock) and why, and leaves its campaign's total once.
func voidOffline(ctx context.Context, store Store, src Sources, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("offline void")
	id := fs.String("id", "", "")
	reason := fs.String("reason", "", "")
	by := fs.String("by", "", "")
	camp := fs.String("campaign", "", "")
	if err := fs.Parse(args); err != nil {
		return err // one sentence (messages.go); a -reason of several words must be quoted
	}
	who := strings.TrimSpace(*by)
	if who == "" {
		who = whoRuns(src)
	}
	gid, why := strings.TrimSpace(*id), strings.TrimSpace(*reason)
	if err := checkVoid(gid, why, who); err != nil || checking(ctx) {
		return err
	}
	g, err := store.VoidOfflineGift(ctx, gid, strings.TrimSpace(*camp), dynamo.Void{By: who, Reason: why, At: now.UTC()})
	var already *dynamo.AlreadyVoided
	var ambiguous *dynamo.AmbiguousOfflineID
	switch {
	case errors.As(err, &already):
		fmt.Fprintf(out, "offline gift %s was already voided%s; nothing changed\n", gid, voidedBy(already.Gift))
		return nil
	case errors.As(err, &ambiguous):
		return fmt.Errorf("offline gift %s is recorded in campaigns %s: say which with -campaign; nothing changed",
			gid, strings.Join(ambiguous.Campaigns, ", "))
	case errors.Is(err, dynamo.ErrOnlineGift):
		return fmt.Errorf("%s is an online donation, not an offline gift: nothing changed; refund it in Stripe's dashboard instead", gid)
	case errors.Is(err, dynamo.ErrNoOfflineGift):
		return fmt.Errorf("no offline gift has the id %q: nothing changed (staff report donations lists the ids)", gid)
	case err != nil:
		return err
	}
	total := ""
	if c, err := store.CampaignSettings(ctx, g.Campaign); err == nil {
		total = fmt.Sprintf("; %s's offline total is now %s", g.Campaign, i18n.FormatCents(i18n.EN, c.OfflineCents))
	}
	fmt.Fprintf(out, "voided offline gift %s (%s by %s to %s, received on %s)%s\n", g.ID,
		i18n.FormatCents(i18n.EN, g.AmountCents), g.Method, g.Campaign, g.ReceivedOn, total)
	return nil
}

// voidedBy says when, by whom and why g was voided: " on 2026-11-21 14:03 UTC by ana (cheque returned)".
func voidedBy(g dynamo.OfflineGift) string {
	s := ""
	if g.VoidedAt != nil {
		s = " on " + g.VoidedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	return fmt.Sprintf("%s by %s (%s)", s, g.VoidedBy, g.VoidReason)
}

// offlineTaken is offline add's sentence when the gift's id is taken, with the amount of
// the gift that holds it written in lang.
func offlineTaken(taken *dynamo.OfflineIDTaken, lang i18n.Lang) error {
	g := taken.Existing
	if g.Voided {
		return fmt.Errorf("offline gift %s was recorded and then voided%s: its id is spent, nothing changed; "+
			"record the correction under a new -id", g.ID, voidedBy(g))
	}
	if g.Campaign == "" { // the id's marker without its gift: never written so
		return fmt.Errorf("the offline gift id %s is taken: nothing changed; record the gift under a new -id", g.ID)
	}
	return fmt.Errorf("offline gift %s is already recorded, for %s by %s to %s received on %s: nothing changed; "+
		"if that gift is wrong, void it (staff offline void -id %s -reason …) and record the correction under a new -id",
		g.ID, i18n.FormatCents(lang, g.AmountCents), g.Method, g.Campaign, g.ReceivedOn, g.ID)
}

// voidedGift is a voided offline gift as campaign show lists it.
type voidedGift struct {
	ID          string    `json:"id"`
	AmountCents int64     `json:"amount_cents"`
	Method      string    `json:"method"`
	ReceivedOn  string    `json:"received_on"`
	VoidedAt    time.Time `json:"voided_at"`
	VoidedBy    string    `json:"voided_by"`
	Reason      string    `json:"reason"`
}

// voidedGifts lists the voided gifts of campaign slug, and their total.
func voidedGifts(ctx context.Context, store Store, slug string) ([]voidedGift, int64, error) {
	gifts, err := store.OfflineGifts(ctx, slug)
	if err != nil {
		return nil, 0, err
	}
	out, total := []voidedGift{}, int64(0)
	for _, g := range gifts {
		if !g.Voided {
			continue
		}
		v := voidedGift{ID: g.ID, AmountCents: g.AmountCents, Method: g.Method, ReceivedOn: g.ReceivedOn, VoidedBy: g.VoidedBy, Reason: g.VoidReason}
		if g.VoidedAt != nil {
			v.VoidedAt = g.VoidedAt.UTC()
		}
		out = append(out, v)
		total += g.AmountCents
	}
	return out, total, nil
}
