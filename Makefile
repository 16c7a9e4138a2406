# The two commands a developer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install lint format schema bench clean

# Reinstalls only when pyproject.toml changes; creates .venv when it is missing.
$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/reelgraph serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q
	@$(MAKE) --no-print-directory clients

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: install
	$(BIN)/reelgraph export-schema --output schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# Throughput with wrk (a native load generator; installed from Debian's packages when missing),
# as ratios against plain Starlette and the graphql-core engine floor started in the same run.
bench: install
	@command -v wrk >/dev/null 2>&1 || { $(call apt_install,wrk,wrk); }
	$(BIN)/python -m bench.throughput

# --- Real clients (clients/js): codegen, typecheck, then Apollo, urql, graphql-ws and GraphiQL in
# Chromium against real servers. Installs Node.js/npm and Chromium with apt-get when missing (as
# root), and says what to do where it cannot.
CLIENTS  := clients/js
CHROMIUM ?= /usr/bin/chromium
PY_TYPES := build/codegen-python

.PHONY: clients clients-tools codegen vendor-graphiql

# $(call apt_install,PACKAGES,WHAT): apt-get install, refreshing the package lists only if needed.
define apt_install
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: $(2) is missing; install it (Debian: sudo apt-get install -y $(1))" >&2; exit 1; \
	fi; \
	echo "== installing $(1) with apt-get"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -qq $(1) >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq $(1) >/dev/null; } || \
	  { echo "make: could not install $(1) with apt-get" >&2; exit 1; }
endef

clients-tools:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  $(call apt_install,nodejs npm,Node.js 20+ with npm); \
	fi
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
	  { echo "make clients: node and npm are still not on PATH; install Node.js 20+ with npm" >&2; exit 1; }
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("make clients: Node.js 20 or newer is required, found " + process.version + " (graphql-ws and playwright-core need 20)"); process.exit(1) }'
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  $(call apt_install,chromium,Chromium ($(CHROMIUM))); \
	fi
	@test -x "$(CHROMIUM)" || \
	  { echo "make clients: no Chromium at $(CHROMIUM); install one and pass CHROMIUM=/path/to/chromium" >&2; exit 1; }

# npm ci only when the lockfile changed since the last install.
$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json | clients-tools
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Strawberry's CLI (typer, rich, libcst) at the installed Strawberry's version.
$(BIN)/.strawberry-cli: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet "strawberry-graphql[cli]==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("strawberry-graphql"))')"
	@touch $@

# Typed clients for every live documented operation: TypeScript (graphql-codegen, into
# clients/js/src/generated) and Python (strawberry codegen, into build/codegen-python). An
# operation that no longer validates against schema.graphql fails here.
codegen: install $(BIN)/.strawberry-cli $(CLIENTS)/node_modules/.package-lock.json
	cd $(CLIENTS) && npm run --silent codegen
	@rm -rf $(PY_TYPES) && mkdir -p $(PY_TYPES)
	$(BIN)/strawberry codegen --app-dir scripts --schema strawberry_sdl_schema:schema -o $(PY_TYPES) -p python \
	  $$(node $(CLIENTS)/scripts/operations.mjs) >$(PY_TYPES)/codegen.log 2>&1 || { cat $(PY_TYPES)/codegen.log; exit 1; }
	$(BIN)/python -m compileall -q $(PY_TYPES)
	@echo "python types: $$(ls $(PY_TYPES)/*.py | wc -l) files in $(PY_TYPES)"

clients: codegen
	cd $(CLIENTS) && npm run --silent typecheck
	cd $(CLIENTS) && CHROMIUM_PATH=$(CHROMIUM) npm test

# Re-vendor GraphiQL and React into reelgraph/graphiql/static/vendor (pinned in the script).
vendor-graphiql:
	scripts/vendor_graphiql.sh
