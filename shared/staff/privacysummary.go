package staff

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/plan"
)

// Letter is what privacy find writes by default: what the table holds about one
// person, by kind, with dates, in their language, as the answer to an access request,
// to paste into an email. It never shows keys, hashes or tokens.
type Letter struct {
	Held dynamo.Held
	Lang i18n.Lang      // the letter's language (PersonLang, or -lang)
	Zone *time.Location // dates and times are written in it
	Org  organization.Identity
	Now  time.Time // the letter's date
	// BranchName and CampaignTitle name a branch or a campaign by its slug in the
	// letter's language ("" when unknown: the slug is written).
	BranchName    func(slug string) string
	CampaignTitle func(slug string) string
}

// record is a table item as privacy find read it.
type record map[string]any

func (r record) s(k string) string { v, _ := r[k].(string); return v }

func (r record) n(k string) int64 {
	switch v := r[k].(type) {
	case float64:
		return int64(math.Round(v))
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

func (r record) b(k string) bool { v, _ := r[k].(bool); return v }

func (r record) t(k string) time.Time {
	switch v := r[k].(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t
		}
	case float64:
		if v > 0 {
			return time.Unix(int64(v), 0)
		}
	}
	return time.Time{}
}

func (r record) m(k string) record { v, _ := r[k].(map[string]any); return v }

// summaries says, for each type of item privacy find can return, in which section of
// the letter it goes and how it reads. TestEveryItemTypeSummarized keeps it complete:
// an item type added to package dynamo must be added here.
var summaries = map[string]struct {
	section string
	line    func(l *letterWriter, r record) string
}{
	dynamo.TypeMember:        {"membership", (*letterWriter).member},
	dynamo.TypeApplication:   {"membership", (*letterWriter).application},
	dynamo.TypeBranch:        {"membership", (*letterWriter).organizer},
	dynamo.TypeDonation:      {"donations", (*letterWriter).donation},
	dynamo.TypePayment:       {"donations", (*letterWriter).payment},
	dynamo.TypeDispute:       {"donations", (*letterWriter).dispute},
	dynamo.TypeDonor:         {"donations", (*letterWriter).donor},
	dynamo.TypeOffline:       {"offline", (*letterWriter).offline},
	dynamo.TypeSubscription:  {"subscriptions", (*letterWriter).subscription},
	dynamo.TypeCustomer:      {"subscriptions", (*letterWriter).customer},
	dynamo.TypePortalRequest: {"requests", (*letterWriter).portalRequest},
	dynamo.TypeNewsRequest:   {"requests", (*letterWriter).newsRequest},
	dynamo.TypeConsent:       {"consent", (*letterWriter).consent},
	dynamo.TypeNewsState:     {"consent", (*letterWriter).newsState},
	dynamo.TypeEmail:         {"emails", (*letterWriter).email},
	dynamo.TypeSuppression:   {"emails", (*letterWriter).suppression},
	dynamo.TypeToken:         {"links", (*letterWriter).token},
	// Items that do not describe a person, should one ever name the address.
	dynamo.TypeCampaign:        {"other", (*letterWriter).generic},
	dynamo.TypeCampaignCounter: {"other", (*letterWriter).generic},
	dynamo.TypeStripeEvent:     {"other", (*letterWriter).generic},
	dynamo.TypeEarly:           {"other", (*letterWriter).generic},
	dynamo.TypeErasure:         {"other", (*letterWriter).generic},
	dynamo.TypeExport:          {"other", (*letterWriter).generic},
	dynamo.TypeRateLimit:       {"other", (*letterWriter).generic},
	dynamo.TypeOfflineID:       {"other", (*letterWriter).generic},

	// A broadcast's email to the person reads as any email; the broadcast names no one.
	dynamo.TypeBroadcastEmail: {"emails", (*letterWriter).email},
	dynamo.TypeBroadcast:      {"other", (*letterWriter).generic},
	dynamo.TypeSendRate:       {"other", (*letterWriter).generic}, // a count of emails per second: no one's
}

// sections are the letter's sections, in order. "mentions" holds the records found only
// because a note names the person (dynamo.MatchedNote): usually someone else's gift,
// of which the letter quotes only the words that name them.
var sections = []string{"membership", "donations", "offline", "subscriptions", "consent", "emails", "links", "requests", "mentions", "other"}

type letterWriter struct {
	Letter
	lines map[string][]entry
}

// entry is one line of a section, and the moment it is sorted by.
type entry struct {
	at   time.Time
	text string
}

// when is the moment a record is listed by: when it was made.
func (r record) when() time.Time {
	for _, k := range []string{"created_at", "submitted_at", "paid_at", "at", "received_on", "changed_at", "sent_at", "recorded_at"} {
		if t := r.t(k); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func (l *letterWriter) text(key string, args ...any) string {
	return i18n.Text(l.Lang, i18n.M("privacy.summary."+key, args...))
}

// word is the catalogue's word for value under prefix, or value itself (its
// underscores as spaces) when the catalogue has none.
func (l *letterWriter) word(prefix, value string) string {
	key := "privacy.summary." + prefix + "." + value
	if w := i18n.Text(l.Lang, i18n.M(key)); w != key {
		return w
	}
	return strings.ReplaceAll(value, "_", " ")
}

func (l *letterWriter) date(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return i18n.FormatDate(l.Lang, t.In(l.Zone))
}

// day is a calendar date as written (2026-11-20), not a moment.
func (l *letterWriter) day(s string) string { return i18n.FormatDay(l.Lang, s) }

func (l *letterWriter) moment(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	t = t.In(l.Zone)
	if l.Lang == i18n.FR {
		return fmt.Sprintf("%s à %s (%s)", i18n.FormatDate(l.Lang, t), t.Format("15 h 04"), t.Format("MST"))
	}
	return fmt.Sprintf("%s at %s", i18n.FormatDate(l.Lang, t), t.Format("3:04 PM MST"))
}

func (l *letterWriter) money(cents int64, currency string) string {
	s := i18n.FormatCents(l.Lang, cents)
	if c := strings.ToUpper(currency); c != "" && c != "CAD" {
		s += " " + c
	}
	return s
}

func (l *letterWriter) campaign(slug string) string {
	if l.CampaignTitle != nil {
		if t := l.CampaignTitle(slug); t != "" {
			return t
		}
	}
	return slug
}

func (l *letterWriter) branch(slug string) string {
	if l.BranchName != nil {
		if n := l.BranchName(slug); n != "" {
			return n
		}
	}
	return slug
}

// identity is the name, phone and postal address a record holds, as held.
func (l *letterWriter) identity(r record, address record) string {
	var parts []string
	if n := strings.TrimSpace(r.s("first_name") + " " + r.s("last_name")); n != "" {
		parts = append(parts, l.text("name", n))
	}
	if p := r.s("phone"); p != "" {
		parts = append(parts, l.text("phone", p))
	}
	if a := postal(address); a != "" {
		parts = append(parts, l.text("address", a))
	}
	return strings.Join(parts, "; ")
}

// postal is an address on one line, as held.
func postal(a record) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"name", "line1", "line2", "city"} {
		if v := strings.TrimSpace(a.s(k)); v != "" {
			parts = append(parts, v)
		}
	}
	region := strings.TrimSpace(strings.TrimSpace(a.s("province")+" "+a.s("state")) + " " + a.s("postal_code"))
	if region != "" {
		parts = append(parts, strings.Join(strings.Fields(region), " "))
	}
	if c := strings.TrimSpace(a.s("country")); c != "" {
		parts = append(parts, c)
	}
	return strings.Join(parts, ", ")
}

func join(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "; ")
}

func (l *letterWriter) member(r record) string {
	status := l.word("member_status", r.s("status"))
	dates := l.text("member.joined", l.date(r.t("created_at")))
	if c := r.t("confirmed_at"); !c.IsZero() {
		dates += ", " + l.text("member.confirmed", l.date(c))
	}
	msg := ""
	if m := r.s("message"); m != "" {
		msg = l.text("member.message", m)
	}
	return join(l.text("member", status, l.branch(r.s("branch"))), dates, l.identity(r, r.m("address")),
		l.text("language", l.word("lang", r.s("language"))), msg)
}

func (l *letterWriter) application(r record) string {
	return join(l.text("application", l.date(r.t("submitted_at")), l.branch(r.s("branch"))), l.identity(r, r.m("address")))
}

func (l *letterWriter) organizer(r record) string {
	return l.text("organizer", l.branch(r.s("slug")))
}

func (l *letterWriter) donation(r record) string {
	freq := l.word("frequency", r.s("frequency"))
	title := r.s("campaign_title")
	if title == "" || l.CampaignTitle != nil && l.CampaignTitle(r.s("campaign")) != "" {
		title = l.campaign(r.s("campaign"))
	}
	line := l.text("donation", l.date(r.t("created_at")), l.money(r.n("amount_cents"), r.s("currency")), freq, title,
		l.word("donation_status", r.s("status")))
	var extra []string
	if c := r.n("refunded_cents"); c > 0 {
		extra = append(extra, l.text("refunded", l.money(c, r.s("currency"))))
	}
	if r.s("frequency") == "monthly" && r.n("paid_cents") > 0 {
		extra = append(extra, l.text("paid_total", l.money(r.n("paid_cents"), r.s("currency")), r.n("payment_count")))
	}
	if e := r.t("monthly_ended_at"); !e.IsZero() {
		extra = append(extra, l.text("monthly_ended", l.date(e)))
	}
	if r.b("anonymous") {
		extra = append(extra, l.text("anonymous"))
	}
	return join(append([]string{line, l.identity(r, r.m("address"))}, extra...)...)
}

func (l *letterWriter) payment(r record) string {
	line := l.text("payment", l.date(r.t("paid_at")), l.money(r.n("amount_cents"), r.s("currency")), l.campaign(r.s("campaign")))
	if c := r.n("refunded_cents"); c > 0 {
		line = join(line, l.text("refunded", l.money(c, r.s("currency"))))
	}
	return line
}

func (l *letterWriter) dispute(r record) string {
	return l.text("dispute", l.date(r.t("created_at")), l.money(r.n("amount_cents"), ""), r.s("status"))
}

func (l *letterWriter) donor(r record) string {
	return l.text("donor", l.campaign(strings.TrimPrefix(r.s("pk"), "CAMPAIGN#")))
}

func (l *letterWriter) offline(r record) string {
	line := l.text("offline", l.day(r.s("received_on")), l.money(r.n("amount_cents"), ""), l.word("method", r.s("method")),
		l.campaign(r.s("campaign")))
	var extra []string
	if n := r.s("donor_name"); n != "" {
		extra = append(extra, l.text("name", n))
	}
	if n := r.s("note"); n != "" {
		extra = append(extra, l.text("note", n))
	}
	if r.b("voided") {
		extra = append(extra, l.text("voided", l.date(r.t("voided_at"))))
		if why := r.s("void_reason"); why != "" {
			extra = append(extra, l.text("void_reason", why))
		}
	}
	return join(append([]string{line}, extra...)...)
}

// mention is a record found only because its note or the reason it was voided names
// the person (dynamo.MatchedNote), most often another donor's gift: the letter quotes
// the words that name them, and nothing else of it: not whose it is, its amount, its
// method, its campaign or its date.
func (l *letterWriter) mention(r record) string {
	note, why := r.s("note"), r.s("void_reason")
	inNote, inWhy := note != "" && l.Held.Mentions(note), why != "" && l.Held.Mentions(why)
	if !inNote && !inWhy { // named across the two (or by a name not kept): both are quoted
		inNote, inWhy = note != "", why != ""
	}
	switch {
	case inNote && inWhy:
		return join(l.text("mention.note", note), l.text("mention.and_void_reason", why))
	case inNote:
		return l.text("mention.note", note)
	case inWhy:
		return l.text("mention.void_reason", why)
	}
	return l.text("mention.note", "")
}

func (l *letterWriter) subscription(r record) string {
	name := r.s("plan")
	if p, ok := plan.Default()[name]; ok {
		name = p.Name(l.Lang)
	}
	line := l.text("subscription", name, l.word("kind", r.s("kind")), l.word("sub_status", r.s("status")), l.date(r.t("created_at")))
	var extra []string
	if t := r.t("paid_through"); !t.IsZero() {
		extra = append(extra, l.text("paid_through", l.date(t)))
	}
	if r.b("cancel_at_period_end") {
		extra = append(extra, l.text("cancel_at_period_end"))
	}
	if a := postal(r.m("shipping")); a != "" {
		extra = append(extra, l.text("mailing_address", a))
	}
	return join(append([]string{line, l.identity(r, nil)}, extra...)...)
}

func (l *letterWriter) customer(r record) string { return l.text("customer") }

func (l *letterWriter) portalRequest(r record) string {
	return l.text("portal_request", l.moment(r.t("sent_at")))
}

func (l *letterWriter) newsRequest(r record) string {
	return l.text("news_request", l.moment(r.t("sent_at")))
}

func (l *letterWriter) consent(r record) string {
	what := l.word("purpose", r.s("purpose"))
	verb := "consent.withdrew"
	if r.b("granted") {
		verb = "consent.granted"
	}
	line := l.text(verb, l.moment(r.t("at")), what)
	var extra []string
	if w := r.s("wording"); w != "" {
		extra = append(extra, l.text("consent.wording", w))
	}
	if s := r.s("source"); s != "" {
		extra = append(extra, l.text("consent.source", l.word("source", s)))
	}
	if u := r.s("form_url"); u != "" {
		extra = append(extra, l.text("consent.page", u))
	}
	if ip := r.s("ip"); ip != "" {
		extra = append(extra, l.text("consent.ip", ip))
	}
	if ua := r.s("user_agent"); ua != "" {
		extra = append(extra, l.text("consent.browser", ua))
	}
	return join(append([]string{line}, extra...)...)
}

func (l *letterWriter) newsState(r record) string {
	if r.b("subscribed") {
		return l.text("news.subscribed", l.date(r.t("changed_at")))
	}
	return l.text("news.unsubscribed", l.date(r.t("changed_at")))
}

func (l *letterWriter) email(r record) string {
	what := l.word("template", r.s("template"))
	status := l.word("email_status", r.s("status"))
	if strings.EqualFold(r.s("to"), l.Held.Email) {
		return l.text("email.to_you", l.date(r.t("created_at")), what, status)
	}
	return l.text("email.about_you", l.date(r.t("created_at")), what, status)
}

func (l *letterWriter) suppression(r record) string {
	return l.text("suppression", l.date(r.t("at")), l.word("suppression_reason", r.s("reason")))
}

func (l *letterWriter) token(r record) string {
	line := l.text("link", l.date(r.t("created_at")), l.word("link_purpose", r.s("purpose")))
	if u := r.t("used_at"); !u.IsZero() {
		return join(line, l.text("link.used", l.date(u)))
	}
	if e := r.t("expires_at"); !e.IsZero() {
		if e.After(l.Now) {
			return join(line, l.text("link.valid_until", l.date(e)))
		}
		return join(line, l.text("link.expired", l.date(e)))
	}
	return line
}

// generic is an item of a kind that does not describe a person: its kind and date.
func (l *letterWriter) generic(r record) string {
	for _, k := range []string{"created_at", "received_at", "at", "sent_at", "recorded_at"} {
		if t := r.t(k); !t.IsZero() {
			return l.text("other.dated", l.word("type", r.s("type")), l.date(t))
		}
	}
	return l.text("other", l.word("type", r.s("type")))
}

// PersonLang is the language the person's records hold: their membership's, else their
// subscriptions', gifts', consents' or emails' (English when none says).
func PersonLang(held dynamo.Held) i18n.Lang {
	rank := map[string]int{dynamo.TypeMember: 0, dynamo.TypeApplication: 1, dynamo.TypeSubscription: 2, dynamo.TypeDonation: 3,
		dynamo.TypeConsent: 4, dynamo.TypeEmail: 5, dynamo.TypeToken: 6}
	best, lang := len(rank), i18n.EN
	for _, f := range held.Items {
		r, ok := rank[dynamo.ItemType(f.Item)]
		if !ok || r >= best {
			continue
		}
		var v struct {
			Language string `dynamodbav:"language"`
		}
		if attributevalue.UnmarshalMap(f.Item, &v) != nil {
			continue
		}
		if l, ok := i18n.Parse(v.Language); ok && v.Language != "" {
			best, lang = r, l
		}
	}
	return lang
}

// Write writes the letter.
func (lt Letter) Write(out io.Writer) error {
	if lt.Zone == nil {
		lt.Zone = time.UTC
	}
	lt.Org = lt.Org.Or()
	l := &letterWriter{Letter: lt, lines: map[string][]entry{}}
	first := ""
	for _, f := range lt.Held.Items {
		var r record
		if err := attributevalue.UnmarshalMap(f.Item, &r); err != nil {
			return fmt.Errorf("a record of kind %s could not be read: %w", dynamo.ItemType(f.Item), err)
		}
		sum, ok := summaries[r.s("type")]
		if !ok {
			sum.section, sum.line = "other", (*letterWriter).generic
		}
		if f.Matched == dynamo.MatchedNote {
			sum.section, sum.line = "mentions", (*letterWriter).mention
			l.lines[sum.section] = append(l.lines[sum.section], entry{text: sum.line(l, r)}) // in the order found
			continue
		}
		l.lines[sum.section] = append(l.lines[sum.section], entry{r.when(), sum.line(l, r)})
		if first == "" && r.s("first_name") != "" && r.s("type") != dynamo.TypeEmail {
			first = r.s("first_name")
		}
	}
	org := lt.Org.Name.In(lt.Lang)
	var b strings.Builder
	title := l.text("title", org)
	b.WriteString(title + "\n" + strings.Repeat("=", len([]rune(title))) + "\n\n")
	if first != "" {
		b.WriteString(l.text("hello_name", first) + "\n\n")
	} else {
		b.WriteString(l.text("hello") + "\n\n")
	}
	b.WriteString(l.text("intro", org, lt.Held.Email, l.date(lt.Now)) + "\n")
	if len(lt.Held.Items) == 0 {
		b.WriteString("\n" + l.text("nothing") + "\n")
	}
	for _, s := range sections {
		lines := l.lines[s]
		if len(lines) == 0 {
			continue
		}
		sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.Before(lines[j].at) })
		b.WriteString("\n## " + l.text("section."+s) + "\n\n")
		written := map[string]bool{}
		for _, e := range lines {
			if !written[e.text] { // two records that say the same (a customer's two links)
				written[e.text] = true
				b.WriteString("- " + e.text + "\n")
			}
		}
	}
	b.WriteString("\n## " + l.text("section.elsewhere") + "\n\n")
	if len(lt.Held.Customers) > 0 || len(l.lines["donations"]) > 0 || len(l.lines["subscriptions"]) > 0 {
		b.WriteString("- " + l.text("elsewhere.stripe") + "\n")
	}
	b.WriteString("- " + l.text("elsewhere.aws") + "\n")
	b.WriteString("- " + l.text("elsewhere.backups", PITRDays) + "\n")
	b.WriteString("\n" + l.text("rights", lt.Org.Contact()) + "\n")
	if p := lt.Org.PrivacyURL.In(lt.Lang); p != "" {
		b.WriteString(i18n.Text(lt.Lang, i18n.M("org.privacy_line", p)) + "\n")
	}
	b.WriteString("\n--\n")
	for _, line := range lt.Org.Footer(lt.Lang) {
		if line != "" {
			b.WriteString(line + "\n")
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// writeLetter writes privacy find's letter in lang, or in the person's language when
// lang is "", naming branches and campaigns as the table does, dates in the zone of
// src (UTC when none: cmd/staff gives the machine's), and warns staff (src.Warn) of
// the records it quotes only because their note names the person.
func writeLetter(ctx context.Context, store Store, src Sources, held dynamo.Held, lang i18n.Lang, out io.Writer) error {
	if lang == "" {
		lang = PersonLang(held)
	}
	warnMentions(src.Warn, held)
	bs, err := store.Branches(ctx)
	if err != nil {
		return err
	}
	branches := map[string]branch.Branch{}
	for _, b := range bs {
		branches[b.Slug] = b
	}
	titles := map[string]string{}
	for _, f := range held.Items {
		var r record
		if attributevalue.UnmarshalMap(f.Item, &r) != nil {
			continue
		}
		slug := r.s("campaign")
		if r.s("type") == dynamo.TypeDonor {
			slug = strings.TrimPrefix(r.s("pk"), "CAMPAIGN#")
		}
		if _, done := titles[slug]; slug == "" || done {
			continue
		}
		titles[slug] = ""
		if c, err := store.CampaignSettings(ctx, slug); err == nil {
			titles[slug] = c.TitleEN
			if lang == i18n.FR {
				titles[slug] = c.TitleFR
			}
		}
	}
	zone := src.Zone
	if zone == nil {
		zone = time.UTC
	}
	return Letter{Held: held, Lang: lang, Zone: zone, Org: organization.Default(), Now: src.now(),
		BranchName:    func(slug string) string { return branches[slug].Name(lang) },
		CampaignTitle: func(slug string) string { return titles[slug] },
	}.Write(out)
}

// warnMentions tells staff, on w (not in the letter), which records the letter quotes
// only because their note or void reason names the person (dynamo.MatchedNote): most
// often someone else's gift, whose words staff should read over before sending.
func warnMentions(w io.Writer, held dynamo.Held) {
	var lines []string
	for _, f := range held.Items {
		if f.Matched != dynamo.MatchedNote {
			continue
		}
		var r record
		if attributevalue.UnmarshalMap(f.Item, &r) != nil {
			continue
		}
		line := fmt.Sprintf("  %s %s", strings.ReplaceAll(r.s("type"), "_", " "), r.s("id"))
		if c := r.s("campaign"); c != "" {
			line += " (campaign " + c + ")"
		}
		if n := r.s("note"); n != "" {
			line += fmt.Sprintf(": note %q", n)
		}
		if v := r.s("void_reason"); v != "" {
			line += fmt.Sprintf(", void reason %q", v)
		}
		lines = append(lines, line)
	}
	if w == nil || len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "staff: read over before sending: the letter quotes the note of %d record(s) found only because it names %s, "+
		"most likely someone else's gift (the letter says nothing else of it); make sure the words are about this person:\n%s\n",
		len(lines), held.Email, strings.Join(lines, "\n"))
}
