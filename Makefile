# Two commands on a fresh clone: `make build`, then `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SEGMENTS_DB_PATH ?= segments.duckdb
export RAW_DATA_DIR ?= data/sample

.PHONY: help install build docs serve lint test test-python bench backfill sample clean
MONTHS ?= 6

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-lock.txt pyproject.toml
	@echo "==> creating $(VENV) and installing pinned dependencies"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -c requirements-lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@# Every build rewrites the tracked placeholder of the segment catalog (README "Docs"):
	@# keep that local rewrite out of `git status` and `git add` in this clone.
	-git update-index --skip-worktree models/marts/segments/_generated__segment_docs.md 2>/dev/null
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

build: install ## Build the warehouse on the embedded sample and generate the docs (with the segment catalog)
	$(BIN)/dbt build
	$(BIN)/dbt docs generate
	@echo
	@echo "Warehouse: $(abspath $(SEGMENTS_DB_PATH))"
	@echo "Docs:      $(abspath target/index.html)  (serve them: source $(BIN)/activate && dbt docs serve)"

docs: install ## Regenerate the dbt docs (the same as `dbt docs generate` after any build)
	$(BIN)/dbt docs generate

serve: install ## Serve the dbt docs on http://127.0.0.1:8080
	$(BIN)/dbt docs serve --host 127.0.0.1 --port 8080

lint: install ## ruff, sqlfluff and dbt-score (scripts/lint.sh; dbt artefacts in target/lint/)
	PATH="$(abspath $(BIN)):$$PATH" scripts/lint.sh

test-python: install ## pytest only (includes the end-to-end dbt builds)
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint test-python ## Every test: lint, metadata, pytest (unit + end-to-end dbt builds)

bench: install ## Scale runs: generate 100k and 1M customers, time dbt build, peak memory
	$(BIN)/python scripts/bench.py

backfill: install ## Build the segment history over MONTHS (default 6) monthly as-of dates
	$(BIN)/python scripts/backfill.py --months $(MONTHS)

sample: install ## Regenerate the embedded sample in data/sample
	$(BIN)/python -m custseg.generate --customers 5000 --seed 42 --out data/sample

clean: ## Remove build outputs (not the venv)
	rm -rf target logs dbt_packages $(SEGMENTS_DB_PATH)
