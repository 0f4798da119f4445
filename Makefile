# Two commands on a fresh clone: `make build`, then `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SEGMENTS_DB_PATH ?= segments.duckdb
export RAW_DATA_DIR ?= data/sample

.PHONY: help install build docs serve lint test test-python test-user-options test-resilience
.PHONY: bench backfill sample clean
.PHONY: readme-charts
.PHONY: spark-install spark-up spark-down spark-test bench-spark
MONTHS ?= 6
# The charts at the top of README.md, committed in docs/assets/readme/ by `make readme-charts`
# from a fresh build of the sample of its own (tests/python/test_shipped_build_e2e.py checks
# that they are the bytes `make build` draws).
README_CHARTS := segment_sizes migration_matrix drift_over_time
README_BUILD := target/readme-charts

# Spark (docs/running-on-spark.md). `make spark-up` serves spark://127.0.0.1:7077 for your own
# dbt runs; spark-test and bench-spark start a cluster of their own on SPARK_RUN_PORT, so
# they never stop the one you started, and stop theirs when they end, on failure too.
SPARK_STAMP := $(VENV)/.installed-spark
SPARK_RUN_PORT ?= 7078
SPARK_RUN_DIR := target/spark-run
SPARK_RUN_CLUSTER := SPARK_CLUSTER_DIR=$(SPARK_RUN_DIR)/cluster SPARK_MASTER_PORT=$(SPARK_RUN_PORT) \
	SPARK_MASTER_WEBUI_PORT=8095 PYTHON=$(BIN)/python scripts/spark_cluster.sh
SPARK_RUN_ENV := SPARK_MASTER_URL=spark://127.0.0.1:$(SPARK_RUN_PORT) SPARK_LOCAL_IP=127.0.0.1

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

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

build: install ## Build the sample at 3 monthly as-of dates (history, drift, response) and the docs
	$(BIN)/python scripts/backfill.py --shipped
	$(BIN)/dbt docs generate
	@echo
	@echo "Warehouse: $(abspath $(SEGMENTS_DB_PATH))  (the build's own file)"
	@echo "Published: $(abspath $(or $(SEGMENTS_PUBLISH_PATH),published/segments.duckdb))  (BI tools: open it read-only)"
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

test-user-options: install ## Slow end-to-end: every algorithm, PCA, BG/NBD and the overrides set by vars and seeds
	$(BIN)/pytest -q -n 0 -m user_options tests/python/test_user_options_e2e.py

test-resilience: install ## Slow end-to-end: builds SIGKILLed at each phase, 8 readers through 3 builds
	$(BIN)/pytest -q -n 0 tests/resilience

bench: install ## Scale runs: generate 100k and 1M customers, time dbt build, peak memory
	$(BIN)/python scripts/bench.py

backfill: install ## Build the segment history over MONTHS (default 6) monthly as-of dates
	$(BIN)/python scripts/backfill.py --months $(MONTHS)

readme-charts: install ## Redraw the README charts (docs/assets/readme/) from a fresh sample build
	rm -rf $(README_BUILD)
	RAW_DATA_DIR=data/sample SEGMENTS_DB_PATH=$(README_BUILD)/segments.duckdb \
		SEGMENT_PLOTS_DIR=$(README_BUILD)/charts \
		SEGMENT_CATALOG_FILE=$(README_BUILD)/segment_catalog.md \
		SEGMENTS_PUBLISH_PATH=$(README_BUILD)/published/segments.duckdb \
		EXPORT_DIR=$(README_BUILD)/exports/activation MART_EXPORT_DIR=$(README_BUILD)/exports/marts \
		DBT_TARGET_PATH=$(README_BUILD)/target DBT_LOG_PATH=$(README_BUILD)/logs \
		$(BIN)/python scripts/backfill.py --shipped
	rm -f docs/assets/readme/*.png
	mkdir -p docs/assets/readme
	for chart in $(README_CHARTS); do cp $(README_BUILD)/charts/$$chart.png docs/assets/readme/; done

sample: install ## Regenerate the embedded sample in data/sample
	$(BIN)/python -m custseg.generate --customers 5000 --seed 42 --out data/sample

$(SPARK_STAMP): $(STAMP) requirements-spark.txt requirements-lock.txt
	@echo "==> installing the Spark extras (dbt-spark, pyspark: about 1 GB)"
	$(BIN)/pip install --quiet -r requirements-spark.txt -c requirements-lock.txt
	touch $(SPARK_STAMP)

spark-install: $(SPARK_STAMP) ## Install the Spark extras (requirements-spark.txt) and check Java
	@command -v java >/dev/null 2>&1 || { echo "Java is missing: install Java 17, e.g." \
		"'apt-get install -y openjdk-17-jre-headless' (Debian/Ubuntu), or set JAVA_HOME"; exit 1; }
	@java -version 2>&1 | head -n 1

spark-up: spark-install ## Start a Spark standalone cluster on spark://127.0.0.1:7077 (2 workers)
	PYTHON=$(BIN)/python scripts/spark_cluster.sh up 2

spark-down: ## Stop the cluster of `make spark-up`
	PYTHON=$(BIN)/python scripts/spark_cluster.sh down

spark-test: spark-install ## Own cluster; compile every model for Spark; tests/spark (Spark = DuckDB)
	trap '$(SPARK_RUN_CLUSTER) down' EXIT; \
	$(SPARK_RUN_CLUSTER) up 2 && \
	$(SPARK_RUN_ENV) SEGMENTS_TARGET=spark SEGMENTS_SPARK_DIR=$(SPARK_RUN_DIR)/compile \
		$(BIN)/dbt compile --quiet --target spark \
		--target-path $(SPARK_RUN_DIR)/target --log-path $(SPARK_RUN_DIR)/logs && \
	$(SPARK_RUN_ENV) $(BIN)/pytest -q -n 0 tests/spark

bench-spark: spark-install ## Own cluster; Spark vs DuckDB builds at 100k and 1M: time, driver memory
	trap '$(SPARK_RUN_CLUSTER) down' EXIT; \
	$(SPARK_RUN_CLUSTER) up 2 && \
	$(SPARK_RUN_ENV) $(BIN)/python scripts/bench_spark.py $(BENCH_SPARK_ARGS)

clean: ## Remove build outputs (not the venv)
	rm -rf target logs dbt_packages $(SEGMENTS_DB_PATH) $(SEGMENTS_DB_PATH).lock published
