# The verbs a newcomer needs. `make run` and `make test` set up whatever is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz openapi bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "pricing-api needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## serve the API on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/pricing-api serve

test: $(STAMP) lint  ## lint, then the whole suite on real PostgreSQL (TEST_DATABASE_URL, else embedded)
	@bash tests/services.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff, the import contracts (import-linter) and mypy
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

fuzz: $(STAMP)  ## schemathesis against the live app and the committed spec (FUZZ_SECONDS, default 150)
	$(BIN)/python .ci/schemathesis.py

openapi: $(STAMP)  ## regenerate the committed spec from the app
	$(BIN)/pricing-api openapi > openapi/openapi.json

bench: $(STAMP)  ## benchmarks (need wrk and valgrind); they print figures, see docs/benchmarks.md
	$(BIN)/python -m bench.estimate_throughput
	$(BIN)/python -m bench.batch_instructions
	$(BIN)/python -m bench.feed_size
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.import_catalog
	$(BIN)/python -m bench.workers_throughput

clean:
	rm -rf $(VENV) .data
