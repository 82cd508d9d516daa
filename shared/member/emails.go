package member

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/solidarity/solidarity/shared/branch"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/token"
)

// ConfirmEmail is the double opt-in email: its link is minted by the mailer, and
// confirms m's application m.Application (the link's Ref), nothing else. It goes to
// an address nobody has proven, so it carries only the organization's own words (the
// branch's name is the directory's) and the link: nothing anyone typed, which would make
// our signed domain a relay for a stranger's text and links.
func ConfirmEmail(m Member, b branch.Branch) outbox.Email {
	return outbox.Email{
		ID: outbox.MemberConfirm + "_" + m.ID + "_" + strconv.Itoa(m.Notices), Template: outbox.MemberConfirm,
		Language: m.Language, To: m.Email,
		Data: map[string]string{"branch_name": b.Name(m.lang())},
		Links: []outbox.Link{{Name: "confirm_url", Purpose: token.Confirm, Path: "/members/confirm",
			Subject: m.Email, Ref: m.Application, TTLSecs: int64(token.ConfirmTTL / time.Second)}},
	}
}

// Already is the note to an active member who signs up again: nothing to do, and where
// their branch is.
func Already(m Member, b branch.Branch) outbox.Email {
	return outbox.Email{
		ID: outbox.MemberAlready + "_" + m.ID + "_" + strconv.Itoa(m.Notices), Template: outbox.MemberAlready,
		Language: m.Language, To: m.Email, Data: map[string]string{
			"first_name": m.FirstName, "branch_name": b.Name(m.lang()), "branch_contact": strings.Join(b.Organizers, ", "),
		},
	}
}

// Welcome is the email a member gets once confirmed: their branch and its contact.
func Welcome(m Member, b branch.Branch) outbox.Email {
	return outbox.Email{
		ID: outbox.MemberWelcome + "_" + m.ID, Template: outbox.MemberWelcome, Language: m.Language, To: m.Email,
		News: m.News, Data: map[string]string{
			"first_name": m.FirstName, "branch_name": b.Name(m.lang()), "branch_contact": strings.Join(b.Organizers, ", "),
		},
	}
}

// Notices are the emails telling each of b's organizers, in the branch's language, about
// m: a newly confirmed member, or one that staff transferred to b at movedAt (not zero).
func Notices(m Member, b branch.Branch, movedAt time.Time) []outbox.Email {
	bl, _ := i18n.Parse(b.Language)
	kind := "new"
	if !movedAt.IsZero() {
		kind = "moved" + strconv.FormatInt(movedAt.Unix(), 10)
	}
	confirmed := ""
	if m.ConfirmedAt != nil {
		confirmed = m.ConfirmedAt.UTC().Format(time.RFC3339)
	}
	data := map[string]string{
		"member_name": m.FirstName + " " + m.LastName, "email": m.Email, "phone": m.Phone,
		"city": m.Address.City, "province": m.Address.Province, "postal_code": m.Address.PostalCode,
		"member_language": m.Language, "confirmed_at": confirmed, "routed_by": m.RoutedBy,
		"news": strconv.FormatBool(m.News), "message": m.Message, "branch_name": b.Name(bl),
	}
	if !movedAt.IsZero() {
		data["moved"] = "true"
	}
	out := make([]outbox.Email, 0, len(b.Organizers))
	for i, to := range b.Organizers {
		out = append(out, outbox.Email{
			ID:       fmt.Sprintf("%s_%s_%s_%s_%d", outbox.BranchNotice, kind, m.ID, b.Slug, i),
			Template: outbox.BranchNotice, Language: string(bl), To: to, Data: data,
		})
	}
	return out
}

// lang is the member's language.
func (m Member) lang() i18n.Lang {
	l, _ := i18n.Parse(m.Language)
	return l
}
