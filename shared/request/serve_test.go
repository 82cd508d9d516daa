package request

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// form is a form endpoint's request, as Serve sees it.
type form struct {
	Email    string `json:"email" validate:"required,email"`
	Language string `json:"language"`
	Token    string `json:"cf-turnstile-response"`
}

func (f *form) AskedLanguage() string { return f.Language }
func (f *form) SenderEmail() string   { return f.Email }
func (f *form) BotToken() string      { return f.Token }

// steps records what ran, in order; refuse names the step that fails.
type steps struct {
	ran    []string
	refuse string
	sender Sender
}

func (s *steps) step(name string) error {
	s.ran = append(s.ran, name)
	if s.refuse != name {
		return nil
	}
	if name == "validate" {
		f := httpapi.FieldErrors{}
		f.Add("email", i18n.M("field.email"))
		return f.Err()
	}
	return httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited)
}

func (s *steps) Client(_ context.Context, ip string) error {
	s.sender.IP = ip
	return s.step("client")
}

func (s *steps) Admit(_ context.Context, snd Sender) error {
	s.sender = snd
	return s.step("admit")
}

// TestServeOrder: every request counts against its client, decodable or not, only a
// valid one is admitted (its address counted, its Turnstile token spent), and only an
// admitted one acts.
func TestServeOrder(t *testing.T) {
	const valid = `{"email":"Ana@Example.org","cf-turnstile-response":"tok"}`
	oversize := `{"email":"` + strings.Repeat("a", MaxBody) + `@example.org"}`
	tests := []struct {
		name, contentType, body, refuse string
		wantRan                         string
		wantStatus                      int
	}{
		{name: "valid: all steps, in order", body: valid, wantRan: "client,validate,admit,do", wantStatus: http.StatusAccepted},
		{name: "malformed: counted per client only", body: `{"email":`, wantRan: "client", wantStatus: http.StatusBadRequest},
		{name: "unknown field: counted per client only", body: `{"emial":"a@example.org"}`, wantRan: "client", wantStatus: http.StatusBadRequest},
		{name: "oversize: counted per client only", body: oversize, wantRan: "client", wantStatus: http.StatusRequestEntityTooLarge},
		{name: "another media type: counted per client only", contentType: "text/plain", body: valid, wantRan: "client", wantStatus: http.StatusUnsupportedMediaType},
		{name: "no media type: counted per client only", contentType: "-", body: valid, wantRan: "client", wantStatus: http.StatusUnsupportedMediaType},
		{name: "malformed over the client's limit: 429", body: `{"email":`, refuse: "client", wantRan: "client", wantStatus: http.StatusTooManyRequests},
		{name: "oversize over the client's limit: 429", body: oversize, refuse: "client", wantRan: "client", wantStatus: http.StatusTooManyRequests},
		{name: "over the client's limit: not validated", body: valid, refuse: "client", wantRan: "client", wantStatus: http.StatusTooManyRequests},
		{name: "invalid: counted per client only, never admitted", body: valid, refuse: "validate", wantRan: "client,validate", wantStatus: http.StatusBadRequest},
		{name: "not admitted: nothing done", body: valid, refuse: "admit", wantRan: "client,validate,admit", wantStatus: http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &steps{refuse: tt.refuse}
			var req form
			contentType := tt.contentType
			switch contentType {
			case "":
				contentType = "application/json"
			case "-":
				contentType = ""
			}
			r := post(contentType, tt.body)
			r.RemoteAddr = "203.0.113.7:5555"
			w := httptest.NewRecorder()
			Serve(w, r, &req, http.StatusAccepted, s, Steps{
				Validate: func(i18n.Lang) error { return s.step("validate") },
				Do: func(i18n.Lang) (Outcome, error) {
					s.ran = append(s.ran, "do")
					return Outcome{JSON: map[string]string{"status": "ok"}}, nil
				},
			})
			if got := strings.Join(s.ran, ","); got != tt.wantRan {
				t.Errorf("ran %q, want %q", got, tt.wantRan)
			}
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if strings.Contains(tt.wantRan, "admit") && (s.sender != Sender{IP: "203.0.113.7", Email: "ana@example.org", BotToken: "tok"}) {
				t.Errorf("admitted %+v", s.sender)
			}
			if strings.Contains(tt.wantRan, "client") && s.sender.IP != "203.0.113.7" {
				t.Errorf("counted client %q", s.sender.IP)
			}
		})
	}
}

// TestServeAnswers: JSON gets the status and body; a plain form a 303 to Next, or the
// Message page with the status; errors the contract's shape in the request's language.
func TestServeAnswers(t *testing.T) {
	run := func(contentType, body string, out Outcome, validate func(i18n.Lang) error) *httptest.ResponseRecorder {
		var req form
		w := httptest.NewRecorder()
		Serve(w, post(contentType, body), &req, http.StatusAccepted, nil, Steps{Validate: validate,
			Do: func(i18n.Lang) (Outcome, error) { return out, nil }})
		return w
	}
	out := Outcome{JSON: map[string]string{"status": "sent_if_known"}, Next: "/next"}
	if w := run("application/json", `{"email":"a@example.org"}`, out, nil); w.Code != http.StatusAccepted || w.Body.String() != `{"status":"sent_if_known"}`+"\n" {
		t.Errorf("JSON: %d %s", w.Code, w.Body)
	}
	if w := run("application/x-www-form-urlencoded", "email=a%40example.org", out, nil); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/next" {
		t.Errorf("form: %d %v", w.Code, w.Header())
	}
	page := Outcome{Message: "portal_sent"}
	if w := run("application/x-www-form-urlencoded", "email=a%40example.org&language=fr", page, nil); w.Code != http.StatusAccepted ||
		!strings.Contains(w.Body.String(), i18n.Text(i18n.FR, i18n.M("page.portal_sent.title"))) {
		t.Errorf("form, message page: %d %s", w.Code, w.Body)
	}
	invalid := func(i18n.Lang) error {
		f := httpapi.FieldErrors{}
		f.Add("email", i18n.M("field.email"))
		return f.Err()
	}
	w := run("application/json", `{"email":"nope","language":"fr"}`, out, invalid)
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusBadRequest || got["error"] != httpapi.CodeValidation ||
		got["message"] != i18n.Text(i18n.FR, i18n.M("error.validation_failed")) {
		t.Errorf("invalid: %d %s", w.Code, w.Body)
	}
}
