package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/dev/emulator"
)

func init() { emulator.Logs.Personal("Mallory") }

// TestHostileInput sends what a bot or a careless script sends to the three form
// endpoints: each answers 400 (or 413) in the contract's shape, or, where the text is
// legitimate, stores it and escapes it where it is shown; and the server goes on serving.
func TestHostileInput(t *testing.T) {
	s := newStack(t, true)
	deep := strings.Repeat("[", 4000) + strings.Repeat("]", 4000)
	valid := map[string]string{
		"/donations":     `"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","first_name":"A","last_name":"B","email":"hostile@example.org"`,
		"/members":       `"first_name":"A","last_name":"B","email":"hostile-m@example.org","address":{"city":"Toronto","province":"ON","postal_code":"M5V 2T6"}`,
		"/subscriptions": `"plan":"solidarity-annual","first_name":"A","last_name":"B","email":"hostile-s@example.org"`,
	}
	tests := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"duplicate key", "/donations", `{` + valid["/donations"] + `,"amount_cents":1}`, 400, "amount_cents"},
		{"duplicate key in another case", "/members", `{` + valid["/members"] + `,"EMAIL":"other@example.org"}`, 400, "EMAIL"},
		{"duplicate nested key", "/members", `{"first_name":"A","last_name":"B","email":"x@example.org","address":{"city":"T","city":"U","province":"ON","postal_code":"M5V 2T6"}}`, 400, "address.city"},
		{"number as a string", "/donations", `{"campaign":"appeal-2024","amount_cents":"2500","frequency":"once","first_name":"A","last_name":"B","email":"x@example.org"}`, 400, "amount_cents"},
		{"huge number", "/donations", `{"campaign":"appeal-2024","amount_cents":99999999999999999999,"frequency":"once","first_name":"A","last_name":"B","email":"x@example.org"}`, 400, "amount_cents"},
		{"number too large for any type", "/donations", `{"campaign":"appeal-2024","amount_cents":1e400,"frequency":"once","first_name":"A","last_name":"B","email":"x@example.org"}`, 400, ""},
		{"deeply nested value", "/members", `{"first_name":"A","last_name":"B","email":"x@example.org","address":{"line1":` + deep + `}}`, 400, "address.line1"},
		{"deeply nested unknown field", "/subscriptions", `{"plan":"solidarity-annual","x":` + deep + `}`, 400, "x"},
		{"NUL in a name", "/subscriptions", `{"plan":"solidarity-annual","first_name":"A\u0000","last_name":"B","email":"x@example.org"}`, 400, "first_name"},
		{"header injection in the email", "/donations", `{"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","first_name":"A","last_name":"B","email":"x@example.org\r\nBcc: all@example.org"}`, 400, "email"},
		{"header injection in a name", "/members", `{"first_name":"A\nSubject: spam","last_name":"B","email":"x@example.org","address":{"city":"T","province":"ON","postal_code":"M5V 2T6"}}`, 400, "first_name"},
		{"a name of 10,000 characters", "/donations", `{"campaign":"appeal-2024","amount_cents":2500,"frequency":"once","first_name":"` + strings.Repeat("é", 10000) + `","last_name":"B","email":"x@example.org"}`, 413, ""},
		{"invalid UTF-8", "/subscriptions", "{\"plan\":\"solidarity-annual\",\"first_name\":\"\xff\xfe\",\"last_name\":\"B\",\"email\":\"x@example.org\"}", 400, ""},
		{"an array for the body", "/donations", `[1,2,3]`, 400, ""},
		{"trailing data", "/members", `{` + valid["/members"] + `}{}`, 400, ""},
		{"odd Unicode in a name: not a name", "/subscriptions", `{"plan":"solidarity-annual","first_name":"Mallory \u202eevil\u202c \u200b✊🏽 é","last_name":"B","email":"odd@example.org"}`, 400, "first_name"},
		{"a link in a name: not a name", "/donations", `{"campaign":"appeal-2024","amount_cents":100,"frequency":"once","first_name":"Visit https://evil.example/login","last_name":"B","email":"victim@example.org"}`, 400, "first_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(http.MethodPost, tt.path, "application/json", tt.body, nil)
			if res.status != tt.status {
				t.Fatalf("%d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.status >= 400 {
				var e struct {
					Error  string            `json:"error"`
					Fields map[string]string `json:"fields"`
				}
				if json.Unmarshal(res.body, &e) != nil || e.Error == "" || (tt.field != "" && e.Fields[tt.field] == "") {
					t.Fatalf("error body %s", res.body)
				}
			}
			// The server goes on serving.
			if ok := s.do(http.MethodPost, tt.path, "application/json", `{`+valid[tt.path]+`}`, nil); ok.status >= 300 {
				t.Fatalf("a valid request after it: %d %s", ok.status, ok.body)
			}
		})
	}

	t.Run("script in names is refused, field by field, and nothing is stored", func(t *testing.T) {
		before := len(s.items("donation"))
		res := s.postJSON("/donations", map[string]any{"campaign": "appeal-2024", "amount_cents": 2500, "frequency": "once",
			"first_name": `<script>alert("x")</script>`, "last_name": `<img src=x onerror=alert(1)>`, "email": "script@example.org"}, nil)
		fields, _ := res.json(t)["fields"].(map[string]any)
		if res.status != http.StatusBadRequest || fields["first_name"] == nil || fields["last_name"] == nil || len(s.items("donation")) != before {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})
	t.Run("script in a member's message is escaped in the organizer's notice", func(t *testing.T) {
		s.join(joiner("script-m@example.org", map[string]any{"message": `<a href="https://evil.example">click</a> <b>Mallory</b>`}))
		s.press(link(t, s.waitEmails("script-m@example.org", 1)[0], "/members/confirm"))
		notice := s.waitEmailsAbout("montreal@solidarity.example", "script-m@example.org", 1)[0]
		if strings.Contains(notice.Body, `<a href="https://evil.example">`) || strings.Contains(notice.Body, "<b>Mallory") ||
			!strings.Contains(notice.Body, "&lt;a href=") {
			t.Fatalf("notice HTML:\n%s", notice.Body)
		}
	})
}
