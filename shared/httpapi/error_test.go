package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/httpapi"
	"github.com/solidarity/solidarity/shared/i18n"
)

// errorJSON is the contract's error body.
type errorJSON struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

func decodeError(t *testing.T, w *httptest.ResponseRecorder) errorJSON {
	t.Helper()
	var body errorJSON
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return body
}

// captureLogs sends slog's default logger to a buffer for the test.
func captureLogs(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

// waited is a rate-limit error that says how long to wait, like guard.Limited.
type waited struct{ wait time.Duration }

func (e waited) Error() string       { return "over the limit" }
func (e waited) Wait() time.Duration { return e.wait }
func (e waited) Unwrap() error {
	return httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited)
}

func post(path string) *http.Request { return httptest.NewRequest(http.MethodPost, path, nil) }

func TestFail(t *testing.T) {
	e := httpapi.Fail(http.StatusNotFound, httpapi.CodeNotFound)
	if e.Status != http.StatusNotFound || e.Code != "not_found" || e.Message.Key != "error.not_found" || e.Fields != nil {
		t.Errorf("Fail: %+v", e)
	}
	if e.Error() != "not_found" {
		t.Errorf("Error() %q is not the code", e.Error())
	}
}

func TestFieldErrors(t *testing.T) {
	t.Run("none collected is no error", func(t *testing.T) {
		if err := (httpapi.FieldErrors{}).Err(); err != nil {
			t.Errorf("Err() = %v", err)
		}
	})
	t.Run("the first problem of a field is kept", func(t *testing.T) {
		f := httpapi.FieldErrors{}
		f.Add("email", i18n.M("field.required"))
		f.Add("email", i18n.M("field.email"))
		f.Add("address.postal_code", i18n.M("field.postal_code"))
		e, ok := httpapi.AsError(f.Err())
		if !ok {
			t.Fatal("Err() is not an *Error")
		}
		if e.Status != http.StatusBadRequest || e.Code != httpapi.CodeValidation {
			t.Errorf("status %d code %q", e.Status, e.Code)
		}
		if len(e.Fields) != 2 || e.Fields["email"].Key != "field.required" || e.Fields["address.postal_code"].Key != "field.postal_code" {
			t.Errorf("fields %v", e.Fields)
		}
	})
}

func TestAsError(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		known  bool
		status int
		code   string
	}{
		{"an *Error is itself", httpapi.Fail(http.StatusRequestEntityTooLarge, httpapi.CodePayloadTooLarge), true, 413, "payload_too_large"},
		{"an *Error wrapped in context is found", fmt.Errorf("decode: %w", httpapi.Fail(http.StatusUnsupportedMediaType, httpapi.CodeUnsupportedMedia)), true, 415, "unsupported_media_type"},
		{"an error that unwraps to an *Error is found", waited{time.Second}, true, 429, "rate_limited"},
		{"an uncoded error is internal", errors.New("dynamodb: ValidationException"), false, 500, "internal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, known := httpapi.AsError(c.err)
			if known != c.known || e.Status != c.status || e.Code != c.code {
				t.Errorf("AsError = %d %q known=%v, want %d %q known=%v", e.Status, e.Code, known, c.status, c.code, c.known)
			}
		})
	}
}

func TestWriteErrorJSON(t *testing.T) {
	for _, c := range []struct {
		name    string
		err     error
		lang    i18n.Lang
		status  int
		code    string
		message string
	}{
		{"validation failed is 400", httpapi.Fail(http.StatusBadRequest, httpapi.CodeValidation), i18n.EN, 400, "validation_failed", "Some fields need attention."},
		{"bad request is 400", httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest), i18n.EN, 400, "bad_request", "The request could not be read."},
		{"not found is 404", httpapi.Fail(http.StatusNotFound, httpapi.CodeNotFound), i18n.EN, 404, "not_found", "Not found."},
		{"payload too large is 413", httpapi.Fail(http.StatusRequestEntityTooLarge, httpapi.CodePayloadTooLarge), i18n.EN, 413, "payload_too_large", "The request is too large."},
		{"unsupported media type is 415", httpapi.Fail(http.StatusUnsupportedMediaType, httpapi.CodeUnsupportedMedia), i18n.EN, 415, "unsupported_media_type", "Send the form as JSON or as a regular form post."},
		{"rate limited is 429", httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited), i18n.EN, 429, "rate_limited", "Too many attempts. Please try again later."},
		{"the message is in the request's language", httpapi.Fail(http.StatusNotFound, httpapi.CodeNotFound), i18n.FR, 404, "not_found", "Introuvable."},
		{"an uncoded error is shown as internal", errors.New("store donation: secret-detail ana@example.org"), i18n.EN, 500, "internal", "Something went wrong on our side. Please try again in a moment."},
	} {
		t.Run(c.name, func(t *testing.T) {
			captureLogs(t)
			w := httptest.NewRecorder()
			httpapi.WriteError(w, post("/donations"), c.lang, false, c.err)
			if w.Code != c.status {
				t.Errorf("status %d, want %d", w.Code, c.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			body := decodeError(t, w)
			if body.Error != c.code || body.Message != c.message {
				t.Errorf("body %+v, want %q %q", body, c.code, c.message)
			}
			if strings.Contains(w.Body.String(), `"fields"`) {
				t.Errorf("fields appear without field problems: %s", w.Body)
			}
			if strings.Contains(w.Body.String(), "secret-detail") || strings.Contains(w.Body.String(), "ana@example.org") {
				t.Errorf("the error's text leaked to the client: %s", w.Body)
			}
		})
	}

	t.Run("field problems are localized under the request's field names", func(t *testing.T) {
		f := httpapi.FieldErrors{}
		f.Add("email", i18n.M("field.email"))
		f.Add("first_name", i18n.M("field.max", 100))
		w := httptest.NewRecorder()
		httpapi.WriteError(w, post("/donations"), i18n.FR, false, f.Err())
		body := decodeError(t, w)
		want := map[string]string{"email": "Entrez une adresse courriel valide.", "first_name": "Utilisez au plus 100 caractères."}
		if len(body.Fields) != len(want) {
			t.Errorf("fields %v, want %v", body.Fields, want)
		}
		for k, v := range want {
			if body.Fields[k] != v {
				t.Errorf("fields[%s] %q, want %q", k, body.Fields[k], v)
			}
		}
	})

	t.Run("an uncoded error is logged, a coded one is not", func(t *testing.T) {
		logs := captureLogs(t)
		httpapi.WriteError(httptest.NewRecorder(), post("/members"), i18n.EN, false, httpapi.Fail(http.StatusNotFound, httpapi.CodeNotFound))
		if logs.Len() != 0 {
			t.Errorf("a client error was logged: %s", logs)
		}
		httpapi.WriteError(httptest.NewRecorder(), post("/members"), i18n.EN, false, errors.New("boom"))
		if got := logs.String(); !strings.Contains(got, "request failed") || !strings.Contains(got, "/members") || !strings.Contains(got, "boom") {
			t.Errorf("log %q lacks the failure, its path or its error", got)
		}
	})
}

func TestWriteErrorRetryAfter(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"a rate limit without a wait asks for a minute", httpapi.Fail(http.StatusTooManyRequests, httpapi.CodeRateLimited), "60"},
		{"the waiter's time is given in whole seconds", waited{42 * time.Second}, "42"},
		{"part of a second is rounded up", waited{2300 * time.Millisecond}, "3"},
		{"no wait left still asks for a second", waited{0}, "1"},
		{"a wait in the past still asks for a second", waited{-5 * time.Second}, "1"},
		{"a waiter wrapped in context is found", fmt.Errorf("guard: %w", waited{10 * time.Second}), "10"},
		{"other errors carry no Retry-After", httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpapi.WriteError(w, post("/donations"), i18n.EN, false, c.err)
			if got := w.Header().Get("Retry-After"); got != c.want {
				t.Errorf("Retry-After %q, want %q", got, c.want)
			}
		})
	}
}

func TestWriteErrorPage(t *testing.T) {
	page := func(t *testing.T, lang i18n.Lang, referer string, err error) *httptest.ResponseRecorder {
		t.Helper()
		captureLogs(t)
		r := post("/donations")
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		w := httptest.NewRecorder()
		httpapi.WriteError(w, r, lang, true, err)
		return w
	}
	validation := func(fields map[string]i18n.Message) error {
		f := httpapi.FieldErrors{}
		for k, m := range fields {
			f.Add(k, m)
		}
		return f.Err()
	}

	t.Run("a form post's problems are a localized HTML page with the error's status", func(t *testing.T) {
		w := page(t, i18n.FR, "https://solidarity.example/don", validation(map[string]i18n.Message{
			"email": i18n.M("field.email"), "address.postal_code": i18n.M("field.postal_code")}))
		if w.Code != http.StatusBadRequest {
			t.Errorf("status %d", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		body := w.Body.String()
		for _, want := range []string{`<html lang="fr">`, "Veuillez corriger le formulaire", "Certains champs doivent être corrigés.",
			`<li data-field="address.postal_code"><strong>Code postal</strong> — Entrez un code postal canadien valide, comme H2X 1Y4.</li>`,
			`<li data-field="email"><strong>Courriel</strong> — Entrez une adresse courriel valide.</li>`,
			`<a href="https://solidarity.example/don">Retourner au formulaire</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q:\n%s", want, body)
			}
		}
	})

	t.Run("problems are listed in the order of their field names", func(t *testing.T) {
		names := []string{"address.city", "address.postal_code", "amount_cents", "email", "first_name", "frequency", "last_name"}
		fields := map[string]i18n.Message{}
		for _, n := range names {
			fields[n] = i18n.M("field.required")
		}
		for range 5 { // maps iterate in a different order each time
			body := page(t, i18n.EN, "", validation(fields)).Body.String()
			var got []string
			for _, part := range strings.Split(body, `data-field="`)[1:] {
				got = append(got, part[:strings.IndexByte(part, '"')])
			}
			if strings.Join(got, " ") != strings.Join(names, " ") {
				t.Fatalf("problems in order %q, want %q", got, names)
			}
		}
	})

	t.Run("a field without a label of its own is named as sent", func(t *testing.T) {
		w := page(t, i18n.EN, "", validation(map[string]i18n.Message{"colour": i18n.M("field.unknown")}))
		if want := `<strong>colour</strong> — This field is not recognized.`; !strings.Contains(w.Body.String(), want) {
			t.Errorf("page lacks %q:\n%s", want, w.Body)
		}
	})

	t.Run("user text on the page is HTML-escaped", func(t *testing.T) {
		w := page(t, i18n.EN, `https://solidarity.example/don?x="><script>alert(1)</script>`,
			validation(map[string]i18n.Message{`<img src=x onerror=alert(1)>`: i18n.M("field.unknown")}))
		body := w.Body.String()
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img src=x") {
			t.Errorf("markup from the request reached the page:\n%s", body)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("the field name is not shown escaped:\n%s", body)
		}
	})

	t.Run("a javascript: referer is not made a live link", func(t *testing.T) {
		w := page(t, i18n.EN, "javascript:alert(1)", httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
		if strings.Contains(w.Body.String(), `href="javascript:`) {
			t.Errorf("page links to the script:\n%s", w.Body)
		}
	})

	t.Run("without a referer there is no back link", func(t *testing.T) {
		w := page(t, i18n.EN, "", httpapi.Fail(http.StatusBadRequest, httpapi.CodeBadRequest))
		main, _, _ := strings.Cut(w.Body.String(), "</main>") // the footer links to the organization
		if strings.Contains(main, "<a ") || strings.Contains(w.Body.String(), "Go back to the form") {
			t.Errorf("page has a back link:\n%s", w.Body)
		}
		if strings.Contains(w.Body.String(), "<ul>") {
			t.Errorf("page lists problems there are none of:\n%s", w.Body)
		}
	})

	t.Run("an uncoded error's page says internal and nothing of the error", func(t *testing.T) {
		w := page(t, i18n.EN, "", errors.New("conditional check failed for ana@example.org"))
		if w.Code != http.StatusInternalServerError {
			t.Errorf("status %d", w.Code)
		}
		body := w.Body.String()
		if !strings.Contains(body, "Something went wrong on our side.") || strings.Contains(body, "ana@example.org") || strings.Contains(body, "conditional") {
			t.Errorf("page:\n%s", body)
		}
	})

	t.Run("a rate-limited page carries Retry-After too", func(t *testing.T) {
		w := page(t, i18n.EN, "", waited{5 * time.Second})
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "5" {
			t.Errorf("status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
		}
	})
}
