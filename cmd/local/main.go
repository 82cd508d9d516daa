// Command local runs the whole system on one machine: it starts moto_server and
// stripe-mock, creates the table, seeds the appeal, and serves every function's handler
// and the demo pages on http://127.0.0.1:8080, with the mailer fed from the table's
// stream. Ctrl-C stops everything it started. `make dev` runs it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/dev/localdev"
	"github.com/solidarity/solidarity/shared/redact"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	if err := run(); err != nil {
		slog.Error("local server", "err", redact.Error(err))
		os.Exit(1)
	}
}

func port(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s must be a port number", name)
	}
	return p, nil
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	httpPort, err := port("PORT", 8080)
	if err != nil {
		return err
	}
	motoPort, err := port("MOTO_PORT", 5000)
	if err != nil {
		return err
	}
	stripePort, err := port("STRIPE_MOCK_PORT", 12111)
	if err != nil {
		return err
	}
	logDir := filepath.Join(emulator.Root(), ".dev")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	motoLog, err := os.Create(filepath.Join(logDir, fmt.Sprintf("moto-%d.log", motoPort)))
	if err != nil {
		return err
	}
	defer motoLog.Close()
	stripeLog, err := os.Create(filepath.Join(logDir, fmt.Sprintf("stripe-mock-%d.log", stripePort)))
	if err != nil {
		return err
	}
	defer stripeLog.Close()

	moto, err := emulator.StartMoto(ctx, motoPort, motoLog)
	defer moto.Stop()
	if err != nil {
		return fmt.Errorf("moto_server on port %d (see .dev/moto-%d.log): %w", motoPort, motoPort, err)
	}
	stripeMock, err := emulator.StartStripeMock(ctx, stripePort, stripePort+1, stripeLog)
	defer stripeMock.Stop()
	if err != nil {
		return fmt.Errorf("stripe-mock on port %d (see .dev/stripe-mock-%d.log): %w", stripePort, stripePort, err)
	}

	// Every setting as in AWS (the README's list), over the local defaults.
	base := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	settings, err := localdev.Settings(os.Getenv, base, stripeMock.URL)
	if err != nil {
		return err
	}
	sys, err := localdev.New(ctx, localdev.Options{
		Config:      settings,
		MotoURL:     moto.URL,
		WebDir:      filepath.Join(emulator.Root(), "web"),
		BranchesCSV: filepath.Join(emulator.Root(), "infra", "branches.csv"),
	})
	if err != nil {
		return err
	}
	go func() {
		if err := sys.Poller.Run(ctx); err != nil {
			slog.Error("mail stream poller", "err", redact.Error(err))
		}
	}()
	go func() { _ = sys.BroadcastPoller.Run(ctx) }() // the broadcast sender, on its local queue

	srv := &http.Server{Handler: sys.Handler, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(httpPort))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", httpPort, err)
	}
	fmt.Printf(`
Solidarity is running locally.

  Donation page      %[1]s/
  Membership page    %[1]s/join.html
  Subscriptions      %[1]s/subscribe.html   (manage: %[1]s/manage.html)
  Appeal progress    %[1]s/campaigns/appeal-2024
  API (POST)         %[1]s/donations  %[1]s/members  %[1]s/subscriptions  %[1]s/portal
  Stripe webhook     %[1]s/webhooks/stripe   (secret: STRIPE_WEBHOOK_SECRET, default whsec_local_dev_secret)
  moto_server        %[2]s   (DynamoDB, Streams, SES v2, S3, SQS)
  stripe-mock        %[3]s

Sent emails:   curl -s %[2]s/solidarity/ses/sent | python3 -c 'import json,sys; [print(m["destinations"]["ToAddresses"], m["subject"]) for m in json.load(sys.stdin)["ses"]["Message"]]'
               (whole messages: curl -s %[2]s/solidarity/ses/sent | python3 -m json.tool)
Staff tool:    AWS_ENDPOINT_URL=%[2]s AWS_REGION=ca-central-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x go run ./cmd/staff campaign show -slug appeal-2024
Paying: the donation form leads to a local checkout page; its Pay button sends the
signed webhook Stripe would. Joining: the confirmation link is in the email moto keeps;
branches come from infra/branches.csv (organizers are <city>@solidarity.example).
Exports:       AWS_ENDPOINT_URL=... go run ./cmd/staff export start -bucket solidarity-exports -wait
               then: go run ./cmd/staff report appeal -export s3://solidarity-exports/on-demand/<time>/ (the address it prints)
Subscribing leads to a local checkout page too: Pay, then renewals, failed payments,
cancellations and address changes are buttons there. Printer's list: staff subscriptions mailing.
Logs of the emulators are in .dev/. Ctrl-C stops everything.

`, base, moto.URL, stripeMock.URL)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	fmt.Println("\nStopped the server, moto_server and stripe-mock.")
	return nil
}
