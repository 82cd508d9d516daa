package mail

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/solidarity/solidarity/shared/broadcast"
	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/outbox"
)

// Broadcasts are the broadcasts whose emails the mailer sends (template
// outbox.Broadcast): it reads the message and the state of each at send time.
// *dynamo.Store is one; BroadcastCache keeps what it read for a little while.
type Broadcasts interface {
	Broadcast(ctx context.Context, id string) (broadcast.Broadcast, error)
}

// NewsState is the consent ledger's news state of a person, read at the send of each
// broadcast email so that an unsubscribe after queueing is honoured. *dynamo.Store is one.
type NewsState interface {
	News(ctx context.Context, email string) (consent.State, bool, error)
}

// The reasons a broadcast email ends skipped (outbox.StatusSkipped).
const (
	SkipUnsubscribed = "unsubscribed" // the person's news state is not subscribed (or there is none)
	SkipCancelled    = "cancelled"    // the broadcast was cancelled
)

// BroadcastTestKey, set (to any value) in a broadcast email's data, marks the staff
// tool's test send: it goes to the address given whatever its news state (never to a
// suppressed one), with "[TEST] " before its subject.
const BroadcastTestKey = "test"

// BroadcastCache keeps each broadcast it read for TTL, so that a sender does not read
// the broadcast once per email: at 14 emails a second, one read every TTL instead of
// 14. A cancel is seen within TTL (the sender reads the state itself, uncached, between
// pages). Safe for concurrent use; the zero TTL is 10 seconds.
type BroadcastCache struct {
	Source Broadcasts
	TTL    time.Duration
	Now    func() time.Time

	mu   sync.Mutex
	kept map[string]cached
}

type cached struct {
	b  broadcast.Broadcast
	at time.Time
}

// Broadcast is the broadcast id, read again once the copy kept is TTL old.
func (c *BroadcastCache) Broadcast(ctx context.Context, id string) (broadcast.Broadcast, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	c.mu.Lock()
	k, ok := c.kept[id]
	c.mu.Unlock()
	if ok && now().Sub(k.at) < ttl {
		return k.b, nil
	}
	b, err := c.Source.Broadcast(ctx, id)
	if err != nil {
		return b, err
	}
	c.mu.Lock()
	if c.kept == nil {
		c.kept = map[string]cached{}
	}
	c.kept[id] = cached{b: b, at: now()}
	c.mu.Unlock()
	return b, nil
}

// broadcastFor reads the broadcast of email e (template outbox.Broadcast) and says why
// the email must not go out, if it must not: the broadcast was cancelled, or the person
// is no longer subscribed to news. A read that fails is an error: the claim is given up
// and the email tried again.
func (m Mailer) broadcastFor(ctx context.Context, e outbox.Email) (b broadcast.Broadcast, skip string, err error) {
	if m.Broadcasts == nil {
		return b, "", fmt.Errorf("a broadcast email, but the mailer has no broadcasts to read")
	}
	id := e.Data["broadcast"]
	if id == "" {
		return b, "", fmt.Errorf("broadcast email %s names no broadcast", e.ID)
	}
	if b, err = m.Broadcasts.Broadcast(ctx, id); err != nil {
		return b, "", fmt.Errorf("read broadcast: %w", err)
	}
	if b.State == broadcast.StateCancelled {
		return b, SkipCancelled, nil
	}
	if e.Data[BroadcastTestKey] != "" {
		return b, "", nil
	}
	if m.News == nil {
		return b, "", fmt.Errorf("a broadcast email, but the mailer has no news states to read")
	}
	st, found, err := m.News.News(ctx, e.To)
	if err != nil {
		return b, "", fmt.Errorf("read news state: %w", err)
	}
	if !found || !st.Subscribed {
		return b, SkipUnsubscribed, nil
	}
	return b, "", nil
}

// RenderBroadcast writes one recipient's copy of broadcast b: b's message in the email's
// language (broadcast.Render; no language: English then French, in one message) inside
// the layout of every other email, then the person's unsubscribe line (in each language
// of the message) and the organization's identification (name, mailing address,
// contact, website, privacy policy). e.Data["unsubscribe_url"] is the link minted for
// this send.
func RenderBroadcast(e outbox.Email, b broadcast.Broadcast, org organization.Identity) (Message, error) {
	org = org.Or()
	langs := []i18n.Lang{i18n.EN, i18n.FR}
	if l, ok := i18n.Parse(e.Language); ok {
		langs = []i18n.Lang{l}
	}
	lang := langs[0]
	subject, text, html := broadcast.Render(b, e.Language, org)
	subject = strings.TrimSpace(subject)
	if e.Data[BroadcastTestKey] != "" {
		subject = "[TEST] " + subject
	}
	body := strings.TrimSpace(text)
	accent := org.Accent()
	if !organization.Colour(accent) {
		accent = organization.DefaultAccent
	}
	var paragraphs []htmltemplate.HTML
	if u := e.Data["unsubscribe_url"]; u != "" {
		for _, l := range langs {
			line := org.Fill(l, i18n.Text(l, i18n.M("mail.unsubscribe", u)))
			body += "\n\n" + line
			paragraphs = append(paragraphs, linkify(line, e.Data, accent))
		}
	} else if e.Data[BroadcastTestKey] != "" {
		// A test carries no working link: the address it goes to may never have asked
		// for news, and the unsubscribe page's undo would sign it up.
		for _, l := range langs {
			line := i18n.Text(l, i18n.M("mail.broadcast_test_unsubscribe"))
			body += "\n\n" + line
			paragraphs = append(paragraphs, htmltemplate.HTML(htmltemplate.HTMLEscapeString(line)))
		}
	}
	var footer []string
	for _, l := range langs {
		for _, line := range org.Footer(l) {
			if line != "" && !slices.Contains(footer, line) {
				footer = append(footer, line)
			}
		}
		if p := org.PrivacyURL.In(l); p != "" {
			if line := i18n.Text(l, i18n.M("org.privacy_line", p)); !slices.Contains(footer, line) {
				footer = append(footer, line)
			}
		}
	}
	if len(footer) > 0 {
		body += "\n\n--\n" + strings.Join(footer, "\n")
	}
	body += "\n"
	both := func(in func(i18n.Lang) string) string {
		var parts []string
		for _, l := range langs {
			if v := in(l); v != "" && !slices.Contains(parts, v) {
				parts = append(parts, v)
			}
		}
		return strings.Join(parts, " / ")
	}
	var out bytes.Buffer
	err := layout().Execute(&out, map[string]any{"Lang": lang, "Subject": subject,
		"Body": htmltemplate.HTML(html), "Paragraphs": paragraphs,
		"Name": both(org.Name.In), "Address": both(org.MailingAddress.In), "Contact": org.Contact(),
		"Accent": htmltemplate.CSS(accent), "Links": footerLinks(org, langs, lang)})
	if err != nil {
		return Message{}, fmt.Errorf("render layout: %w", err)
	}
	return Message{Subject: subject, Text: body, HTML: out.String()}, nil
}
