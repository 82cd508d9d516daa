package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dynamo"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/staff"
)

func init() {
	emulator.Logs.Personal("Mallory", "Intrus", "9 rue du Squat", "8195550100", "Rappelez-moi")
}

// squatter is a stranger's post with someone else's address: the stranger's own name,
// phone, street and message, and a branch of the stranger's choosing.
func squatter(email string) map[string]any {
	return map[string]any{
		"first_name": "Mallory", "last_name": "Intrus", "email": email, "phone": "819-555-0100",
		"address": map[string]any{"line1": "9 rue du Squat", "city": "Gatineau", "province": "QC", "postal_code": "J8X 1A1"},
		"branch":  "gatineau", "language": "fr", "consent_updates": false, "message": "Rappelez-moi au 819-555-0100.",
	}
}

// strangerTraces are what of the stranger's post must not become the victim's.
var strangerTraces = []string{"Mallory", "Intrus", "+18195550100", "9 rue du Squat", "Rappelez-moi"}

// TestSquattedAddress is the attack of a stranger who signs up first with a victim's
// address: the victim's own later signup gets its own link at once, which confirms the
// victim's details and branch only; each link's page shows whose form it confirms; only
// the victim's branch is told; the stranger's earlier link confirms nothing of the victim's.
func TestSquattedAddress(t *testing.T) {
	s := newStack(t, true)
	const victim = "victim@example.org"
	s.join(squatter(victim))
	s.join(joiner(victim, nil)) // a moment later: well within the resend pace
	mails := s.waitEmails(victim, 2)
	strangers, own := link(t, mails[0], "/members/confirm"), link(t, mails[1], "/members/confirm")
	for _, m := range mails {
		for _, tr := range strangerTraces {
			if strings.Contains(m.Body, tr) || strings.Contains(m.Subject, tr) {
				t.Fatalf("a confirmation carries the stranger's %q:\n%s", tr, m.Body)
			}
		}
	}

	// Each link's page names the branch its own post chose, and the first name and city it
	// typed: the victim can tell the stranger's from their own. Following them changes nothing.
	if page := s.open(http.MethodGet, strangers); page.status != http.StatusOK ||
		!strings.Contains(string(page.body), "dans cette section : Section de Gatineau,") ||
		!strings.Contains(string(page.body), "<li>Prénom : Mallory</li>") ||
		!strings.Contains(string(page.body), "<li>Ville : Gatineau, code postal commençant par J8X</li>") ||
		!strings.Contains(string(page.body), "<li>Nouvelles : non.") ||
		!strings.Contains(string(page.body), "Si ce n’est pas ce que vous avez envoyé, n’appuyez pas : quelqu’un d’autre a utilisé votre adresse.") {
		t.Fatalf("the stranger's link's page %d:\n%s", page.status, page.body)
	}
	if page := s.open(http.MethodGet, own); page.status != http.StatusOK ||
		!strings.Contains(string(page.body), "dans cette section : Section de Montréal,") ||
		!strings.Contains(string(page.body), "<li>Prénom : Éloïse</li>") ||
		!strings.Contains(string(page.body), "<li>Ville : Montréal, code postal commençant par H2X</li>") ||
		!strings.Contains(string(page.body), "<li>Nouvelles : oui.") {
		t.Fatalf("the victim's link's page %d:\n%s", page.status, page.body)
	}
	if m := s.member(victim); m.Status != member.StatusPending {
		t.Fatalf("following the links changed the member: %+v", m)
	}

	// The victim presses the button of the link in the newest email, their own.
	if res := s.press(own); res.status != http.StatusOK || !strings.Contains(string(res.body), "Section de Montréal") {
		t.Fatalf("confirm %d:\n%s", res.status, res.body)
	}
	m := s.member(victim)
	if m.Status != member.StatusActive || m.FirstName != "Éloïse" || m.LastName != "Bergeron" || m.Phone != "+15145550199" ||
		m.Address.Line1 != "4321 rue Saint-Denis" || m.Address.PostalCode != "H2X 1Y4" || m.Branch != "montreal" ||
		m.RoutedBy != "postal_code" || m.Message != "Pour la justice sociale.\nEt le journal !" || !m.News || m.Application != "" {
		t.Fatalf("confirmed member %+v", m)
	}
	notice := s.waitEmailsAbout("montreal@solidarity.example", victim, 1)[0]
	if !strings.Contains(notice.Body, "Éloïse Bergeron") || strings.Contains(notice.Body, "Mallory") {
		t.Fatalf("the Montreal organizer's notice:\n%s", notice.Body)
	}
	s.waitEmailsAbout("gatineau@solidarity.example", victim, 0) // Gatineau learns nothing
	welcome := s.waitEmails(victim, 3)[2]
	if !strings.Contains(welcome.Body, "Section de Montréal") || strings.Contains(welcome.Body, "Gatineau") || strings.Contains(welcome.Body, "Mallory") {
		t.Fatalf("welcome:\n%s", welcome.Body)
	}

	// The stranger's older link, pressed now, confirms nothing: the address is a member.
	if page := s.open(http.MethodGet, strangers); page.status != http.StatusOK || !strings.Contains(string(page.body), "déjà confirmée") {
		t.Fatalf("the stranger's link after %d:\n%s", page.status, page.body)
	}
	s.pressConfirm(strangers) // its button, had its page been kept open
	if after := s.member(victim); after.FirstName != "Éloïse" || after.Branch != "montreal" || after.Phone != m.Phone {
		t.Fatalf("the stranger's link changed the member: %+v", after)
	}
	s.waitEmails(victim, 3)
	s.waitEmailsAbout("gatineau@solidarity.example", victim, 0)
	s.waitEmailsAbout("montreal@solidarity.example", victim, 1)
	// Nothing of the stranger's post is kept with the victim's membership.
	if n := len(s.items(dynamo.TypeApplication)); n != 0 {
		t.Fatalf("%d applications left once confirmed", n)
	}
	if left := s.fullScanTraces(strangerTraces...); len(left) > 0 {
		t.Fatalf("the stranger's details are still in the table: %v", left)
	}
}

// TestSquattedAddressOtherWay: had the victim pressed the stranger's link anyway (its
// page names Gatineau), it confirms the stranger's post only, never the victim's later
// details; the victim's own link then confirms nothing more.
func TestSquattedAddressOtherWay(t *testing.T) {
	s := newStack(t, true)
	const victim = "victim-other-way@example.org"
	s.join(squatter(victim))
	s.join(joiner(victim, nil))
	mails := s.waitEmails(victim, 2)
	strangers, own := link(t, mails[0], "/members/confirm"), link(t, mails[1], "/members/confirm")
	if res := s.press(strangers); res.status != http.StatusOK || !strings.Contains(string(res.body), "Section de Gatineau") {
		t.Fatalf("confirm %d:\n%s", res.status, res.body)
	}
	if m := s.member(victim); m.FirstName != "Mallory" || m.Branch != "gatineau" || m.Address.Line1 != "9 rue du Squat" || m.News {
		t.Fatalf("the stranger's link confirmed %+v", m)
	}
	if res := s.open(http.MethodGet, own); res.status != http.StatusOK || !strings.Contains(string(res.body), "déjà confirmée") {
		t.Fatalf("the victim's link after %d:\n%s", res.status, res.body)
	}
	s.pressConfirm(own)
	if m := s.member(victim); m.FirstName != "Mallory" || m.Phone != "+18195550100" {
		t.Fatalf("the victim's link mixed details: %+v", m)
	}
	s.waitEmailsAbout("gatineau@solidarity.example", victim, 1)
	s.waitEmailsAbout("montreal@solidarity.example", victim, 0)
}

// TestSquattedAddressErased: a pending address holding the applications of several posts
// is found whole and erased whole.
func TestSquattedAddressErased(t *testing.T) {
	s := newStack(t, true)
	ctx := context.Background()
	const victim = "victim-erased@example.org"
	s.join(squatter(victim))
	s.join(joiner(victim, nil))
	s.waitEmails(victim, 2)
	var out bytes.Buffer
	if err := staff.Run(ctx, s.sys.Store, staff.Sources{}, []string{"privacy", "find", "-json", "-email", victim}, &out); err != nil {
		t.Fatal(err)
	}
	var found struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(out.Bytes(), &found); err != nil {
		t.Fatal(err)
	}
	apps := 0
	for _, it := range found.Items {
		if it["type"] == dynamo.TypeApplication {
			apps++
		}
	}
	if apps != 2 {
		t.Fatalf("find: %d applications, want 2:\n%s", apps, out.String())
	}
	out.Reset()
	if err := staff.Run(ctx, s.sys.Store, erasureKey(staff.Sources{}), []string{"privacy", "erase", "-email", victim, "-confirm"}, &out); err != nil {
		t.Fatal(err)
	}
	if left := s.fullScanTraces(append([]string{victim, "Éloïse", "Bergeron", "+15145550199", "4321 rue Saint-Denis"}, strangerTraces...)...); len(left) > 0 {
		t.Fatalf("traces left in the table: %v", left)
	}
}
