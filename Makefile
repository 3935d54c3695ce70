# shop: the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.bun/bin:$(PATH)
TEST_TIMEOUT ?= 60000

.PHONY: install dev start test typecheck

## install: bun (from the npm registry when missing) and the dependencies, from the lock file
install:
	@command -v bun >/dev/null 2>&1 || npm install -g bun
	bun install --frozen-lockfile

## dev: the three services in one process on embedded PGlite (.data/) and an in-memory bus
dev: install
	bun scripts/dev.ts

## test: every test (unit, contract, HTTP, adapters on the real servers when reachable; CI=true requires them)
test: install typecheck
	bun test --timeout $(TEST_TIMEOUT)

## typecheck: tsc --noEmit over the whole repository (strict)
typecheck:
	bunx tsc --noEmit -p .
