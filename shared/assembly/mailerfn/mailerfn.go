// Package mailerfn builds the mailer function: the table stream's consumer that sends
// outbox emails through SES v2. The staff tool's redrive sends through the same.
package mailerfn

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/solidarity/solidarity/shared/assembly"
	"github.com/solidarity/solidarity/shared/mail"
)

// New is the mailer. It needs MAIL_FROM and PUBLIC_URL (the base of emailed links).
func New(_ context.Context, e assembly.Env) (mail.Mailer, error) {
	c := e.Config
	if c.MailFrom == "" || c.PublicURL == "" {
		return mail.Mailer{}, errors.New("MAIL_FROM and PUBLIC_URL (the base of emailed links) must be set")
	}
	store := e.Store(e.DB())
	return mail.Mailer{
		Outbox: store, Suppressions: store, SES: sesv2.NewFromConfig(e.AWS),
		Broadcasts: &mail.BroadcastCache{Source: store, Now: e.Clock()}, News: store,
		From: c.MailFrom, ConfigurationSet: c.MailConfigurationSet,
		Links: mail.Links(c.DonatePageURL), PublicURL: c.PublicURL, Now: e.Clock(), Org: e.Organization(),
	}, nil
}
