#!/usr/bin/env bash
# The project's linters: ruff on the Python, sqlfluff on the SQL, dbt-score on the metadata.
# One definition for `make lint` and for the test that checks it leaves target/ alone
# (tests/python/test_artefacts_e2e.py). Usage, from anywhere, with the tools on the PATH:
#
#     scripts/lint.sh [SQL paths, relative to the project folder; default: models tests]
#
# Every dbt artefact of linting (manifests, partial parse, the lint DuckDB file) goes to
# target/lint/, never to target/ itself: `mf query` (which always reads
# target/semantic_manifest.json) and `dbt docs serve` read what `dbt build` wrote there.
set -euo pipefail
cd "$(dirname "$0")/.."

# The same folder as `target_path` in .sqlfluff (sqlfluff's dbt templater) and as the
# default DuckDB file of the `lint` profile target (profiles.yml).
lint_target=target/lint
mkdir -p "$lint_target"

python_paths=(src tests/python tests/spark tests/resilience python_models scripts)
ruff check "${python_paths[@]}"
ruff format --check "${python_paths[@]}"
if [ "$#" -gt 0 ]; then sql_paths=("$@"); else sql_paths=(models tests); fi
sqlfluff lint "${sql_paths[@]}"
dbt parse --target lint --target-path "$lint_target" --quiet
dbt-score lint --manifest "$lint_target/manifest.json" \
    --fail-project-under 9.0 --fail-any-item-under 5.0
