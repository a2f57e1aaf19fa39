# TechX — make targets. `make run` and `make test` are the two that matter.
GO        ?= go
BIN       ?= bin/techx
PKGS      ?= ./...
TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: run build test lint bench bench-search eval migrate seed clean docs-check

## run: start TechX on embedded SQLite under ./data, demo data seeded on first start
run:
	TECHX_ENV=dev $(GO) run ./cmd/techx serve --demo

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/techx

## test: every test — unit, SQLite, PostgreSQL (TECHX_TEST_DATABASE_URL), HTTP, fuzz seeds, OpenAPI
test:
	@if [ -z "$$TECHX_TEST_DATABASE_URL" ]; then \
	  echo "NOTE: TECHX_TEST_DATABASE_URL is not set: PostgreSQL tests will be SKIPPED (CI=true makes that a failure)."; \
	  echo "      e.g. TECHX_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' make test"; \
	fi
	@log=$$(mktemp -t techx-test-log.XXXXXX); \
	  TECHX_TEST_LOG_FILE=$$log $(GO) test $(TEST_FLAGS) $(PKGS); rc=$$?; \
	  scripts/check-logs.sh $$log || rc=1; rm -f $$log; exit $$rc

## docs-check: render /docs in headless Chromium, check the routes are listed, save docs/docs-screenshot.png
docs-check:
	scripts/docs-check.sh

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: Go benchmarks (long ones live here, never in make test)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 60m $(PKGS)

## bench-search: search, matching and indexing at 100,000 listings (see docs/benchmarks.md)
bench-search:
	scripts/bench-search.sh

## eval: the matching relevance benchmark through the product's own path
eval:
	$(GO) run ./cmd/techx eval matching --dir ../shared/data/matching-dev --distractors ../shared/data/distractors/csl-dev.jsonl

## migrate: apply schema migrations to the configured database
migrate:
	TECHX_ENV=dev $(GO) run ./cmd/techx migrate

## seed: load the demo data set into the configured database
seed:
	TECHX_ENV=dev $(GO) run ./cmd/techx seed --demo

clean:
	rm -rf bin data
