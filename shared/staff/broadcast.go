package staff

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/ids"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// BroadcastStore is what the broadcast commands need of the table (*dynamo.Store).
type BroadcastStore interface {
	CreateBroadcast(ctx context.Context, b broadcast.Broadcast) error
	Broadcast(ctx context.Context, id string) (broadcast.Broadcast, error)
	SetBroadcastState(ctx context.Context, id, from, to string) error
	ExpandAudience(ctx context.Context, a broadcast.Audience, fn func(broadcast.Recipient) error) error
	QueueRecipient(ctx context.Context, id string, r broadcast.Recipient) (bool, error)
	QueueTest(ctx context.Context, id, address, lang string) (outbox.Key, outbox.Email, error)
	BroadcastReport(ctx context.Context, id string) (broadcast.Report, error)
}

// BroadcastConfirmAbove is the audience size over which send asks a second
// confirmation (-confirm-large N, N the size), unless BROADCAST_CONFIRM_ABOVE says
// another.
const BroadcastConfirmAbove = 1000

// broadcastCommand runs `staff broadcast SUBCOMMAND`.
func broadcastCommand(ctx context.Context, store Store, src Sources, sub string, args []string, out io.Writer) error {
	switch sub {
	case "create":
		return createBroadcast(ctx, store, src, args, out)
	case "preview":
		return previewBroadcast(ctx, store, args, out)
	case "test":
		return testBroadcast(ctx, store, src, args, out)
	case "send":
		return sendBroadcast(ctx, store, src, args, out)
	case "cancel":
		return cancelBroadcast(ctx, store, args, out)
	case "report":
		return reportBroadcast(ctx, store, args, out)
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, "broadcast "+sub)
}

// broadcastRefusal is a usage error of broadcast command sub, in one sentence (Explain
// adds the command's usage line from Usage).
func broadcastRefusal(sub, sentence string) error {
	return fmt.Errorf("%w: %s", ErrUsage, sentence)
}

// parseBroadcastFlags parses the flags of broadcast command sub, a refusal naming its usage.
func parseBroadcastFlags(sub string, fs *flagSet, args []string) error {
	return fs.Parse(args) // its refusals are one sentence; Explain adds the usage line
}

// broadcastID reads a broadcast, its absence said in one sentence.
func broadcastID(ctx context.Context, store Store, id string) (broadcast.Broadcast, error) {
	b, err := store.Broadcast(ctx, id)
	if errors.Is(err, dynamo.ErrBroadcastNotFound) {
		return b, fmt.Errorf("no broadcast %q (broadcast create prints the id)", id)
	}
	return b, err
}

// refusalText is a refusal of package broadcast in English, else err as it is.
func refusalText(err error) string {
	var refused *broadcast.Error
	if errors.As(err, &refused) {
		return i18n.Text(i18n.EN, refused.Message())
	}
	return err.Error()
}

func createBroadcast(ctx context.Context, store Store, src Sources, args []string, out io.Writer) error {
	fs := newFlags("broadcast create")
	en := fs.String("en", "", "")
	fr := fs.String("fr", "", "")
	spec := fs.String("audience", "", "")
	if err := parseBroadcastFlags("create", fs, args); err != nil {
		return err
	}
	if *en == "" || *fr == "" {
		return broadcastRefusal("create", "-en and -fr are required: the message in English and in French, each a file whose first line is # Subject.")
	}
	if *spec == "" {
		return broadcastRefusal("create", "-audience is required.")
	}
	a, err := broadcast.ParseAudience(*spec)
	if err != nil {
		return broadcastRefusal("create", "-audience: "+refusalText(err))
	}
	if checking(ctx) {
		return nil
	}
	if err := audienceExists(ctx, store, a); err != nil {
		return err
	}
	b := broadcast.Broadcast{ID: ids.New("bc"), Audience: a, CreatedBy: whoRuns(src), CreatedAt: src.now().UTC()}
	for _, f := range []struct {
		flag, path string
		subject    *string
		body       *string
	}{{"en", *en, &b.SubjectEN, &b.BodyEN}, {"fr", *fr, &b.SubjectFR, &b.BodyFR}} {
		data, err := readLimited(f.path, broadcast.MaxFile)
		if err != nil {
			return broadcastRefusal("create", fmt.Sprintf("-%s %s: %v", f.flag, f.path, err))
		}
		if *f.subject, *f.body, err = broadcast.ParseMessage(data); err != nil {
			return broadcastRefusal("create", fmt.Sprintf("-%s %s: %s", f.flag, f.path, refusalText(err)))
		}
	}
	if err := store.CreateBroadcast(ctx, b); err != nil {
		return err
	}
	fmt.Fprintln(out, b.ID)
	return nil
}

// people is n people, in words.
func people(n int64) string {
	if n == 1 {
		return "1 person"
	}
	return fmt.Sprintf("%d people", n)
}

// audienceExists refuses an audience naming a branch or a campaign the table does not
// have: a typo would otherwise reach no one (or fewer than meant), silently.
func audienceExists(ctx context.Context, store Store, a broadcast.Audience) error {
	switch a.Kind {
	case broadcast.Branches:
		bs, err := store.Branches(ctx)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, b := range bs {
			known[b.Slug] = true
		}
		for _, slug := range a.Values {
			if !known[slug] {
				return broadcastRefusal("create", fmt.Sprintf("-audience: there is no branch %q (staff branches list shows them).", slug))
			}
		}
	case broadcast.Donors:
		for _, slug := range a.Values {
			if _, err := store.CampaignSettings(ctx, slug); errors.Is(err, campaign.ErrNotFound) {
				return broadcastRefusal("create", fmt.Sprintf("-audience: there is no campaign %q (its slug, as campaign create named it).", slug))
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// readLimited reads a file of at most limit bytes (one byte more is read, so that
// ParseMessage refuses a longer one); its error without the path.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// idFlag parses the flags of a command that takes -id (and what else fs holds).
func idFlag(sub string, fs *flagSet, args []string) (string, error) {
	id := fs.String("id", "", "")
	if err := parseBroadcastFlags(sub, fs, args); err != nil {
		return "", err
	}
	if strings.TrimSpace(*id) == "" {
		return "", broadcastRefusal(sub, "-id is required: the broadcast's, as broadcast create printed it.")
	}
	if !oneLine(*id) || len(*id) > 100 {
		return "", broadcastRefusal(sub, "-id must be one line of at most 100 characters.")
	}
	return strings.TrimSpace(*id), nil
}

func previewBroadcast(ctx context.Context, store Store, args []string, out io.Writer) error {
	id, err := idFlag("preview", newFlags("broadcast preview"), args)
	if err != nil || checking(ctx) {
		return err
	}
	b, err := broadcastID(ctx, store, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "broadcast %s (%s), audience %s, created by %s on %s\n", b.ID, b.State, b.Audience, b.CreatedBy, b.CreatedAt.Format(time.DateOnly))
	for _, l := range []i18n.Lang{i18n.EN, i18n.FR} {
		subject, text, _ := broadcast.Render(b, string(l), organization.Default())
		name := map[i18n.Lang]string{i18n.EN: "English", i18n.FR: "French"}[l]
		fmt.Fprintf(out, "\n===== %s =====\nSubject: %s\n\n%s", name, subject, text)
	}
	c, err := countAudience(ctx, store, b.Audience, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n===== Recipients (news consent on, not suppressed) =====\n%s\n", people(c.total))
	fmt.Fprintf(out, "by language:\n  English  %d\n  French   %d\n  both (no language known)  %d\n",
		c.byLang[dynamo.LangEN], c.byLang[dynamo.LangFR], c.byLang[dynamo.LangBoth])
	fmt.Fprintln(out, "by branch:")
	var branches []string
	for br := range c.byBranch {
		branches = append(branches, br)
	}
	sort.Strings(branches)
	for _, br := range branches {
		name := br
		if br == "" {
			name = "(not a member)"
		}
		fmt.Fprintf(out, "  %-24s %d\n", name, c.byBranch[br])
	}
	return nil
}

// audienceCount is the audience counted, as preview shows it.
type audienceCount struct {
	total    int64
	byLang   map[string]int64
	byBranch map[string]int64
}

// countAudience counts the people of a, writing nothing; tick, if not nil, sees each.
func countAudience(ctx context.Context, store Store, a broadcast.Audience, tick func(int64)) (audienceCount, error) {
	c := audienceCount{byLang: map[string]int64{}, byBranch: map[string]int64{}}
	var mu sync.Mutex
	err := store.ExpandAudience(ctx, a, func(r broadcast.Recipient) error {
		mu.Lock()
		defer mu.Unlock()
		c.total++
		c.byLang[dynamo.LangKey(r.Language)]++
		c.byBranch[r.Branch]++
		if tick != nil {
			tick(c.total)
		}
		return nil
	})
	return c, err
}

func testBroadcast(ctx context.Context, store Store, src Sources, args []string, out io.Writer) error {
	fs := newFlags("broadcast test")
	to := fs.String("to", "", "")
	id, err := idFlag("test", fs, args)
	if err != nil {
		return err
	}
	addr, perr := netmail.ParseAddress(strings.TrimSpace(*to))
	if *to == "" || perr != nil || addr.Name != "" || addr.Address != strings.TrimSpace(*to) {
		return broadcastRefusal("test", "-to must be one email address, such as me@example.org.")
	}
	if checking(ctx) {
		return nil
	}
	if src.Mailer == nil {
		return broadcastRefusal("test", "a test goes out through the mailer: MAIL_FROM and PUBLIC_URL must be set (the stack's MailFrom and PublicUrl outputs give them).")
	}
	b, err := broadcastID(ctx, store, id)
	if err != nil {
		return err
	}
	if b.State == broadcast.StateCancelled {
		return fmt.Errorf("broadcast %s is cancelled: nothing to test", b.ID)
	}
	for _, lang := range []string{dynamo.LangEN, dynamo.LangFR} {
		k, e, err := store.QueueTest(ctx, b.ID, contact.CanonicalEmail(addr.Address), lang)
		if err != nil {
			return err
		}
		name := map[string]string{"en": "English", "fr": "French"}[lang]
		status, err := src.Mailer.SendStatus(ctx, k, e)
		switch {
		case err != nil:
			return fmt.Errorf("test in %s: %w", lang, err)
		case status == outbox.StatusSuppressed:
			return fmt.Errorf("the test was not sent: %s is on the suppression list (it bounced for good or complained); staff mail unsuppress -email %s mails it again", e.To, e.To)
		case status == outbox.StatusFailed:
			return fmt.Errorf("SES refused the %s test to %s for good: staff report failed-emails says why", name, e.To)
		case status != outbox.StatusSent:
			return fmt.Errorf("the %s test to %s was not sent (%s)", name, e.To, cmp.Or(status, "sent or ended already"))
		}
		fmt.Fprintf(out, "sent the %s test to %s, marked [TEST]\n", name, e.To)
	}
	return nil
}

// confirmAbove is BROADCAST_CONFIRM_ABOVE, else BroadcastConfirmAbove.
func confirmAbove() (int64, error) {
	s := strings.TrimSpace(os.Getenv("BROADCAST_CONFIRM_ABOVE"))
	if s == "" {
		return BroadcastConfirmAbove, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: BROADCAST_CONFIRM_ABOVE must be a whole number of people, such as 1000, not %q", ErrUsage, s)
	}
	return n, nil
}

// recheckState is how many people send queues between two reads of the broadcast's
// state (a cancel stops it).
const recheckState = 500

// BroadcastMessage is what send posts to the broadcast sender's queue.
type BroadcastMessage struct {
	Broadcast string `json:"broadcast"`
}

// ResendWithin is how long after its making a broadcast still being sent can be sent
// again (to resume it after a failure): well within dynamo.SentRetention, after which
// the emails it sent are forgotten.
const ResendWithin = 25 * 24 * time.Hour

func sendBroadcast(ctx context.Context, store Store, src Sources, args []string, out io.Writer) error {
	fs := newFlags("broadcast send")
	confirm := fs.Bool("confirm", false, "")
	large := fs.Int64("confirm-large", -1, "")
	id, err := idFlag("send", fs, args)
	if err != nil {
		return err
	}
	if !*confirm {
		return broadcastRefusal("send", "-confirm is required: the broadcast goes to everyone in its audience (broadcast preview counts them first).")
	}
	limit, err := confirmAbove()
	if err != nil || checking(ctx) {
		return err
	}
	b, err := broadcastID(ctx, store, id)
	if err != nil {
		return err
	}
	if b.State != broadcast.StateDraft && b.State != broadcast.StateSending {
		return fmt.Errorf("broadcast %s is %s: nothing more to send", b.ID, b.State)
	}

	// A recipient's item is forgotten dynamo.SentRetention after it was sent: queueing
	// the audience again after that would reach those people a second time.
	if b.State == broadcast.StateSending && src.now().Sub(b.CreatedAt) > ResendWithin {
		return fmt.Errorf("broadcast %s was made on %s, over %d days ago: a send now could reach people it reached already, so make a new broadcast for whoever it missed",
			b.ID, b.CreatedAt.UTC().Format(time.DateOnly), int(ResendWithin.Hours()/24))
	}
	if src.BroadcastQueue == nil { // before anything is changed or queued
		return errors.New("no broadcast sender is set (BROADCAST_QUEUE_URL, which the stack's BroadcastQueueUrl output gives): set it and run the same command again; nothing was queued")
	}
	fmt.Fprintf(out, "counting the audience %s…\n", b.Audience)
	c, err := countAudience(ctx, store, b.Audience, nil)
	if err != nil {
		return err
	}
	if c.total > limit && *large != c.total {
		return broadcastRefusal("send", fmt.Sprintf("the audience is %s, over %d (BROADCAST_CONFIRM_ABOVE): to send to them all, add -confirm-large %d.", people(c.total), limit, c.total))
	}
	if err := store.SetBroadcastState(ctx, b.ID, broadcast.StateDraft, broadcast.StateSending); err != nil {
		var se *dynamo.StateError
		if !errors.As(err, &se) || se.State != broadcast.StateSending {
			return err
		}
	}
	var bar *progress
	if src.Tty != nil {
		bar = newCountProgress(src.Tty, c.total)
	}
	var queued, already int64
	var mu sync.Mutex
	var seen atomic.Int64
	err = store.ExpandAudience(ctx, b.Audience, func(r broadcast.Recipient) error {
		if seen.Add(1)%recheckState == 0 { // cancelled meanwhile: stop queueing
			if now, err := store.Broadcast(ctx, b.ID); err != nil {
				return err
			} else if now.State != broadcast.StateSending {
				return &dynamo.StateError{ID: b.ID, State: now.State, Want: broadcast.StateSending}
			}
		}
		ok, err := store.QueueRecipient(ctx, b.ID, r)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if ok {
			queued++
		} else {
			already++
		}
		if bar != nil {
			bar.set(queued + already)
		}
		return nil
	})
	if bar != nil {
		bar.done(queued + already)
	}
	if err != nil {
		fmt.Fprintf(out, "stopped after queueing %d (%d queued before): run the same command again to queue the rest; nobody is queued twice\n", queued, already)
		return err
	}
	fmt.Fprintf(out, "queued %d emails (%d were queued already)\n", queued, already)
	body, _ := json.Marshal(BroadcastMessage{Broadcast: b.ID})
	if err := src.BroadcastQueue(ctx, string(body)); err != nil {
		return fmt.Errorf("hand the broadcast to its sender: %w (run the same command again: it queues nobody twice)", err)
	}
	fmt.Fprintf(out, "the broadcast sender is sending them; follow with: staff broadcast report -id %s\n", b.ID)
	return nil
}

func cancelBroadcast(ctx context.Context, store Store, args []string, out io.Writer) error {
	id, err := idFlag("cancel", newFlags("broadcast cancel"), args)
	if err != nil || checking(ctx) {
		return err
	}
	if _, err := broadcastID(ctx, store, id); err != nil {
		return err
	}
	err = store.SetBroadcastState(ctx, id, broadcast.StateDraft, broadcast.StateCancelled)
	var se *dynamo.StateError
	if errors.As(err, &se) && se.State == broadcast.StateSending {
		err = store.SetBroadcastState(ctx, id, broadcast.StateSending, broadcast.StateCancelled)
	}
	if errors.As(err, &se) {
		return fmt.Errorf("broadcast %s is %s already: it cannot be cancelled", id, se.State)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cancelled broadcast %s: what was not sent yet will not be (staff broadcast report -id %s)\n", id, id)
	return nil
}

func reportBroadcast(ctx context.Context, store Store, args []string, out io.Writer) error {
	id, err := idFlag("report", newFlags("broadcast report"), args)
	if err != nil || checking(ctx) {
		return err
	}
	b, err := broadcastID(ctx, store, id)
	if err != nil {
		return err
	}
	rep, err := store.BroadcastReport(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "broadcast %s: %s, audience %s\n", b.ID, b.State, b.Audience)
	fmt.Fprintf(out, "%-26s %8s %8s %8s %8s\n", "", "all", "English", "French", "both")
	row := func(name string, n func(map[string]int64) int64) {
		fmt.Fprintf(out, "%-26s %8d %8d %8d %8d\n", name, n(rep.ByStatus),
			n(rep.ByLang[dynamo.LangEN]), n(rep.ByLang[dynamo.LangFR]), n(rep.ByLang[dynamo.LangBoth]))
	}
	status := func(names ...string) func(map[string]int64) int64 {
		return func(m map[string]int64) int64 {
			var t int64
			for _, s := range names {
				t += m[s]
			}
			return t
		}
	}
	all := func(m map[string]int64) int64 {
		var t int64
		for _, v := range m {
			t += v
		}
		return t
	}
	row("queued", all)
	row("sent", status(outbox.StatusSent))
	if b.State == broadcast.StateCancelled {
		row("not sent (cancelled)", status(outbox.StatusPending, outbox.StatusSending))
	} else {
		row("waiting", status(outbox.StatusPending, outbox.StatusSending))
	}
	row("skipped", status(outbox.StatusSkipped))
	row("suppressed", status(outbox.StatusSuppressed))
	row("failed", status(outbox.StatusFailed))
	if len(rep.Skipped) > 0 {
		var reasons []string
		for r, n := range rep.Skipped {
			reasons = append(reasons, fmt.Sprintf("%s %d", strings.ReplaceAll(r, "_", " "), n))
		}
		sort.Strings(reasons)
		fmt.Fprintf(out, "skipped: %s\n", strings.Join(reasons, ", "))
	}
	return nil
}
