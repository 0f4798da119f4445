"""Scale benchmark: generate worlds of growing size, time `dbt build`, measure peak memory.

For each size it also times two yardsticks on the same raw files: one plain DuckDB query
that computes basic per-customer aggregates (`bench_baseline.sql`), and a plain pandas +
scikit-learn script that computes them and fits k-means (`bench_pandas.py`).

    .venv/bin/python scripts/bench.py --sizes 100000 1000000

Results are printed as a Markdown table and written to `bench/results.json`
(`bench/results_flat.json` with `--layout flat`: every raw table as one CSV file).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# One plain DuckDB query over the raw files: the yardstick for the whole build.
BASELINE_SQL = (Path(__file__).parent / "bench_baseline.sql").read_text()


def peak_rss_mib(pid: int | str = "self") -> float:
    """A process's peak resident memory (VmHWM), in MiB: this one's by default.

    Not ``getrusage``: its ``ru_maxrss`` survives ``exec``, so a process started by a large
    parent (the sweep, after writing a big warehouse) would report the parent's peak.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    if pid != "self":
        raise LookupError(f"process {pid} reports no VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command, measured in a fresh helper process."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:]); "
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
        "print(time.perf_counter() - t, peak); "
        "sys.exit(r.returncode)"
    )
    result = subprocess.run(
        [str(BIN / "python"), "-c", probe, *cmd], cwd=REPO, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    seconds, peak = result.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(peak)


def keep_run_results(work: Path, tag: str, label: str, top: int = 12) -> dict:
    """Copy dbt's run_results.json aside and return the slowest nodes with their seconds."""
    text = (work / f"target_{tag}" / "run_results.json").read_text()
    (work / f"run_results_{tag}_{label}.json").write_text(text)
    results = json.loads(text)["results"]
    results.sort(key=lambda r: -r["execution_time"])
    return {
        r["unique_id"].split(".")[-1][:60]: round(r["execution_time"], 1) for r in results[:top]
    }


def generate_world(customers: int, raw: Path, layout: str = "mixed") -> tuple[float, float]:
    """Generate the benchmark world of ``customers`` (seed 1) into ``raw`` unless it is there;
    wall seconds and peak RSS of the generator (NaN when the world was already there)."""
    if (raw / "shop_orders").exists() or (raw / "shop_orders.csv").exists():
        return float("nan"), float("nan")
    print(f"[{customers}] generating raw exports into {raw} ...", flush=True)
    return measure(
        [
            str(BIN / "python"),
            "-m",
            "custseg.generate",
            "--customers",
            str(customers),
            "--seed",
            "1",
            "--out",
            str(raw),
            "--layout",
            layout,
        ],
        dict(os.environ),
    )


def build_env(raw: Path, work: Path, tag: str) -> dict[str, str]:
    """The environment of a benchmark build of ``raw``: every output under ``work``, named
    by ``tag``."""
    return os.environ | {
        "RAW_DATA_DIR": str(raw),
        "EXPORT_DIR": str(work / f"exports_{tag}" / "activation"),
        "MART_EXPORT_DIR": str(work / f"exports_{tag}" / "marts"),
        "SEGMENT_PLOTS_DIR": str(work / f"plots_{tag}"),
        "SEGMENT_CATALOG_FILE": str(work / f"segment_catalog_{tag}.md"),
        "DBT_TARGET_PATH": str(work / f"target_{tag}"),
        "DBT_LOG_PATH": str(work / f"logs_{tag}"),
    }


def bench_size(
    customers: int, work: Path, threads: str, memory_limit: str, dbt_threads: str, layout: str
) -> dict:
    # the default layout keeps the historical names; another layout gets its own files
    tag = str(customers) if layout == "mixed" else f"{customers}_{layout}"
    raw = work / f"raw_{tag}"
    gen_seconds, gen_peak = generate_world(customers, raw, layout)
    size_mb = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file()) / 1e6
    env = build_env(raw, work, tag) | {
        "SEGMENTS_DB_PATH": str(work / f"warehouse_{tag}.duckdb"),
        "SEGMENTS_DUCKDB_THREADS": threads,
        "SEGMENTS_DUCKDB_MEMORY_LIMIT": memory_limit,
        "SEGMENTS_DBT_THREADS": dbt_threads,
    }
    # An empty warehouse: also drop a write-ahead log or spill folder left by a killed run.
    database = Path(env["SEGMENTS_DB_PATH"])
    for leftover in (database, Path(f"{database}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(f"{database}.tmp", ignore_errors=True)

    web_reader = (
        f"read_parquet('{raw}/web_events/*.parquet')"
        if (raw / "web_events").is_dir()
        else f"read_csv('{raw}/web_events.csv', header = true, all_varchar = true)"
    )
    orders_glob = "/*.csv" if (raw / "shop_orders").is_dir() else ".csv"
    tickets_glob = "/*.csv" if (raw / "support_tickets").is_dir() else ".csv"
    sql = BASELINE_SQL.format(
        raw=raw, web_reader=web_reader, orders_glob=orders_glob, tickets_glob=tickets_glob
    )
    baseline_script = (
        "import duckdb, sys; "
        f"con = duckdb.connect(config={{'threads': {threads}, 'memory_limit': '{memory_limit}'}}); "
        "print(con.sql(sys.stdin.read()).fetchall())"
    )
    print(f"[{customers}] baseline DuckDB query ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "-c", baseline_script],
        input=sql,
        text=True,
        check=True,
        capture_output=True,
    )
    baseline_seconds = time.perf_counter() - started

    print(f"[{customers}] plain pandas + scikit-learn script ...", flush=True)
    pandas_seconds, pandas_peak = measure(
        [str(BIN / "python"), str(REPO / "scripts" / "bench_pandas.py"), str(raw)], dict(os.environ)
    )

    print(f"[{customers}] dbt build ...", flush=True)
    build_seconds, build_peak = measure([str(BIN / "dbt"), "build", "--quiet"], env)
    slowest_fit = keep_run_results(work, tag, "fit")
    print(f"[{customers}] dbt build (second run, same data) ...", flush=True)
    rebuild_seconds, rebuild_peak = measure([str(BIN / "dbt"), "build", "--quiet"], env)
    slowest_rescore = keep_run_results(work, tag, "rescore")
    return {
        "customers": customers,
        "layout": layout,
        "raw_size_mb": round(size_mb, 1),
        "generate_seconds": round(gen_seconds, 1),
        "generate_peak_rss_mib": round(gen_peak, 0),
        "baseline_query_seconds": round(baseline_seconds, 1),
        "pandas_script_seconds": round(pandas_seconds, 1),
        "pandas_script_peak_rss_mib": round(pandas_peak, 0),
        "dbt_build_seconds": round(build_seconds, 1),
        "dbt_build_peak_rss_mib": round(build_peak, 0),
        "dbt_rebuild_seconds": round(rebuild_seconds, 1),
        "dbt_rebuild_peak_rss_mib": round(rebuild_peak, 0),
        "slowest_nodes_fit": slowest_fit,
        "slowest_nodes_rescore": slowest_rescore,
        "duckdb_threads": threads,
        "duckdb_memory_limit": memory_limit,
        "dbt_threads": dbt_threads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--layout",
        choices=("mixed", "flat"),
        default="mixed",
        help="raw file layout: mixed (monthly CSV drops, Parquet web events) or flat (all CSV)",
    )
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench")
    # The defaults are the profile's defaults (profiles.yml): the benchmark measures the
    # default configuration.
    parser.add_argument("--threads", default=os.environ.get("SEGMENTS_DUCKDB_THREADS", "2"))
    parser.add_argument(
        "--memory-limit", default=os.environ.get("SEGMENTS_DUCKDB_MEMORY_LIMIT", "3GB")
    )
    parser.add_argument("--dbt-threads", default=os.environ.get("SEGMENTS_DBT_THREADS", "1"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.sizes:
        results.append(
            bench_size(
                n, args.work_dir, args.threads, args.memory_limit, args.dbt_threads, args.layout
            )
        )
        # written after every size, so a failure at a larger size keeps the smaller results
        name = "results.json" if args.layout == "mixed" else f"results_{args.layout}.json"
        (args.work_dir / name).write_text(json.dumps(results, indent=2))
    keys = [k for k in results[0] if not isinstance(results[0][k], dict)]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in results:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
