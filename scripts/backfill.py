"""Build the segment history over a series of monthly as-of dates (`make backfill`, `make build`).

A fresh warehouse has one run, so `fct_segment_migrations` and `rpt_segment_drift` have
nothing to compare. This script runs `dbt build` once per month, oldest first, with var
`as_of_date` set to the same day of each month up to the end date (by default the
project's own as-of date: the day after the latest staged order), for example
2026-06-01, 2026-07-01, ..., 2026-11-01 with `--months 6`. Every build records its run in
the history tables, which survive rebuilds.

`--end-before-data-end` ends the runs one response window before the data ends instead: at
the end of the order and marketing data (the day after the earlier of the latest staged
order and the latest marketing event) minus var `attribution_window_days`, computed from the
staged data. A run's response window in `rpt_segment_drift` lasts until the next run, so
every run but the last gets campaign response, ROAS and lift from data that is complete,
and a later plain `dbt build` (at the project's as-of date) gives the last run its window.
`--charts-on-last-build-only` draws the charts and the catalog (`rpt_segment_plots+`) in the
last build only, as every build redraws them. `--shipped` is the build `make build` ships:
SHIPPED_MONTHS runs with both options.

Each month uses a model trained on or before its own as-of date, never a later one: the
refit policy of `int_segment_model_versions` (docs block `segment_refit_policy`) fits a new
version when no stored version qualifies. After the builds this script checks it for
every run of the history and prints one line per run.

Usage (the environment decides the warehouse, raw data and export folder, as for dbt):

    python scripts/backfill.py --months 6
    python scripts/backfill.py --months 3 --end-date 2026-10-01 --vars '{refit: true}'
    python scripts/backfill.py --months 6 -- --exclude rpt_segment_plots+
    python scripts/backfill.py --shipped   # what `make build` runs before `dbt docs generate`

Arguments after `--` are passed to every `dbt build`.
"""

from __future__ import annotations

import argparse
import calendar
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import yaml  # installed with dbt

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
SHIPPED_MONTHS = 3
"""Runs of `make build` (`--shipped`): the fewest that give every history and drift column
values (PSI and migrations from the second run; response, ROAS and lift for every run but the
last; a refit between two of them for the centroid shift) within the build's time budget."""
CHARTS = "rpt_segment_plots+"
"""The charts and the segment catalog drawn from them: redrawn by every build."""
AS_OF_SQL = "select cast(as_of_date as varchar) as as_of_date from {{ ref('int_as_of_date') }}"
DATA_END_SQL = """
with

latest_order as (
    select max(ordered_date) as latest_date from {{ ref('stg_shop__orders') }}
),

latest_event as (
    select cast(max(event_at) as date) as latest_date from {{ ref('stg_marketing__events') }}
),

data_end as (
    select
        cast(
            {{ dbt.dateadd('day', 1, 'least(latest_order.latest_date, latest_event.latest_date)') }}
            as date
        ) as data_end_date
    from latest_order
    cross join latest_event
)

select
    cast(data_end_date as {{ dbt.type_string() }}) as data_end_date,
    cast(
        cast({{ dbt.dateadd('day', -var('attribution_window_days'), 'data_end_date') }} as date)
        as {{ dbt.type_string() }}
    ) as end_date
from data_end
"""
RUNS_SQL = """
select
    cast(history.as_of_date as varchar) as as_of_date,
    history.model_version,
    cast(versions.trained_as_of_date as varchar) as trained_as_of_date,
    history.customer_count
from (
    select as_of_date, model_version, count(*) as customer_count
    from {{ ref('fct_segment_history') }}
    group by 1, 2
) as history
left join {{ ref('int_segment_model_versions') }} as versions
    on history.model_version = versions.model_version
order by 1, 2
"""
DRIFT_SQL = """
select distinct
    cast(as_of_date as varchar) as as_of_date,
    model_version,
    psi,
    run_changed_customer_share,
    is_refit_recommended
from {{ ref('rpt_segment_drift') }}
order by 1, 2
"""


def months_back(end: date, months: int) -> list[date]:
    """``months`` dates one month apart, oldest first, ending at ``end``.

    The day of the month is kept and clipped to the length of shorter months
    (2026-03-31 backwards gives 2026-02-28).
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    dates = []
    for back in range(months - 1, -1, -1):
        index = end.year * 12 + end.month - 1 - back
        year, month = divmod(index, 12)
        day = min(end.day, calendar.monthrange(year, month + 1)[1])
        dates.append(date(year, month + 1, day))
    return dates


def run_dbt(args: list[str], *, capture: bool = False) -> subprocess.CompletedProcess:
    """Run dbt from the project folder with the caller's environment."""
    command = [str(DBT), *args]
    if not capture:
        print("+ dbt " + " ".join(args), flush=True)
    return subprocess.run(command, cwd=REPO, text=True, capture_output=capture, check=False)


def dbt_show(sql: str, build_vars: dict | None = None) -> list[dict]:
    """Rows of an inline query through `dbt show` (works on any adapter)."""
    args = ["--quiet", "show", "--inline", sql, "--output", "json", "--limit", "-1"]
    if build_vars:
        args += ["--vars", json.dumps(build_vars)]
    result = run_dbt(args, capture=True)
    if result.returncode != 0:
        raise RuntimeError(f"dbt show failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return json.loads(result.stdout[result.stdout.index("{") :])["show"]


def default_end_date() -> date:
    """The project's own as-of date (var `as_of_date` unset): build int_as_of_date and read it."""
    result = run_dbt(
        [
            "build",
            "--select",
            "+int_as_of_date",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--vars",
            "{as_of_date: null}",
        ]
    )
    if result.returncode != 0:
        raise SystemExit("backfill: could not resolve the default as-of date (see the dbt log)")
    rows = dbt_show(AS_OF_SQL)
    return date.fromisoformat(rows[0]["as_of_date"])


def end_before_data_end(build_vars: dict) -> date:
    """One response window (var `attribution_window_days`) before the end of the order and
    marketing data: build their staging models and compute it there."""
    result = run_dbt(
        [
            "build",
            "--select",
            "+stg_shop__orders",
            "+stg_marketing__events",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--vars",
            json.dumps(build_vars),
        ]
    )
    if result.returncode != 0:
        raise SystemExit("backfill: could not stage the orders and marketing events (see the log)")
    row = dbt_show(DATA_END_SQL, build_vars)[0]
    end = date.fromisoformat(row["end_date"])
    print(
        f"backfill: the order and marketing data end before {row['data_end_date']}; the last "
        f"as-of date is one attribution window earlier: {end}",
        flush=True,
    )
    return end


def build_args(extra: list[str], *, draw_charts: bool) -> list[str]:
    """The `dbt build` arguments after the vars: ``extra``, and without drawing the charts
    unless ``draw_charts`` (dbt applies every ``--exclude`` given, the caller's too)."""
    return list(extra) if draw_charts else [*extra, "--exclude", CHARTS]


def check_point_in_time(runs: list[dict]) -> list[str]:
    """Runs whose model version was trained after their as-of date (must be none)."""
    return [
        f"run {run['as_of_date']} used model version {run['model_version']} trained at "
        f"{run['trained_as_of_date']}"
        for run in runs
        if run["trained_as_of_date"] is None or run["trained_as_of_date"] > run["as_of_date"]
    ]


def parse_vars(text: str) -> dict:
    """A dbt ``--vars`` value (YAML, so JSON too) as a dict."""
    value = yaml.safe_load(text) or {}
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("--vars must be a mapping, e.g. '{refit: true}'")
    return value


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--months",
        type=int,
        help=f"number of monthly runs (6; {SHIPPED_MONTHS} with --shipped)",
    )
    end = parser.add_mutually_exclusive_group()
    end.add_argument(
        "--end-date",
        type=date.fromisoformat,
        help="as-of date of the last run, YYYY-MM-DD (default: the project's as-of date)",
    )
    end.add_argument(
        "--end-before-data-end",
        action="store_true",
        help="end one response window (var attribution_window_days) before the order and "
        "marketing data end, so that every run's response window is inside the data",
    )
    parser.add_argument(
        "--charts-on-last-build-only",
        action="store_true",
        help=f"draw the charts and the catalog ({CHARTS}) in the last build only",
    )
    parser.add_argument(
        "--shipped",
        action="store_true",
        help=f"the build of `make build`: {SHIPPED_MONTHS} runs (unless --months), "
        "--end-before-data-end and --charts-on-last-build-only",
    )
    parser.add_argument(
        "--vars",
        type=parse_vars,
        default={},
        help="further dbt vars for every build, as YAML or JSON (as_of_date is set per month)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="continue with the next month when a build fails (its run may be incomplete)",
    )
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    if args.shipped:
        if args.end_date is not None:
            parser.error("--shipped sets the end date: leave out --end-date")
        args.months = args.months or SHIPPED_MONTHS
        args.end_before_data_end = args.charts_on_last_build_only = True
    args.months = args.months or 6
    return args, argv[split + 1 :]


def main(argv: list[str] | None = None) -> int:
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    if args.end_before_data_end:
        end = end_before_data_end(args.vars)
    else:
        end = args.end_date or default_end_date()
    dates = months_back(end, args.months)
    print(f"backfill: {len(dates)} runs, as-of dates {', '.join(map(str, dates))}", flush=True)
    failed = []
    for as_of_date in dates:
        build_vars = json.dumps({**args.vars, "as_of_date": as_of_date.isoformat()})
        draw_charts = not args.charts_on_last_build_only or as_of_date == dates[-1]
        result = run_dbt(
            ["build", "--vars", build_vars, *build_args(extra, draw_charts=draw_charts)]
        )
        if result.returncode != 0:
            failed.append(as_of_date)
            print(f"backfill: the build at {as_of_date} failed", file=sys.stderr, flush=True)
            if not args.keep_going:
                return 1

    runs = dbt_show(RUNS_SQL)
    print("\nbackfill: runs in fct_segment_history (as_of_date, model_version, trained, customers)")
    for run in runs:
        print(
            f"  {run['as_of_date']}  v{run['model_version']}  trained {run['trained_as_of_date']}"
            f"  {run['customer_count']:,} customers"
        )
    drift = dbt_show(DRIFT_SQL)
    print("backfill: rpt_segment_drift (as_of_date, model_version, PSI, changed share, refit)")
    for row in drift:
        psi = "-" if row["psi"] is None else f"{row['psi']:.4f}"
        changed = row["run_changed_customer_share"]
        changed_text = "-" if changed is None else f"{changed:.1%}"
        print(
            f"  {row['as_of_date']}  v{row['model_version']}  PSI {psi}  changed {changed_text}"
            f"  refit recommended: {row['is_refit_recommended']}"
        )
    violations = check_point_in_time(runs)
    for violation in violations:
        print(f"backfill: point-in-time violation: {violation}", file=sys.stderr)
    if failed:
        print(f"backfill: failed builds at {', '.join(map(str, failed))}", file=sys.stderr)
    return 1 if violations or failed else 0


if __name__ == "__main__":
    sys.exit(main())
