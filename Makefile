# Hearth: `make test` installs what the tests need (when run as root on
# Debian) and runs vet and staticcheck plus every test: unit, integration,
# multi-instance and browser.

GO ?= go
CHROMIUM ?= /usr/bin/chromium
# staticcheck (honnef.co/go/tools): `make vet` installs this version with
# go install (into GOBIN, or the first GOPATH's bin) when it is missing or
# another version.
STATICCHECK_VERSION ?= v0.8.2
GOBIN_DIR = $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
STATICCHECK = $(GOBIN_DIR)/staticcheck

.PHONY: test deps vet run bench

test: deps vet
	HEARTH_REQUIRE_BROWSER=1 HEARTH_REQUIRE_REDIS=1 $(GO) test -race -count=1 -timeout 12m ./...

deps:
	@missing=""; \
	[ -x "$(CHROMIUM)" ] || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing:$$missing"; \
			(apt-get install -y $$missing || (apt-get update && apt-get install -y $$missing)) >/dev/null; \
		else \
			echo "missing:$$missing (install them, or run make test as root on Debian)"; exit 1; \
		fi; \
	fi

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(STATICCHECK) -version 2>/dev/null | grep -qF '($(STATICCHECK_VERSION:v%=%))' || { \
		echo "installing staticcheck $(STATICCHECK_VERSION)"; \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); }
	$(STATICCHECK) ./...

run:
	$(GO) run ./cmd/hearth

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./media/ ./room/...
