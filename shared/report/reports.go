package report

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/subscription"
)

// listing streams one row per item of its types.
type listing struct {
	out     *writer
	types   map[string]rowFunc
	header  []string
	started bool
}

func (l *listing) Add(it Item) error {
	if !l.started {
		l.out.start(l.header)
		l.started = true
	}
	f, ok := l.types[typeOf(it)]
	if !ok {
		return nil
	}
	row, err := f(it)
	if err != nil {
		return fmt.Errorf("%s item: %w", typeOf(it), err)
	}
	return l.out.row(row)
}

func (l *listing) Finish() error {
	if !l.started {
		l.out.start(l.header)
	}
	return l.out.finish()
}

// selected keeps the rows keep selects and writes them sorted.
type selected struct {
	out    *writer
	header []string
	keep   func(Item) ([]string, bool, error)
	rows   [][]string
}

func (s *selected) Add(it Item) error {
	row, ok, err := s.keep(it)
	if err != nil {
		return fmt.Errorf("%s item: %w", typeOf(it), err)
	}
	if ok {
		s.rows = append(s.rows, row)
	}
	return nil
}

func (s *selected) Finish() error {
	sort.Slice(s.rows, func(i, j int) bool {
		for k := range s.rows[i] {
			if s.rows[i][k] != s.rows[j][k] {
				return s.rows[i][k] < s.rows[j][k]
			}
		}
		return false
	})
	s.out.start(s.header)
	for _, r := range s.rows {
		if err := s.out.row(r); err != nil {
			return err
		}
	}
	return s.out.finish()
}

func within(t time.Time, o Options) bool {
	return (o.From.IsZero() || !t.Before(o.From)) && (o.To.IsZero() || t.Before(o.To))
}

func newMember(o Options) func(Item) ([]string, bool, error) {
	return func(it Item) ([]string, bool, error) {
		if typeOf(it) != dynamo.TypeMember {
			return nil, false, nil
		}
		m, err := decode[member.Member](it)
		if err != nil || !within(m.CreatedAt, o) {
			return nil, false, err
		}
		row, err := memberRow(it)
		return row, err == nil, err
	}
}

func subscriptionDue(o Options) func(Item) ([]string, bool, error) {
	until := o.Now.AddDate(0, 0, o.Days)
	return func(it Item) ([]string, bool, error) {
		if typeOf(it) != dynamo.TypeSubscription {
			return nil, false, nil
		}
		s, err := decode[subscription.Subscription](it)
		if err != nil || !s.Renews() || s.PaidThrough.Before(o.Now) || s.PaidThrough.After(until) {
			return nil, false, err
		}
		return subscriptionCells(s), true, nil
	}
}

func subscriptionLapsed(o Options) func(Item) ([]string, bool, error) {
	return func(it Item) ([]string, bool, error) {
		if typeOf(it) != dynamo.TypeSubscription {
			return nil, false, nil
		}
		s, err := decode[subscription.Subscription](it)
		if err != nil || s.Status == subscription.StatusPending {
			return nil, false, err
		}
		lapsed := s.Status == subscription.StatusCanceled || s.Status == subscription.StatusPastDue ||
			s.Status == subscription.StatusUnpaid || (!s.PaidThrough.IsZero() && s.PaidThrough.Before(o.Now))
		return subscriptionCells(s), lapsed, nil
	}
}

var failedColumns = []string{"date", "kind", "email", "what", "amount_cents"}

// failedPayment selects the emails a failed payment caused: a declined delayed payment, a
// declined month of a monthly gift, a failed renewal of a subscription or dues.
func failedPayment(o Options) func(Item) ([]string, bool, error) {
	kinds := map[string]string{outbox.DonationFailed: "donation", outbox.DonationPaymentFailed: "monthly_donation",
		outbox.PlanPaymentFailed: "subscription"}
	return func(it Item) ([]string, bool, error) {
		if typeOf(it) != dynamo.TypeEmail {
			return nil, false, nil
		}
		e, err := decode[outbox.Email](it)
		kind, ok := kinds[e.Template]
		if err != nil || !ok || !within(e.CreatedAt, o) {
			return nil, false, err
		}
		what := e.Data["campaign_title"]
		if what == "" {
			what = e.Data["plan_name"]
		}
		return []string{date(e.CreatedAt), kind, e.To, what, e.Data["amount_cents"]}, true, nil
	}
}

var endedColumns = []string{"ended_at", "status", "email_id", "template", "email", "reason"}

// endedEmail selects the outbox emails that ended unsent (package mail): "failed" (SES
// refused it for good: an address to correct, or a recipient to verify in SES's sandbox)
// or "suppressed" (the address bounced for good or complained), by when they ended. The
// table keeps them as long as sent ones (dynamo.SentRetention).
func endedEmail(o Options) func(Item) ([]string, bool, error) {
	return func(it Item) ([]string, bool, error) {
		if typeOf(it) != dynamo.TypeEmail {
			return nil, false, nil
		}
		e, err := decode[outbox.Email](it)
		if err != nil || (e.Status != outbox.StatusFailed && e.Status != outbox.StatusSuppressed) {
			return nil, false, err
		}
		ended, _ := time.Parse(time.RFC3339, attrText(it, "ended_at"))
		if !within(ended, o) {
			return nil, false, nil
		}
		return []string{date(ended), e.Status, e.ID, e.Template, e.To, attrText(it, "end_reason")}, true, nil
	}
}

func attrText(it Item, name string) string {
	if s, ok := it[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// byBranch counts members by branch and status.
type byBranch struct {
	out    *writer
	counts map[string]map[string]int
}

func (b *byBranch) Add(it Item) error {
	if typeOf(it) != dynamo.TypeMember {
		return nil
	}
	m, err := decode[member.Member](it)
	if err != nil {
		return fmt.Errorf("member item: %w", err)
	}
	if b.counts[m.Branch] == nil {
		b.counts[m.Branch] = map[string]int{}
	}
	b.counts[m.Branch][m.Status]++
	return nil
}

func (b *byBranch) Finish() error {
	b.out.start([]string{"branch", "active", "pending", "total"})
	branches := make([]string, 0, len(b.counts))
	for br := range b.counts {
		branches = append(branches, br)
	}
	sort.Strings(branches)
	for _, br := range branches {
		c := b.counts[br]
		a, p := c[member.StatusActive], c[member.StatusPending]
		if err := b.out.row([]string{br, strconv.Itoa(a), strconv.Itoa(p), strconv.Itoa(a + p)}); err != nil {
			return err
		}
	}
	return b.out.finish()
}

// appeal totals a campaign's money — online payments, offline gifts, refunds — by day
// and in all, from the records (not the counters), so the total checks the counter.
type appeal struct {
	out  *writer
	o    Options
	days map[string]*dayTotals
}

// dayTotals are a day's money; voided is offline gifts voided (staff offline void), out
// of every other figure and of net.
type dayTotals struct{ online, offline, refunded, disputed, voided int64 }

// row is the report's line of t, labelled day: net is online and offline money less
// refunds and what disputes hold; voided offline gifts are said apart, in no total.
func (t dayTotals) row(day string) []string {
	return []string{day, cents(t.online), cents(t.offline), cents(t.refunded), cents(t.disputed),
		cents(t.online + t.offline - t.refunded - t.disputed), cents(t.voided)}
}

func (a *appeal) day(d string) *dayTotals {
	t := a.days[d]
	if t == nil {
		t = &dayTotals{}
		a.days[d] = t
	}
	return t
}

func (a *appeal) Add(it Item) error {
	switch typeOf(it) {
	case dynamo.TypePayment:
		p, err := decode[dynamo.PaymentRecord](it)
		if err != nil {
			return fmt.Errorf("payment item: %w", err)
		}
		if p.PlanID != "" || (a.o.Campaign != "" && p.Campaign != a.o.Campaign) {
			return nil // a plan's invoice is no gift to an appeal
		}
		t := a.day(p.PaidAt.In(a.o.location()).Format(time.DateOnly))
		t.online += p.AmountCents
		t.refunded += p.RefundedCents // counted on the payment's day
		t.disputed += p.DisputedCents // as is what its disputes hold
	case dynamo.TypeOffline:
		g, err := decode[dynamo.OfflineGift](it)
		if err != nil {
			return fmt.Errorf("offline gift item: %w", err)
		}
		if a.o.Campaign != "" && g.Campaign != a.o.Campaign {
			return nil
		}
		if g.Voided {
			a.day(g.ReceivedOn).voided += g.AmountCents // out of the totals
			return nil
		}
		a.day(g.ReceivedOn).offline += g.AmountCents
	}
	return nil
}

func (a *appeal) Finish() error {
	a.out.start([]string{"day", "online_cents", "offline_cents", "refunded_cents", "disputed_cents", "net_cents", "voided_cents"})
	days := make([]string, 0, len(a.days))
	for d := range a.days {
		days = append(days, d)
	}
	sort.Strings(days)
	var all dayTotals
	for _, d := range days {
		t := a.days[d]
		all.online, all.offline, all.refunded, all.disputed = all.online+t.online, all.offline+t.offline,
			all.refunded+t.refunded, all.disputed+t.disputed
		all.voided += t.voided
		if err := a.out.row(t.row(d)); err != nil {
			return err
		}
	}
	if err := a.out.row(all.row("total")); err != nil {
		return err
	}
	return a.out.finish()
}
