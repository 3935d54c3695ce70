# shop: the two commands a newcomer needs are `make dev` and `make test`.
SHELL := /bin/bash
export PATH := $(HOME)/.bun/bin:$(PATH)
TEST_TIMEOUT ?= 60000

.PHONY: install dev start reset migrate broker seed test test-faults typecheck lint chromium bench up down
.PHONY: docker-engine client k8s prometheus rules rollout haproxy wrk

## install: bun (from the npm registry when missing) and the dependencies, from the lock file
install:
	@command -v bun >/dev/null 2>&1 || npm install -g bun
	bun install --frozen-lockfile

## dev: the three services in one process on embedded PGlite (.data/) and an in-memory bus
dev: install
	bun scripts/dev.ts

## start: the three services as supervised processes (restarted when one dies) on a real PostgreSQL and
## RabbitMQ (.env / environment); INSTANCES=N: N processes of each behind HAProxy on the public ports
start: install broker $(if $(INSTANCES),haproxy)
	bun scripts/start.ts

## rollout: restart every instance of the running `make start`, one at a time (with INSTANCES=N: no request fails)
rollout:
	bun scripts/rollout.ts

## wrk: Debian's wrk, make bench's HTTP load generator (bench/http, bench/orders), installed with apt-get when missing
wrk:
	@bash scripts/ensure-debian.sh wrk 'make bench (the HTTP and order benchmarks)' command -v wrk

## haproxy: Debian's haproxy (INSTANCES=N make start, the rolling-restart test), installed with apt-get when missing
haproxy:
	@bash scripts/ensure-debian.sh haproxy 'INSTANCES=N make start and the rolling-restart test' command -v haproxy

## reset: delete the embedded databases of `make dev`: DATA_DIR as the services read it (the environment,
## else .env, else .data)
DATA_DIR ?= $(or $(shell sed -n 's/^DATA_DIR=//p' .env 2>/dev/null | tail -n 1),.data)
reset:
	@test -n "$(DATA_DIR)" -a "$(DATA_DIR)" != "/" || { echo "reset: DATA_DIR is empty or /; refusing" >&2; exit 1; }
	rm -rf "$(DATA_DIR)"

## migrate: create the three databases if missing and apply their migrations (real PostgreSQL), and the broker set-up
migrate: install broker
	bun scripts/migrate.ts

## broker: the RabbitMQ set-up (rabbitmqctl, local node): a user per service with least privilege, topic
## permissions, exchanges, queues, bindings; idempotent (AUTH_AMQP_URL, CATALOG_AMQP_URL, ORDER_AMQP_URL)
broker: install
	bun scripts/broker.ts

## seed: sample users, a 3-level category tree, products and orders, through the public API of a running shop
seed:
	bun scripts/seed.ts

## client: the typed client: its types regenerated from the three services' OpenAPI documents
## (client/src/generated/), then built to ESM JavaScript and .d.ts in client/dist/ with the repository's
## TypeScript; `cd client && npm pack` then gives the tarball to install with npm or bun
client: install
	bun client/scripts/generate.ts
	rm -rf client/dist
	cd client && ../node_modules/.bin/tsc -p tsconfig.build.json
	@echo "client: client/dist/ built; cd client && npm pack"

## test: every test (unit, contract, HTTP, adapters on the real servers when reachable, /docs and /redoc in
## Chromium, a real Prometheus on the dashboard and the alerts; CI=true requires the servers, Chromium, Prometheus).
## TEST_WORKERS files at once (each worker its own databases and vhosts), the slowest first (tests/timings.json:
## per-file times, refreshed with `bun test --parallel=2 --no-isolate --timings=tests/timings.json --update-timings`)
TEST_WORKERS ?= 2
test: install chromium haproxy prometheus rules typecheck lint
	bun test --timeout $(TEST_TIMEOUT) --parallel=$(TEST_WORKERS) --no-isolate --timings=tests/timings.json

## prometheus: Debian's prometheus (the server and promtool) for tests/prometheus.test.ts and `make rules`,
## installed with apt-get when missing, if root
prometheus:
	@bash scripts/ensure-debian.sh prometheus 'tests/prometheus.test.ts and make rules' \
		bash -c 'command -v prometheus && command -v promtool'

## rules: the alerting rules (observability/alerts.yml) checked by promtool
rules: prometheus
	promtool check rules observability/alerts.yml

## chromium: Debian's chromium for the browser test (tests/browser), installed with apt-get when missing
chromium:
	@bash scripts/ensure-debian.sh chromium 'the browser test (tests/browser)' \
		test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}"

## test-faults: the fault suite on real processes under load (broker stopped and restarted, services
## SIGKILLed, database connections terminated); stops the local RabbitMQ for a few seconds. Not in
## `make test` (bunfig.toml ignores tests/faults there; the flag below lifts that).
test-faults: install
	bun test --timeout 180000 --path-ignore-patterns='node_modules/**' tests/faults

## typecheck: tsc --noEmit over the whole repository (strict)
typecheck:
	bunx tsc --noEmit -p .

## lint: Biome's formatter and linter over the tree, writing nothing (biome.jsonc), and no line over 120
## characters in the code and config files (scripts/check-lines.ts)
lint: install
	bunx biome check .
	bun scripts/check-lines.ts

## bench: every benchmark (bench/events, bench/catalog, bench/http with its ceilings, bench/orders,
## bench/observability, bench/catalog/conditional.ts) on the local PostgreSQL and RabbitMQ, one after the
## other, then one report: bench/REPORT.md (takes ~15 min); then the times the tests do not assert
## (bench/timings: crossing category moves per round, the outbox relay's wake and backoff, process start-up)
bench: install wrk
	bun bench/report.ts
	bun bench/timings/crossing-moves.ts
	bun bench/timings/relay.ts
	bun bench/timings/processes.ts

## up: the whole stack in Docker (compose.yaml: 3 × postgres, rabbitmq, auth, catalog, order); needs JWT_SECRET;
## the event keys from the environment or .env, else make start's dev keys (bun scripts/event-keys.ts --export)
up: docker-engine install
	eval "$$(bun scripts/event-keys.ts --export)" && docker compose up -d --build

## down: stop and remove the compose stack's containers (the data and log volumes are kept)
down: docker-engine
	docker compose down

## k8s: render the Kubernetes manifests of both overlays (kubectl kustomize deploy/k8s/overlays/dev and ha) into
## deploy/k8s/build/dev.yaml and ha.yaml, after checking the generated broker objects are up to date
K8S_BUILD ?= deploy/k8s/build
k8s: install
	bun scripts/k8s-broker.ts --check
	@mkdir -p $(K8S_BUILD)
	kubectl kustomize deploy/k8s/overlays/dev > $(K8S_BUILD)/dev.yaml
	kubectl kustomize deploy/k8s/overlays/ha > $(K8S_BUILD)/ha.yaml
	@echo "k8s: $(K8S_BUILD)/dev.yaml and $(K8S_BUILD)/ha.yaml"
	@echo "  (kubectl apply -f one of them, or kubectl apply -k deploy/k8s/overlays/<overlay>)"

docker-engine:
	@docker info >/dev/null 2>&1 || { \
	  echo "No Docker engine is reachable ('docker info' failed), so 'make $(MAKECMDGOALS)' cannot run" \
	    "compose.yaml." >&2; \
	  echo "'make start' runs the same three services without Docker, on a local PostgreSQL and RabbitMQ" >&2; \
	  echo "(and 'make dev' runs them on embedded databases with nothing else installed)." >&2; \
	  exit 1; }
