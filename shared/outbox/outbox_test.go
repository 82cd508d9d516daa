package outbox_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/solidarity/solidarity/shared/outbox"
)

func attributeNames(t *testing.T, v any) []string {
	t.Helper()
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// The table's items, the stream's images, the mailer and the reports all read an email
// by these attribute names.
func TestEmailAttributes(t *testing.T) {
	created := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	plain := outbox.Email{ID: "receipt_pi_1", Template: outbox.DonationReceipt, Language: "fr", To: "elise@example.org",
		Data: map[string]string{"amount_cents": "2500"}, Status: outbox.StatusPending, CreatedAt: created}

	t.Run("an email without links or news stores neither", func(t *testing.T) {
		want := []string{"attempts", "created_at", "data", "id", "language", "status", "template", "to"}
		if got := attributeNames(t, plain); !slices.Equal(got, want) {
			t.Errorf("attributes %v, want %v", got, want)
		}
	})

	news := plain
	news.Template, news.News = outbox.MemberWelcome, true
	news.Links = []outbox.Link{{Name: "unsubscribe_url", Purpose: "unsubscribe", Path: "/unsubscribe", Subject: "elise@example.org", TTLSecs: 400 * 86400}}

	t.Run("a news email with a link stores both", func(t *testing.T) {
		want := []string{"attempts", "created_at", "data", "id", "language", "links", "news", "status", "template", "to"}
		if got := attributeNames(t, news); !slices.Equal(got, want) {
			t.Errorf("attributes %v, want %v", got, want)
		}
	})

	t.Run("a link stores what the mailer needs to mint it, and no secret", func(t *testing.T) {
		want := []string{"name", "path", "purpose", "subject", "ttl_seconds"}
		if got := attributeNames(t, news.Links[0]); !slices.Equal(got, want) {
			t.Errorf("attributes %v, want %v", got, want)
		}
	})

	t.Run("an email reads back as it was written", func(t *testing.T) {
		m, err := attributevalue.MarshalMap(news)
		if err != nil {
			t.Fatal(err)
		}
		var back outbox.Email
		if err := attributevalue.UnmarshalMap(m, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, news) {
			t.Errorf("read back\n%+v\nwant\n%+v", back, news)
		}
	})
}

func TestStatuses(t *testing.T) {
	got := []string{outbox.StatusPending, outbox.StatusSending, outbox.StatusSent, outbox.StatusFailed, outbox.StatusSuppressed}
	if want := []string{"pending", "sending", "sent", "failed", "suppressed"}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v (they are stored in the table)", got, want)
	}
}

func TestTemplates(t *testing.T) {
	all := []string{outbox.DonationReceipt, outbox.DonationFailed, outbox.DonationPaymentFailed, outbox.DonationEnded,
		outbox.MemberConfirm, outbox.MemberWelcome, outbox.MemberAlready, outbox.BranchNotice, outbox.PlanWelcome,
		outbox.PlanReceipt, outbox.PlanPaymentFailed, outbox.PlanRenewalReminder, outbox.PlanLapsed, outbox.PortalLink,
		outbox.NewsConfirm}

	t.Run("every template has its own name", func(t *testing.T) {
		seen := map[string]bool{}
		for _, name := range all {
			if name == "" || seen[name] {
				t.Errorf("template %q is empty or named twice", name)
			}
			seen[name] = true
		}
	})
}
