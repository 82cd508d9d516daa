# Solidarity — build, run and test.
#   make dev    run the whole system locally (emulators included) on http://127.0.0.1:8080
#   make test   every test: unit, integration (moto, stripe-mock), contract, Lambda (RIE),
#               cfn-lint, short fuzz runs, a short replay of a day under faults
#   make proof  the long runs: a day of 2,000+ Stripe events, and a broadcast to 2,500, under injected faults
#   make race   the race detector over the packages whose goroutines meet
#   make bench  the performance figures of docs/performance.md (and the README's Performance)
# SAM calls the build-<LogicalId> targets (BuildMethod: makefile).

SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
BIN := $(CURDIR)/bin
STRIPE_MOCK_VERSION := v0.180.0
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
AXE_VERSION := 4.14.1
# How long each fuzz target runs in `make fuzz`. `make test` (CI) runs each for a number
# of executions instead — about ten seconds on a 2-core machine — because a wall-clock
# -fuzztime can fail spuriously at its deadline with Go 1.26 (golang/go#75804).
FUZZTIME ?= 1m
CI_FUZZ := FT_DECODE=60000x FT_WEBHOOK=40000x FT_SIGNUP=30000x FT_SUBSCRIBE=50000x \
	FT_POSTAL=150000x FT_PHONE=800000x FT_EMAIL=100000x FT_EXPORT=80000x FT_ADDRKEY=100000x \
	FT_ORIGIN=50000x FT_ACTION=50000x FT_VIEWER=50000x FT_NAME=50000x FT_CSV=50000x FT_CLIENTKEY=50000x \
	FT_FORMPAGE=20000x FT_NOTE=20000x FT_SESEVENT=50000x \
	FT_STAFFFLAGS=30000x FT_STRIPEKEY=30000x FT_SECRETS=100000x FT_HOOKURL=20000x FT_RESTORE=20000x FT_DOLLARS=200000x \
	FT_WINDOW=30000x FT_ORG=50000x FT_NOTICE=30000x FT_FORMSERVER=20000x FT_PROGRESS=20000x FT_VOID=30000x FT_DAY=50000x \
	FT_AUDIENCE=50000x FT_BCMESSAGE=50000x FT_BCRENDER=30000x FT_ORGCHECKS=100000x
LAMBDA_FLAGS := -trimpath -tags lambda.norpc -ldflags='-s -w'
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: dev test tools unit lint fuzz build clean bench proof race forms staff

dev: tools
	$(GO) build -o $(BIN)/local ./cmd/local
	exec $(BIN)/local

test: tools lint unit
	@$(MAKE) --no-print-directory fuzz $(CI_FUZZ)

# Tools the tests and `make dev` need. Go tools are pinned and installed into ./bin, and
# axe-core's browser script (the browser tests' accessibility checks) from npm; moto and
# cfn-lint come from PyPI and Chromium (the browser tests) from Debian when they are
# missing.
tools: $(BIN)/stripe-mock $(BIN)/aws-lambda-rie $(BIN)/axe.min.js
	@$(PYTHON) -c 'import moto.server, werkzeug' 2>/dev/null || $(PYTHON) -m pip install --quiet 'moto[server]'
	@command -v cfn-lint >/dev/null || $(PYTHON) -m pip install --quiet cfn-lint
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

$(BIN)/stripe-mock:
	GOBIN=$(BIN) $(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

# Pinned: a new AXE_VERSION needs the old file deleted first.
$(BIN)/axe.min.js:
	@mkdir -p $(BIN)
	@command -v npm >/dev/null || { echo "installing Debian's npm to fetch axe-core"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	cd $(BIN) && tgz=$$(npm pack --silent axe-core@$(AXE_VERSION)) && \
		tar -xzf "$$tgz" --strip-components=1 package/axe.min.js && rm "$$tgz" && touch axe.min.js

$(BIN)/aws-lambda-rie:
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	cfn-lint template.yaml

unit:
	$(GO) test -count=1 ./...

# Short fuzz runs of the parsers (the request decoder, the webhook handler, the signup and
# subscription requests, the postal-code, phone and email normalizers, the export lines,
# the rate limits' address and client keys, Origin/Referer, a link page's token, a CDN's
# viewer address, the error page's form, names, CSV cells, names in gift notes, SES's
# bounce and complaint events, the staff tool's global flags and Stripe key modes, the
# webhook's signing secrets, the URL given to stripe connect, restore copy's arguments,
# typed dollars, staff reconcile's window, the organization's identity file, the signed
# notice of the check-your-inbox page, the forms' server, the progress image's totals).
# `make test` runs each for its CI_FUZZ count; `make fuzz` for FUZZTIME (1 minute;
# FUZZTIME=5m for longer). An input that fails is written to the package's testdata/fuzz and stays there
# as a regression case that plain `go test` replays.
fuzz:
	$(GO) test ./shared/request -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(or $(FT_DECODE),$(FUZZTIME))
	$(GO) test ./shared/webhook -run '^$$' -fuzz '^FuzzWebhook$$' -fuzztime $(or $(FT_WEBHOOK),$(FUZZTIME))
	$(GO) test ./shared/signup -run '^$$' -fuzz '^FuzzSignupRequest$$' -fuzztime $(or $(FT_SIGNUP),$(FUZZTIME))
	$(GO) test ./shared/subscribe -run '^$$' -fuzz '^FuzzSubscribeRequest$$' -fuzztime $(or $(FT_SUBSCRIBE),$(FUZZTIME))
	$(GO) test ./shared/address -run '^$$' -fuzz '^FuzzNormalizePostalCode$$' -fuzztime $(or $(FT_POSTAL),$(FUZZTIME))
	$(GO) test ./shared/contact -run '^$$' -fuzz '^FuzzNormalizePhone$$' -fuzztime $(or $(FT_PHONE),$(FUZZTIME))
	$(GO) test ./shared/contact -run '^$$' -fuzz '^FuzzCanonicalEmail$$' -fuzztime $(or $(FT_EMAIL),$(FUZZTIME))
	$(GO) test ./shared/export -run '^$$' -fuzz '^FuzzParseLine$$' -fuzztime $(or $(FT_EXPORT),$(FUZZTIME))
	$(GO) test ./shared/guard -run '^$$' -fuzz '^FuzzAddressKey$$' -fuzztime $(or $(FT_ADDRKEY),$(FUZZTIME))
	$(GO) test ./shared/guard -run '^$$' -fuzz '^FuzzClientKey$$' -fuzztime $(or $(FT_CLIENTKEY),$(FUZZTIME))
	$(GO) test ./shared/httpapi -run '^$$' -fuzz '^FuzzOriginOf$$' -fuzztime $(or $(FT_ORIGIN),$(FUZZTIME))
	$(GO) test ./shared/httpapi -run '^$$' -fuzz '^FuzzButtonToken$$' -fuzztime $(or $(FT_ACTION),$(FUZZTIME))
	$(GO) test ./shared/httpapi -run '^$$' -fuzz '^FuzzParseViewerAddress$$' -fuzztime $(or $(FT_VIEWER),$(FUZZTIME))
	$(GO) test ./shared/httpapi -run '^$$' -fuzz '^FuzzWriteFormError$$' -fuzztime $(or $(FT_FORMPAGE),$(FUZZTIME))
	$(GO) test ./shared/request -run '^$$' -fuzz '^FuzzPersonName$$' -fuzztime $(or $(FT_NAME),$(FUZZTIME))
	$(GO) test ./shared/report -run '^$$' -fuzz '^FuzzSafeCell$$' -fuzztime $(or $(FT_CSV),$(FUZZTIME))
	$(GO) test ./shared/dynamo -run '^$$' -fuzz '^FuzzNameInNote$$' -fuzztime $(or $(FT_NOTE),$(FUZZTIME))
	$(GO) test ./shared/suppression -run '^$$' -fuzz '^FuzzSESEvent$$' -fuzztime $(or $(FT_SESEVENT),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzGlobalFlags$$' -fuzztime $(or $(FT_STAFFFLAGS),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzCheckVoid$$' -fuzztime $(or $(FT_VOID),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzStripeKeyMode$$' -fuzztime $(or $(FT_STRIPEKEY),$(FUZZTIME))
	$(GO) test ./shared/webhook -run '^$$' -fuzz '^FuzzParseSecrets$$' -fuzztime $(or $(FT_SECRETS),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzCheckWebhookURL$$' -fuzztime $(or $(FT_HOOKURL),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzParseRestoreArgs$$' -fuzztime $(or $(FT_RESTORE),$(FUZZTIME))
	$(GO) test ./shared/money -run '^$$' -fuzz '^FuzzParseDollars$$' -fuzztime $(or $(FT_DOLLARS),$(FUZZTIME))
	$(GO) test ./shared/i18n -run '^$$' -fuzz '^FuzzFormatDay$$' -fuzztime $(or $(FT_DAY),$(FUZZTIME))
	$(GO) test ./shared/broadcast -run '^$$' -fuzz '^FuzzParseAudience$$' -fuzztime $(or $(FT_AUDIENCE),$(FUZZTIME))
	$(GO) test ./shared/broadcast -run '^$$' -fuzz '^FuzzParseMessage$$' -fuzztime $(or $(FT_BCMESSAGE),$(FUZZTIME))
	$(GO) test ./shared/broadcast -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(or $(FT_BCRENDER),$(FUZZTIME))
	$(GO) test ./shared/staff -run '^$$' -fuzz '^FuzzReconcileWindow$$' -fuzztime $(or $(FT_WINDOW),$(FUZZTIME))
	$(GO) test ./shared/organization -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(or $(FT_ORG),$(FUZZTIME))
	$(GO) test ./shared/organization -run '^$$' -fuzz '^FuzzChecksAgreeWithTheirPatterns$$' -fuzztime $(or $(FT_ORGCHECKS),$(FUZZTIME))
	$(GO) test ./shared/signup -run '^$$' -fuzz '^FuzzOpenNotice$$' -fuzztime $(or $(FT_NOTICE),$(FUZZTIME))
	$(GO) test ./shared/webforms -run '^$$' -fuzz '^FuzzHandler$$' -fuzztime $(or $(FT_FORMSERVER),$(FUZZTIME))
	$(GO) test ./shared/campaign -run '^$$' -fuzz '^FuzzImage$$' -fuzztime $(or $(FT_PROGRESS),$(FUZZTIME))

# Lambda binaries for SAM: provided.al2023 on arm64, one bootstrap each. SAM runs
# `make build-<LogicalId>` (BuildMethod: makefile); one static pattern rule serves them
# all, each LogicalId paired with its folder under functions/ here.
FUNCTION_DIRS := DonateFunction:donate CampaignFunction:campaign StripeWebhookFunction:stripe-webhook \
	MailerFunction:mailer SignupFunction:signup UnsubscribeFunction:unsubscribe SubscribeFunction:subscribe \
	PortalFunction:portal ExportFunction:export MailEventsFunction:mail-events ReconcileFunction:reconcile \
	BroadcastSenderFunction:broadcast-sender
FUNCTIONS := $(foreach f,$(FUNCTION_DIRS),$(firstword $(subst :, ,$(f))))
function_dir = $(patsubst $(1):%,%,$(filter $(1):%,$(FUNCTION_DIRS)))

BUILD_TARGETS := $(addprefix build-,$(FUNCTIONS))
.PHONY: $(BUILD_TARGETS)
# The files compiled in (infra/plans.json, infra/organization.json) are checked first: a
# wrong one fails `sam build`, not a cold start.
$(BUILD_TARGETS): build-%:
	$(GO) test -run '^(TestDefault|TestShippedIdentity)$$' ./shared/plan ./shared/organization
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(call function_dir,$*)

# The forms of web/ rendered with infra/organization.json into dist/web, ready to upload
# to the forms' site (docs/forms.md). FEE_PERCENT_BPS and FEE_FIXED_CENTS: the stack's
# FeePercentBps and FeeFixedCents, when the deployment changed them.
FEE_PERCENT_BPS ?= 290
FEE_FIXED_CENTS ?= 30
forms:
	$(GO) run ./cmd/forms -out dist/web -fee-bps $(FEE_PERCENT_BPS) -fee-cents $(FEE_FIXED_CENTS)

# The staff tool for staff's own computers, which need no Go: one file per system in
# dist/staff (staff-<version>-linux-amd64, -darwin-amd64 for Intel Macs, -darwin-arm64
# for Apple silicon, -windows-amd64.exe) and their SHA256SUMS. `staff version` says it.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STAFF_DIST ?= dist/staff
STAFF_PLATFORMS := linux/amd64 darwin/amd64 darwin/arm64 windows/amd64
staff:
	@mkdir -p $(STAFF_DIST) && rm -f $(STAFF_DIST)/staff-* $(STAFF_DIST)/SHA256SUMS
	@for p in $(STAFF_PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		out=$(STAFF_DIST)/staff-$(VERSION)-$$os-$$arch$$ext; echo "building $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w -X main.version=$(VERSION)' -o $$out ./cmd/staff || exit 1; \
	done
	@cd $(STAFF_DIST) && { sha256sum staff-* 2>/dev/null || shasum -a 256 staff-*; } > SHA256SUMS
	@echo "the staff tool is in $(STAFF_DIST): give each person the file for their system"

# All of them, into build/<LogicalId>/bootstrap.
build:
	@for f in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$$f ARTIFACTS_DIR=$(CURDIR)/build/$$f || exit 1; done

# The race detector over the packages whose goroutines meet: the mailer (concurrent
# claims), the local stream poller and server, and the end-to-end tests that drive them
# (concurrent deliveries, the replay's senders).
RACE_PKGS := ./shared/mail ./shared/dev/localdev ./shared/dev/faults ./shared/dev/e2e ./cmd/local
race: tools
	$(GO) test -race -count=1 -timeout 30m $(RACE_PKGS)

# The performance figures, printed and written into docs/performance.md, the cold starts
# and the hot appeal into README.md too (about 40 minutes on two cores; jq needed).
bench: tools
	$(GO) run ./cmd/bench

# The replay scenario at length (shared/dev/e2e/replay_test.go): PROOF_EVENTS Stripe
# events (gifts, monthly gifts, plans, refunds, chargebacks won and lost, payments in
# other currencies), each delivered two or three times, shuffled, concurrently, through
# injected AWS faults; then the outage (reconcile_test.go): a day of as many events whose
# webhook missed some, healed by staff reconcile. Both end equal to their reference run.
# PROOF_SEED replays a run (its seed is printed). Prints the runs' figures.
PROOF_EVENTS ?= 2000
PROOF_SEED ?= 0
proof: tools
	set -o pipefail; $(GO) test -count=1 -timeout 90m -run '^(TestReplayDayUnderFaults|TestReconcileHealsAnOutage|TestBroadcastSendsEachOnceThroughFaults)$$' -v ./shared/dev/e2e \
		-args -replay.events=$(PROOF_EVENTS) -reconcile.events=$(PROOF_EVENTS) -replay.seed=$(PROOF_SEED) -broadcast.people=2500 | grep -v '^{'

clean:
	rm -rf build .aws-sam .dev
