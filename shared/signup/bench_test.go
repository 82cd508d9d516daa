package signup

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/solidarity/solidarity/shared/consent"
	"github.com/solidarity/solidarity/shared/member"
	"github.com/solidarity/solidarity/shared/outbox"
	"github.com/solidarity/solidarity/shared/request"
)

const benchBody = `{"first_name":"Éloïse","last_name":"Bergeron","email":"eloise@example.org","phone":"(514) 555-0199",` +
	`"address":{"city":"Montréal","province":"QC","postal_code":"H2X 1Y4"},"language":"fr","consent_updates":true,"message":"Pour le journal."}`

func benchRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/members", strings.NewReader(benchBody))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// BenchmarkSignupPath is POST /members in process for a new address, the store faked.
func BenchmarkSignupPath(b *testing.B) {
	st := &fakeStore{
		MemberFn:       func(string) (member.Member, error) { return member.Member{}, member.ErrNotFound },
		CreateMemberFn: func(member.Member, outbox.Email, *consent.Record) error { return nil },
	}
	h := Handler{Service: Service{Store: st, Now: time.Now}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, benchRequest())
		if w.Code != http.StatusAccepted {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// BenchmarkSignupFloor only decodes the same body and encodes the answer.
func BenchmarkSignupFloor(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		request.Floor(httptest.NewRecorder(), benchRequest(), http.StatusAccepted, accepted{Status: "pending_confirmation"})
	}
}
