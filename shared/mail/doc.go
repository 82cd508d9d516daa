// Package mail renders outbox emails in the recipient's language and sends them through
// SES v2: the mailer function's logic, run from the table's stream.
package mail
