package staff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
)

// importBranches reads a branch CSV and creates or replaces its branches. The result must
// still have a national at-large list, where members that nothing else fits are sent.
func importBranches(ctx context.Context, store Store, args []string, out io.Writer) error {
	fs := newFlags("branches import")
	file := fs.String("file", "", "")
	fs.words = 1 // the file, without -file
	if err := fs.Parse(args); err != nil {
		return err
	}
	if w := fs.Words(); len(w) == 1 && *file == "" {
		*file = w[0]
	} else if len(w) == 1 {
		return fmt.Errorf("%w: name the branches file once: -file %s or %s", ErrUsage, *file, w[0])
	}
	if *file == "" {
		return fmt.Errorf("%w: name the branches file, such as -file infra/branches.csv", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := branch.ParseCSV(f)
	if err != nil {
		return fmt.Errorf("%s: nothing imported:\n%w", *file, err)
	}
	existing, err := store.Branches(ctx)
	if err != nil {
		return err
	}
	merged := map[string]branch.Branch{}
	for _, b := range existing {
		merged[b.Slug] = b
	}
	added := 0
	for _, b := range rows {
		if _, ok := merged[b.Slug]; !ok {
			added++
		}
		merged[b.Slug] = b
	}
	all := make([]branch.Branch, 0, len(merged))
	for _, b := range merged {
		all = append(all, b)
	}
	if _, _, err := branch.NewDirectory(all).Route(branch.Where{}); err != nil {
		return fmt.Errorf("%s: nothing imported: the branches would have no national at-large list (a row with at_large true and no province)", *file)
	}
	if err := store.PutBranches(ctx, rows); err != nil {
		return err
	}
	fmt.Fprintf(out, "imported %d branches (%d new, %d replaced)\n", len(rows), added, len(rows)-added)
	return nil
}

// listBranches writes every branch as CSV, in the format import reads.
func listBranches(ctx context.Context, store Store, out io.Writer) error {
	bs, err := store.Branches(ctx)
	if err != nil {
		return err
	}
	var rows [][]string
	for _, b := range branch.NewDirectory(bs).Branches() {
		rows = append(rows, []string{b.Slug, b.NameEN, b.NameFR, b.City, b.Province, strings.Join(b.Prefixes, " "),
			strings.Join(b.Organizers, ";"), b.Language, strconv.FormatBool(b.AtLarge)})
	}
	return writeCSV(out, branch.CSVHeader, rows)
}

// MemberColumns are the columns of `members list`.
var MemberColumns = []string{"email", "first_name", "last_name", "phone", "line1", "line2", "city", "province", "postal_code",
	"branch", "routed_by", "status", "language", "news", "created_at", "confirmed_at", "message"}

func listMembers(ctx context.Context, store Store, args []string, out io.Writer) error {
	fs := newFlags("members list")
	slug := fs.String("branch", "", "")
	status := fs.String("status", "", "")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *status != "" && *status != member.StatusPending && *status != member.StatusActive {
		return fmt.Errorf("%w: -status must be pending or active", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	var rows [][]string
	err := store.Members(ctx, *slug, *status, func(m member.Member) error {
		confirmed := ""
		if m.ConfirmedAt != nil {
			confirmed = m.ConfirmedAt.UTC().Format(time.RFC3339)
		}
		rows = append(rows, []string{m.Email, m.FirstName, m.LastName, m.Phone, m.Address.Line1, m.Address.Line2, m.Address.City,
			m.Address.Province, m.Address.PostalCode, m.Branch, m.RoutedBy, m.Status, m.Language, strconv.FormatBool(m.News),
			m.CreatedAt.UTC().Format(time.RFC3339), confirmed, m.Message})
		return nil
	})
	if err != nil {
		return err
	}
	return writeCSV(out, MemberColumns, rows)
}

func moveMember(ctx context.Context, store Store, args []string, out io.Writer, now time.Time) error {
	fs := newFlags("members move")
	email := fs.String("email", "", "")
	slug := fs.String("branch", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *slug == "" {
		return fmt.Errorf("%w: -email and -branch are required", ErrUsage)
	}
	if checking(ctx) {
		return nil
	}
	bs, err := store.Branches(ctx)
	if err != nil {
		return err
	}
	to, ok := branch.NewDirectory(bs).Get(*slug)
	if !ok {
		return fmt.Errorf("no branch %q (see: staff branches list)", *slug)
	}
	m, err := store.Member(ctx, contact.CanonicalEmail(*email))
	if errors.Is(err, member.ErrNotFound) {
		return fmt.Errorf("no member with that email address")
	}
	if err != nil {
		return err
	}
	if m.Branch == to.Slug {
		fmt.Fprintf(out, "the member is in %s already; nothing changed\n", to.Slug)
		return nil
	}
	from := m.Branch
	m.Branch, m.RoutedBy = to.Slug, member.ByStaff
	// A pending member's organizer is told when they confirm; an active one's now.
	var notices []outbox.Email
	if m.Status == member.StatusActive {
		notices = member.Notices(m, to, now)
	}
	if err := store.MoveMember(ctx, m, from, notices); err != nil {
		if errors.Is(err, member.ErrConflict) {
			return fmt.Errorf("the member changed while moving; run the command again")
		}
		return err
	}
	fmt.Fprintf(out, "moved the member from %s to %s; %d organizer(s) notified\n", from, to.Slug, len(notices))
	return nil
}
