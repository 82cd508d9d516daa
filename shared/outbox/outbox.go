// Package outbox holds the emails a handler owes. Each is written in the same DynamoDB
// transaction as the change that owes it; the mailer (package mail) renders and sends it
// from the table's stream. Kept apart from the mailer so that writers do not link SES.
package outbox

import (
	"time"
)

// Email statuses in the outbox.
const (
	StatusPending = "pending"
	StatusSending = "sending"
	StatusSent    = "sent"
)

// Templates the mailer knows.
const (
	DonationReceipt = "donation_receipt"
	DonationFailed  = "donation_failed"
)

// Email is one outbox item: what to send to whom, in which language. The body is
// rendered when it is sent, from Template and Data.
type Email struct {
	ID        string            `dynamodbav:"id"`
	Template  string            `dynamodbav:"template"`
	Language  string            `dynamodbav:"language"`
	To        string            `dynamodbav:"to"`
	Data      map[string]string `dynamodbav:"data"`
	Status    string            `dynamodbav:"status"`
	CreatedAt time.Time         `dynamodbav:"created_at"`
	Attempts  int               `dynamodbav:"attempts"`
}
