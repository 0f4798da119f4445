"""Show that the data tests removed by issue 13 carried no signal of their own.

Issue 13 cut the data tests from 857 to a few hundred: model contracts (types, `not_null`
and `check` constraints) took over the null and range checks of the SQL table models, and
a derived column is tested once, where it is created. This script checks that claim:

1. it lists the tests that the old code (commit `--old-ref`) had and this tree has not,
   from both manifests (`dbt parse`, each with its own target path);
2. it picks `--picks` of them with a fixed seed, at least `--min-ranges` `accepted_range`;
3. for each, in a temporary copy of the project, it breaks the column the test guarded
   in the final select of the model the test was attached to (nulls for `not_null`, a
   value outside the range for `accepted_range`, an unknown category, an orphan key, a
   duplicated row for `unique`), runs `dbt build` on that model and everything downstream
   of it (with var `refit`, so the model registry writes a row too), over a warehouse
   already built from a tiny generated world, and reports whether
   the build failed and which node failed first.

Every row should say "yes": the break is still caught by a contract, another test or an
invariant. A "no" means the removed test carried signal and must come back.

Not part of `make test` (it runs one dbt build per pick). Run it from the repository root:

    python scripts/check_removed_tests.py [--seed 13] [--customers 300] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from custseg.warehouse_renames import RENAMED_RELATIONS

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Models of the old code whose body now lives under another name: the renamed relations,
# and `dim_customers`, now a view over `int_customers_joined` where its columns are created.
# A test removed from the old name guarded the column where the new one creates it.
RENAMED_MODELS = RENAMED_RELATIONS | {"dim_customers": "int_customers_joined"}
IGNORED_PATHS = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "dbt_packages", "*.duckdb", "*.duckdb.wal", "data"
)


@dataclass(frozen=True)
class RemovedTest:
    """One data test of the old manifest that the new manifest no longer has."""

    kind: str
    model: str
    column: str | None
    kwargs: str
    name: str


def dbt(
    args: list[str], project: Path, work: Path, env: dict[str, str]
) -> subprocess.CompletedProcess:
    """Run dbt in `project`, writing its target and logs under `work`."""
    return subprocess.run(
        [
            str(BIN / "dbt"),
            *args,
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )


def parse_tests(project: Path, work: Path, env: dict[str, str]) -> tuple[dict, dict]:
    """Parse `project`; return its test nodes and its model and seed nodes, both by name."""
    result = dbt(["parse", "--quiet"], project, work, env)
    if result.returncode != 0:
        raise SystemExit(f"dbt parse failed in {project}:\n{result.stdout}\n{result.stderr}")
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"].values()
    tests = {n["name"]: n for n in nodes if n["resource_type"] == "test"}
    models = {n["name"]: n for n in nodes if n["resource_type"] in ("model", "seed")}
    return tests, models


def test_key(node: dict, renames: dict[str, str]) -> tuple[str, str, str | None, str]:
    """What a generic test checks, independent of its generated name and of model renames."""
    metadata = node.get("test_metadata") or {}
    model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
    kwargs = {
        k: v for k, v in (metadata.get("kwargs") or {}).items() if k not in ("model", "column_name")
    }
    text = json.dumps(kwargs, sort_keys=True)
    for old, new in renames.items():
        text = text.replace(f"'{old}'", f"'{new}'")
    return (
        metadata.get("name", "singular"),
        renames.get(model, model),
        node.get("column_name"),
        text,
    )


def removed_tests(old_ref: str, work: Path, env: dict[str, str]) -> tuple[list[RemovedTest], dict]:
    """The generic tests of `old_ref` that this tree no longer has, and this tree's models."""
    old_tree = work / "old_tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old_tree), old_ref],
        check=True,
        capture_output=True,
    )
    try:
        old_tests, _ = parse_tests(old_tree, work / "old", env)
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
            check=True,
            capture_output=True,
        )
    new_tests, new_models = parse_tests(REPO, work / "new", env)
    renames = {old: new for old, new in RENAMED_MODELS.items() if new in new_models}
    kept = {test_key(node, renames) for node in new_tests.values()}
    removed = []
    for name, node in sorted(old_tests.items()):
        key = test_key(node, renames)
        if key[0] != "singular" and key not in kept:
            removed.append(RemovedTest(*key, name=name))
    return removed, new_models


def pick(removed: list[RemovedTest], seed: int, count: int, min_ranges: int) -> list[RemovedTest]:
    """`count` removed tests drawn with `seed`, at least `min_ranges` of them accepted_range."""
    rng = random.Random(seed)
    ranges = [t for t in removed if t.kind == "accepted_range"]
    picked = rng.sample(ranges, min(min_ranges, len(ranges)))
    others = [t for t in removed if t not in picked]
    picked += rng.sample(others, count - len(picked))
    return sorted(picked, key=lambda t: (t.model, t.column or "", t.kind))


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def literal(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def break_query(test: RemovedTest, relation: str, is_text: bool) -> tuple[str, str]:
    """A select over `relation` (the model's own rows) that breaks what `test` guarded;
    `is_text` says whether the guarded column holds text."""
    args = json.loads(test.kwargs)
    column = quoted(test.column) if test.column else None
    if test.kind in ("unique", "unique_combination_of_columns"):
        return "one row duplicated", (
            f"select * from {relation} union all (select * from {relation} order by all limit 1)"
        )
    if test.kind == "not_null":
        how, expression = "null in every row", f"case when false then {column} end"
    elif test.kind == "accepted_range":
        if args.get("max_value") is not None:
            value = args["max_value"] + 1
        else:
            value = args["min_value"] - 1
        how, expression = (
            f"{value} in every row",
            f"case when {column} is null then {column} else {value} end",
        )
    elif test.kind == "accepted_values":
        values = args["values"]
        outsider = "not_a_category" if isinstance(values[0], str) else max(values) + 1000
        how = f"{literal(outsider)} in every row"
        expression = f"case when {column} is null then {column} else {literal(outsider)} end"
    elif test.kind == "relationships":
        orphan = f"{column} || '_orphan'" if is_text else "-987654"
        how = "keys without a parent"
        expression = f"case when {column} is null then {column} else {orphan} end"
    else:
        raise ValueError(f"no way to break a {test.kind} test")
    return how, f"select * replace ({expression} as {column}) from {relation}"


def column_is_text(world: Path, relation: str, column: str | None) -> bool:
    """Whether `column` of the built `relation` holds text."""
    with duckdb.connect(str(world), read_only=True) as con:
        types = con.execute(
            "select data_type from information_schema.columns"
            " where table_name = ? and column_name = ?",
            [relation, column],
        ).fetchall()
    return bool(types) and types[0][0] == "VARCHAR"


def break_model(model_path: Path, test: RemovedTest, is_text: bool) -> str:
    """Rewrite the model file so that its output breaks `test`; return how."""
    source = model_path.read_text()
    how, query = break_query(test, "unbroken_model", is_text)
    if model_path.suffix == ".sql":
        model_path.write_text(f"with unbroken_model as (\n{source}\n)\n\n{query}\n")
        return how
    if model_path.suffix == ".csv":
        with duckdb.connect() as con:
            con.sql(f"create table unbroken_model as from read_csv('{model_path}')")
            con.sql(f"copy ({query}) to '{model_path}' (header)")
        return how
    source = re.sub(
        r"^def model\(dbt, session\)", "def unbroken_model(dbt, session)", source, flags=re.M
    )
    model_path.write_text(
        source
        + "\n\ndef model(dbt, session):\n"
        + "    import duckdb\n\n"
        + "    unbroken = unbroken_model(dbt, session)\n"
        + "    con = duckdb.connect()\n"
        + "    con.register('unbroken_model', unbroken)\n"
        + f"    return con.sql({query!r}).to_arrow_table()\n"
    )
    return how


def failed_nodes(work: Path) -> list[str]:
    """Nodes that errored or failed in the last build, in the order they finished (long
    generated test names cut at 80 characters)."""
    results_path = work / "target" / "run_results.json"
    if not results_path.exists():
        return []
    results = json.loads(results_path.read_text())["results"]
    # test.<project>.<name>.<hash>, model.<project>.<name>, unit_test.<project>.<model>.<name>
    return [
        r["unique_id"].split(".")[2]
        if r["unique_id"].startswith("test.")
        else r["unique_id"].split(".", 2)[-1]
        for r in results
        if r["status"] in ("error", "fail")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-ref", default="d07e9fe", help="commit of the old tests")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--picks", type=int, default=20)
    parser.add_argument("--min-ranges", type=int, default=5)
    parser.add_argument("--customers", type=int, default=300, help="size of the tiny world")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="check_removed_tests_") as tmp:
        work = Path(tmp)
        env = os.environ | {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SEGMENTS_DB_PATH": str(work / "world.duckdb"),
            "RAW_DATA_DIR": str(work / "raw"),
            "EXPORT_DIR": str(work / "exports" / "activation"),
            "MART_EXPORT_DIR": str(work / "exports" / "marts"),
            "SEGMENTS_PUBLISH_PATH": str(work / "published" / "segments.duckdb"),
            "SEGMENT_PLOTS_DIR": str(work / "plots"),
        }
        removed, models = removed_tests(args.old_ref, work, env)
        picks = pick(removed, args.seed, args.picks, args.min_ranges)
        kinds: dict[str, int] = {}
        for test in removed:
            kinds[test.kind] = kinds.get(test.kind, 0) + 1
        lines = [
            f"{len(removed)} data tests removed since {args.old_ref}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
            f"{len(picks)} picked with seed {args.seed}; each breaks the column in a copy of the "
            "project and runs `dbt build --select <model>+ --vars '{refit: true}'` over a built "
            f"world of {args.customers} customers.",
            "",
        ]

        project = work / "project"
        shutil.copytree(REPO, project, ignore=IGNORED_PATHS)
        subprocess.run(
            [
                str(BIN / "python"),
                "-m",
                "custseg.generate",
                "--customers",
                str(args.customers),
                "--seed",
                str(args.seed),
                "--out",
                str(work / "raw"),
            ],
            check=True,
            capture_output=True,
        )
        control = dbt(["build"], project, work / "control", env)
        if control.returncode != 0:
            raise SystemExit(
                f"the unbroken build fails, nothing to compare:\n{control.stdout[-3000:]}"
            )

        header = ("test", "column", "how broken", "build failed?", "failing node")
        rows = []
        for test in picks:
            model_path = project / models[test.model]["original_file_path"]
            original = model_path.read_text()
            is_text = column_is_text(
                work / "world.duckdb", models[test.model]["alias"], test.column
            )
            how = break_model(model_path, test, is_text)
            run_env = env | {"SEGMENTS_DB_PATH": str(work / "broken.duckdb")}
            shutil.copyfile(work / "world.duckdb", work / "broken.duckdb")
            run_work = work / "broken"
            shutil.rmtree(run_work, ignore_errors=True)
            # A rebuild over the same data writes no new model version unless it refits, so
            # the broken build refits: every model, the registry included, writes its rows.
            result = dbt(
                ["build", "--select", f"{test.model}+", "--vars", "{refit: true}"],
                project,
                run_work,
                run_env,
            )
            model_path.write_text(original)
            failed = failed_nodes(run_work)
            if result.returncode != 0 and not failed:
                # dbt stopped before running a node (for example a parse error): the
                # break was not tested, so it does not count as caught.
                raise SystemExit(
                    f"dbt failed outside the DAG for {test.name}:\n{result.stdout[-3000:]}"
                )
            rows.append(
                (
                    f"{test.kind} on {test.model}",
                    test.column or "(model)",
                    how,
                    "yes" if result.returncode != 0 else "no",
                    (
                        (failed[0] if len(failed[0]) <= 80 else failed[0][:79] + "…")
                        + (f" (+{len(failed) - 1} more)" if len(failed) > 1 else "")
                    )
                    if failed
                    else "-",
                )
            )
            print(" | ".join(rows[-1]), flush=True)

        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            lines.append(
                " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
        caught = sum(r[3] == "yes" for r in rows)
        lines += ["", f"{caught} of {len(rows)} breaks fail the build."]
        report = "\n".join(lines)
        print(report)
        if args.out:
            args.out.write_text(report + "\n")
        if caught < len(rows):
            sys.exit(1)


if __name__ == "__main__":
    main()
