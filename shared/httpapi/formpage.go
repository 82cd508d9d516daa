package httpapi

import (
	"net/http"
	"strings"

	"github.com/solidarity/solidarity/shared/i18n"
)

// Form is a plain HTML form post to show again on its error page, so that a person
// without JavaScript corrects what they typed instead of typing it all again.
type Form struct {
	Fields []FormField
}

// FormField is one field of a Form, in the order the page shows them.
type FormField struct {
	// Name is the request's own field name, dotted for nested ones ("address.city").
	Name string
	// Value is what was posted, as it was typed.
	Value string
	Kind  FieldKind
	// Checked is a check box's state.
	Checked bool
	// Choices are the values a FieldChoice takes, each labelled by the catalogue's
	// choice.<name>.<value> (else shown as it is).
	Choices []string
}

// FieldKind is how a FormField is shown.
type FieldKind int

// The kinds of FormField. A FieldHidden one keeps what the site's page chose (the
// campaign, the plan, the language, an amount's button) without showing it; its problem,
// if any, is in the list at the top of the page.
const (
	FieldText FieldKind = iota
	FieldEmail
	FieldTel
	FieldLong
	FieldCheck
	FieldChoice
	FieldHidden
)

// WriteFormError answers err like WriteError does a plain HTML form post, on a page that
// also shows form again: each field with what was posted and, beside it, its problem
// (aria-invalid, aria-describedby), labelled from the catalogue (label.<name>; a check
// box's check.<name> if there is one), and a button that posts it again to the address it
// came to. Without JavaScript nothing typed is lost. Values are HTML-escaped.
func WriteFormError(w http.ResponseWriter, r *http.Request, lang i18n.Lang, form Form, err error) {
	writeError(w, r, lang, true, &form, err)
}

// pageField is a FormField as errors.html shows it.
type pageField struct {
	FormField
	ID, Label, Error, ErrorID string
	Show                      string // check, choice, long or input
	Input                     string // an input's type attribute
	Choices                   []pageChoice
}

type pageChoice struct {
	ID, Value, Label string
	Checked          bool
}

// pageForm is the form on an error page: its visible and hidden fields.
type pageForm struct {
	Fields, Hidden []pageField
}

// anchor is the id of the shown field named name, or "" if it is not shown.
func (f *pageForm) anchor(name string) string {
	if f == nil {
		return ""
	}
	for _, p := range f.Fields {
		if p.Name == name {
			return p.ID
		}
	}
	return ""
}

func formFields(lang i18n.Lang, form *Form, problems map[string]string) *pageForm {
	if form == nil {
		return nil
	}
	out := &pageForm{}
	for _, ff := range form.Fields {
		slug := idSafe(ff.Name)
		p := pageField{FormField: ff, ID: "f-" + slug, Label: fieldLabel(lang, ff.Name), Error: problems[ff.Name]}
		if p.Error != "" {
			p.ErrorID = "err-" + slug
		}
		switch ff.Kind {
		case FieldHidden:
			out.Hidden = append(out.Hidden, p)
			continue
		case FieldCheck:
			p.Show = "check"
			if text := i18n.Text(lang, i18n.M("check."+ff.Name)); text != "check."+ff.Name {
				p.Label = text
			}
		case FieldChoice:
			p.Show = "choice"
			for i, v := range ff.Choices {
				label := i18n.Text(lang, i18n.M("choice."+ff.Name+"."+v))
				if label == "choice."+ff.Name+"."+v {
					label = v
				}
				c := pageChoice{ID: p.ID, Value: v, Label: label, Checked: strings.EqualFold(strings.TrimSpace(ff.Value), v)}
				if i > 0 {
					c.ID = p.ID + "-" + idSafe(v)
				}
				p.Choices = append(p.Choices, c)
			}
		case FieldLong:
			p.Show = "long"
		case FieldEmail:
			p.Show, p.Input = "input", "email"
		case FieldTel:
			p.Show, p.Input = "input", "tel"
		default:
			p.Show, p.Input = "input", "text"
		}
		out.Fields = append(out.Fields, p)
	}
	return out
}

// idSafe makes a field's name an id's part: letters, digits, - and _ only.
func idSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '-'
	}, s)
}
