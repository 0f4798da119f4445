"""Spark against DuckDB: the same generated worlds built on both, wall time and driver memory.

For each size, a fit build (an empty warehouse: the model is fitted) and a re-score build
(the same data again: the stored model scores every customer) on DuckDB and on the Spark
cluster at ``SPARK_MASTER_URL`` (`make bench-spark` starts one of its own). Memory is the
peak resident memory (VmHWM) of the dbt process, polled from ``/proc`` while it runs, and
on Spark also of the driver's JVM (a child of dbt): what the driver holds must not grow
with the number of customers beyond the bounded fit sample (issue 14, item 6).

    .venv/bin/python scripts/bench_spark.py --customers 100000 1000000

The worlds are `scripts/bench.py`'s (``<work-dir>/raw_<n>``, generated when missing). The
results go to ``<work-dir>/results_spark.json`` and, as a table, into the Spark section of
`docs/benchmarks.md` (between its two markers, replaced on each run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from bench import BIN, REPO, build_env, generate_world, keep_run_results, peak_rss_mib

DOCS = REPO / "docs" / "benchmarks.md"
BEGIN = "<!-- bench-spark: begin (written by scripts/bench_spark.py) -->"
END = "<!-- bench-spark: end -->"
POLL_SECONDS = 0.2


def children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (read from /proc), nearest first."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], list(parents.get(pid, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue.extend(parents.get(child, []))
    return found


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def run_watched(cmd: list[str], env: dict[str, str], log: Path) -> dict[str, float]:
    """Run ``cmd`` (its output to ``log``); its wall seconds, its own peak RSS and the
    largest peak RSS of a Java child (the Spark driver's JVM; 0 on DuckDB), in MiB. VmHWM
    only grows, so the last reading before a process ends is its peak (within one poll)."""
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=output, stderr=output)
        peaks = {"dbt": 0.0, "jvm": 0.0}
        while process.poll() is None:
            for pid in [process.pid, *children(process.pid)]:
                kind = "dbt" if pid == process.pid else "jvm"
                if kind == "jvm" and command_name(pid) != "java":
                    continue
                # a process may end between the listing and the reading
                with contextlib.suppress(OSError, LookupError):
                    peaks[kind] = max(peaks[kind], peak_rss_mib(pid))
            time.sleep(POLL_SECONDS)
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{log.read_text()[-6000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "dbt_peak_mib": round(peaks["dbt"]),
        "driver_jvm_peak_mib": round(peaks["jvm"]),
    }


def engine_env(engine: str, raw: Path, work: Path, tag: str) -> dict[str, str]:
    """The environment of one engine's builds, in an empty warehouse."""
    env = build_env(raw, work, tag)
    if engine == "duckdb":
        database = work / f"warehouse_{tag}.duckdb"
        for leftover in (database, Path(f"{database}.wal")):
            leftover.unlink(missing_ok=True)
        return env | {"SEGMENTS_TARGET": "duckdb", "SEGMENTS_DB_PATH": str(database)}
    spark_dir = work / f"spark_{tag}"
    shutil.rmtree(spark_dir, ignore_errors=True)
    return env | {
        "SEGMENTS_TARGET": "spark",
        "SEGMENTS_SPARK_DIR": str(spark_dir),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def bench_engine(engine: str, customers: int, raw: Path, work: Path) -> dict:
    """Fit build then re-score build of one world on one engine."""
    tag = f"{customers}_{engine}"
    env = engine_env(engine, raw, work, tag)
    row: dict = {"customers": customers, "engine": engine}
    for label in ("fit", "rescore"):
        print(f"[{customers}] {engine}: dbt build ({label}) ...", flush=True)
        measured = run_watched(
            [str(BIN / "dbt"), "build", "--quiet"], env, work / f"dbt_{tag}_{label}.out"
        )
        row |= {f"{label}_{name}": value for name, value in measured.items()}
        row[f"slowest_nodes_{label}"] = keep_run_results(work, tag, label, top=5)
    return row


def markdown(results: list[dict]) -> str:
    """The results as a Markdown table (one row per world and engine)."""
    columns = [
        ("customers", "customers"),
        ("engine", "engine"),
        ("fit_seconds", "fit build (s)"),
        ("fit_dbt_peak_mib", "dbt process peak (MiB)"),
        ("fit_driver_jvm_peak_mib", "driver JVM peak (MiB)"),
        ("rescore_seconds", "re-score build (s)"),
        ("rescore_dbt_peak_mib", "dbt process peak (MiB)"),
        ("rescore_driver_jvm_peak_mib", "driver JVM peak (MiB)"),
    ]
    lines = [
        "| " + " | ".join(title for _, title in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in results:
        lines.append("| " + " | ".join(_cell(row, key) for key, _ in columns) + " |")
    return "\n".join(lines)


def _cell(row: dict, key: str) -> str:
    """One table cell; DuckDB runs no JVM, so its driver-JVM columns say so instead of 0."""
    if "jvm" in key and row["engine"] == "duckdb":
        return "– (no JVM)"
    value = row[key]
    return f"{value:,}" if isinstance(value, int) else str(value)


def write_docs_section(results: list[dict], master: str) -> None:
    """Replace the generated part of the Spark section of docs/benchmarks.md."""
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN not in text:
        raise SystemExit(f"{DOCS} has no line {BEGIN!r}: the section to fill is missing")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    body = (
        f"Measured {time.strftime('%Y-%m-%d')} on {master} (`make bench-spark`, "
        f"{os.cpu_count()} cores shared by the cluster and dbt):\n\n{markdown(results)}\n"
    )
    DOCS.write_text(f"{head}{BEGIN}\n{body}{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--work-dir", type=Path, default=REPO / "bench")
    parser.add_argument(
        "--engines", nargs="+", choices=("duckdb", "spark"), default=["duckdb", "spark"]
    )
    parser.add_argument(
        "--no-docs", action="store_true", help="print the table; leave docs/benchmarks.md as is"
    )
    args = parser.parse_args()
    work = args.work_dir / "spark"
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for customers in args.customers:
        raw = args.work_dir / f"raw_{customers}"
        generate_world(customers, raw)
        for engine in args.engines:
            results.append(bench_engine(engine, customers, raw, work))
            # written after every build, so a failure later keeps the earlier results
            (work / "results_spark.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))
    if not args.no_docs:
        write_docs_section(results, os.environ.get("SPARK_MASTER_URL", "the profile's master"))


if __name__ == "__main__":
    main()
