package staff

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/mail"
)

// unsuppress deletes an address's suppression, so the mailer mails it again, and says
// how to take it off SES's account-level suppression list too (which the stack's
// configuration set also fills, and which SES checks on its own).
func unsuppress(ctx context.Context, store Store, args []string, out io.Writer) error {
	fs := newFlags("mail unsuppress")
	email := fs.String("email", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: -email is required", ErrUsage)
	}
	addr := contact.CanonicalEmail(*email)
	if at := strings.LastIndexByte(addr, '@'); at < 1 || at == len(addr)-1 || strings.ContainsAny(addr, " \t\r\n") {
		return fmt.Errorf("%w: -email %q is not an email address", ErrUsage, *email)
	}
	if checking(ctx) {
		return nil
	}
	had, err := store.Unsuppress(ctx, addr)
	if err != nil {
		return err
	}
	if had {
		fmt.Fprintf(out, "%s is no longer suppressed: the mailer mails it again\n", addr)
	} else {
		fmt.Fprintf(out, "%s was not suppressed here; nothing changed\n", addr)
	}
	fmt.Fprintf(out, "SES's account-level suppression list may hold it too; to remove it there:\n  aws sesv2 delete-suppressed-destination --email-address %s\n", shellQuote(addr))
	return nil
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@._+-]+$`)

// shellQuote quotes s for a POSIX shell, if it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// resend sends again the emails that ended failed (SES refused them for good) since a
// day, once their cause is fixed: without -confirm it only counts them by template.
// Each is made pending again, then sent through the mailer's own assembly, as mail
// redrive does (the stream mails only new emails); an address suppressed meanwhile ends
// the email suppressed, and a refusal again ends it failed again.
func resend(ctx context.Context, store Store, src Sources, args []string, out io.Writer) error {
	fs := newFlags("mail resend")
	since := fs.String("since", "", "")
	reason := fs.String("reason", "", "")
	confirm := fs.Bool("confirm", false, "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	from, err := parseDay(*since, time.UTC) // mail resend has no -tz: its day starts at midnight UTC
	if err != nil || checking(ctx) {
		return err
	}
	if *confirm && src.Mailer == nil {
		return fmt.Errorf("%w: MAIL_FROM and PUBLIC_URL must be set to send email", ErrUsage)
	}
	want := strings.ToLower(*reason)
	var emails []dynamo.FailedEmail
	byTemplate := map[string]int{}
	err = store.FailedEmails(ctx, from, func(f dynamo.FailedEmail) error {
		if strings.Contains(strings.ToLower(f.Reason), want) {
			emails = append(emails, f)
			byTemplate[f.Email.Template]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	verb := "would resend"
	if *confirm {
		verb = "resending"
	}
	fmt.Fprintf(out, "%s %d failed emails\n", verb, len(emails))
	templates := make([]string, 0, len(byTemplate))
	for t := range byTemplate {
		templates = append(templates, t)
	}
	sort.Strings(templates)
	for _, t := range templates {
		fmt.Fprintf(out, "  %-28s %d\n", t, byTemplate[t])
	}
	if !*confirm {
		if len(emails) > 0 {
			fmt.Fprintln(out, "a dry run: nothing sent; run again with -confirm to send them")
		}
		return nil
	}
	var r mail.Redriven
	changed := 0
	for _, f := range emails {
		reopened, err := store.ReopenEmail(ctx, f.Key)
		if err != nil {
			return fmt.Errorf("%w (%d emails sent before)", err, r.Sent)
		}
		if !reopened { // resent by another run, erased or expired since the scan
			changed++
			continue
		}
		src.Mailer.SendCounted(ctx, f.Key, f.Email, &r)
	}
	fmt.Fprintf(out, "resend: %d emails sent, %d failed again", r.Sent, r.Failed)
	if r.Ended > 0 {
		fmt.Fprintf(out, ", %d ended unsent again (see staff mail failed)", r.Ended)
	}
	if changed > 0 {
		fmt.Fprintf(out, ", %d no longer failed (left alone)", changed)
	}
	fmt.Fprintln(out)
	if r.Failed > 0 || r.Held > 0 {
		return fmt.Errorf("%d emails could not be sent now: they are pending again; see the logs, fix the cause, and run staff mail redrive",
			r.Failed+r.Held)
	}
	return nil
}
