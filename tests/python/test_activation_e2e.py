"""End-to-end: activation exports, consent, suppression, control groups and history (issue #7).

One generated world (1,500 clean customers; the CRM still writes opt-in as yes/no/1/0/y/n/
TRUE/...) gets a raw suppression list (with objections to profiling by id, by email and
from a customer who never ordered) and is built by `scripts/backfill.py` for three monthly
as-of dates ending 2026-10-01, so the CRM and campaign data after the last as-of date
exercise "opted out later". The models are built without dbt tests for speed; then the
activation selection is tested with dbt, rebuilt with `--full-refresh` to check that the
history survives and the exports are replaced byte for byte, and the Parquet mart exports
are written. Every expectation is computed here from the raw files (consent, suppression,
orders) or from restricted contacts with our own hashing, not from the models under test.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import REPO, World, dbt_env, generate, project_vars
from lift_reference import lift_statistics

BIN = Path(sys.executable).parent
SEED = 21
CUSTOMERS = 1_500
END_DATE = date(2026, 10, 1)
RUN_DATES = [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
CONTROL_SHARE = 0.1
BUILD_VARS = {
    "activation_min_audience": {"crm": 1, "email": 5, "ads": 20},
    "algorithms": ["kmeans"],
    "segment_k_max": 6,
}
FAST_BUILD = [
    "--exclude-resource-type",
    "test",
    "unit_test",
    "--exclude",
    "rpt_segment_plots+",  # the charts and the catalog drawn from them
    "rpt_mart_exports",
]
ACTIVATION_SELECTION = [
    "suppression_list",
    "path:models/staging/privacy",
    "path:models/intermediate/activation",
    "path:python_models/activation",
    "path:models/marts/activation",
]
TRUE_TEXTS = {"true", "yes", "y", "1"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")


@dataclass(frozen=True)
class ActivationWorld:
    world: World
    export_dir: Path
    mart_export_dir: Path
    env: dict[str, str]
    backfill_output: str
    test_output: str
    suppressions: pd.DataFrame
    first_manifests: dict[str, dict]
    history_rows_before_rerun: int


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifests(export_dir: Path) -> dict[str, dict]:
    return {
        destination: json.loads((export_dir / destination / "manifest.json").read_text())
        for destination in ("crm", "email", "ads")
    }


def raw_crm(raw_dir: Path) -> pd.DataFrame:
    crm = pd.read_csv(raw_dir / "crm_customers.csv", dtype=str, keep_default_na=False)
    crm["updated_at"] = pd.to_datetime(crm["updated_at"], utc=True, format="ISO8601")
    crm["signup_at"] = pd.to_datetime(
        crm["signup_at"].replace("", None), utc=True, format="ISO8601"
    )
    crm["opt_in"] = crm["marketing_opt_in"].str.strip().str.lower().isin(TRUE_TEXTS)
    crm["email_normalised"] = crm["email"].str.strip().str.lower()
    return crm


def expected_consent(crm: pd.DataFrame, as_of: date) -> pd.Series:
    """Independent rule: explicit opt-in in the version valid at as_of, none withdrawn later."""
    cutoff = pd.Timestamp(as_of, tz="UTC")
    valid = crm[
        (crm["updated_at"] < cutoff) & (crm["signup_at"].isna() | (crm["signup_at"] < cutoff))
    ]
    at_as_of = valid.sort_values("updated_at").groupby("customer_id")["opt_in"].last()
    withdrawn = set(crm.loc[(crm["updated_at"] >= cutoff) & ~crm["opt_in"], "customer_id"])
    consent = at_as_of & ~at_as_of.index.isin(withdrawn)
    return consent[consent]


def raw_buyers(raw_dir: Path) -> set[str]:
    """Customers with any order row in the raw shop export (whatever its status or date)."""
    paths = sorted((raw_dir / "shop_orders").glob("*.csv"))
    orders = pd.concat(
        [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths], ignore_index=True
    )
    return set(orders["customer_id"].str.strip())


def never_ordered(crm: pd.DataFrame, buyers: set[str], known_before: date) -> list[str]:
    """Customers signed up before ``known_before`` without any order, sorted."""
    signed_up = crm["signup_at"] < pd.Timestamp(known_before, tz="UTC")
    return sorted(set(crm.loc[signed_up, "customer_id"]) - buyers)


def choose_suppressions(crm: pd.DataFrame, as_of: date, non_buyers: list[str]) -> pd.DataFrame:
    """Suppress consenting customers, by id and by email (in odd case and spacing), and a
    customer who never ordered, who objects to profiling."""
    consenting = sorted(expected_consent(crm, as_of).index)
    emails = crm.drop_duplicates("customer_id").set_index("customer_id")["email"]
    picks = consenting[10:15]
    rows = [
        {"customer_id": picks[0], "email": "", "reason": "suppress_marketing"},
        {
            "customer_id": "",
            "email": f"  {emails[picks[1]].upper()} ",
            "reason": "Suppress_Marketing",
        },
        {"customer_id": picks[2], "email": "", "reason": "objected_to_profiling"},
        {"customer_id": "", "email": emails[picks[3]], "reason": "objected_to_profiling"},
        {"customer_id": picks[4], "email": emails[picks[4]], "reason": "suppress_marketing"},
        {"customer_id": non_buyers[0], "email": "", "reason": "objected_to_profiling"},
    ]
    frame = pd.DataFrame(rows)
    frame["added_at"] = "2026-05-01"
    return frame


def expected_suppressed(crm: pd.DataFrame, suppressions: pd.DataFrame) -> set[str]:
    seed = pd.read_csv(REPO / "seeds" / "suppression_list.csv", dtype=str, keep_default_na=False)
    every = pd.concat([seed, suppressions], ignore_index=True)
    ids = {value.strip() for value in every["customer_id"] if value.strip()}
    emails = {value.strip().lower() for value in every["email"] if value.strip()}
    by_email = set(crm.loc[crm["email_normalised"].isin(emails), "customer_id"])
    return ids | by_email


def control_bucket(customer_id: str, model_version: int) -> float:
    """Independent reference of the macro control_group_bucket (docs block control_groups)."""
    return int(sha(f"{model_version}:{customer_id}")[:8], 16) / 2**32


def control_flag(customer_id: str, model_version: int) -> bool:
    return control_bucket(customer_id, model_version) < CONTROL_SHARE


def expected_objectors(crm: pd.DataFrame, suppressions: pd.DataFrame) -> set[str]:
    """Customers with an `objected_to_profiling` request, by id or by any CRM email."""
    seed = pd.read_csv(REPO / "seeds" / "suppression_list.csv", dtype=str, keep_default_na=False)
    every = pd.concat([seed, suppressions], ignore_index=True)
    objections = every[every["reason"].str.strip().str.lower() == "objected_to_profiling"]
    ids = {value.strip() for value in objections["customer_id"] if value.strip()}
    emails = {value.strip().lower() for value in objections["email"] if value.strip()}
    return ids | set(crm.loc[crm["email_normalised"].isin(emails), "customer_id"])


def dbt(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dbt"), *args], cwd=REPO, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="session")
def activation_world(tmp_path_factory: pytest.TempPathFactory) -> ActivationWorld:
    base = tmp_path_factory.mktemp("activation_world")
    raw = base / "raw"
    truth = generate(raw, CUSTOMERS, SEED, "--no-dirt", "--chunk-size", str(CUSTOMERS))
    crm = raw_crm(raw)
    non_buyers = never_ordered(crm, raw_buyers(raw), RUN_DATES[0])
    suppressions = choose_suppressions(crm, END_DATE, non_buyers)
    suppressions.to_csv(raw / "suppression_list.csv", index=False)
    world = World(raw_dir=raw, truth_dir=truth, db_path=base / "warehouse.duckdb", work_dir=base)
    export_dir = base / "exports"
    mart_export_dir = base / "marts"
    # the shared run environment, with the export folders this test reads
    env = dbt_env(raw, world.db_path, base) | {
        "EXPORT_DIR": str(export_dir),
        "MART_EXPORT_DIR": str(mart_export_dir),
    }
    backfill = subprocess.run(
        [
            str(BIN / "python"),
            "scripts/backfill.py",
            "--months",
            str(len(RUN_DATES)),
            "--end-date",
            END_DATE.isoformat(),
            "--vars",
            json.dumps(BUILD_VARS),
            "--",
            *FAST_BUILD,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert backfill.returncode == 0, backfill.stdout[-6000:] + backfill.stderr[-3000:]
    last_vars = json.dumps({**BUILD_VARS, "as_of_date": END_DATE.isoformat()})
    tested = dbt(["test", "--select", *ACTIVATION_SELECTION, "--vars", last_vars], env)
    first_manifests = read_manifests(export_dir)
    with duckdb.connect(str(world.db_path), read_only=True) as con:
        history_rows = con.sql("select count(*) from marts.fct_segment_history").fetchall()[0][0]
    rerun = dbt(
        [
            "build",
            "--full-refresh",
            "--select",
            "path:python_models/activation",
            "path:models/marts/activation",
            "--vars",
            last_vars,
        ],
        env,
    )
    assert rerun.returncode == 0, rerun.stdout[-6000:]
    mart_exports = dbt(["run", "--select", "rpt_mart_exports", "--vars", last_vars], env)
    assert mart_exports.returncode == 0, mart_exports.stdout[-6000:]
    return ActivationWorld(
        world=world,
        export_dir=export_dir,
        mart_export_dir=mart_export_dir,
        env=env,
        backfill_output=backfill.stdout,
        test_output=tested.stdout if tested.returncode else "",
        suppressions=suppressions,
        first_manifests=first_manifests,
        history_rows_before_rerun=history_rows,
    )


def frame(world: World, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(world.db_path), read_only=True) as con:
        return con.sql(sql).df()


def final_run(world: World) -> pd.DataFrame:
    return frame(
        world,
        f"select * from marts.fct_segment_history where as_of_date = date '{END_DATE}'",
    )


def read_files(export_dir: Path, destination: str, prefix: str = "") -> pd.DataFrame:
    paths = sorted((export_dir / destination).glob(f"{prefix}*.csv"))
    parts = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ---------------------------------------------------------------------------------------------


def test_activation_dbt_tests_pass(activation_world: ActivationWorld) -> None:
    assert activation_world.test_output == "", activation_world.test_output[-6000:]


def test_backfill_gives_three_point_in_time_runs(activation_world: ActivationWorld) -> None:
    runs = frame(
        activation_world.world,
        "select history.as_of_date, history.model_version, versions.trained_as_of_date, "
        "count(*) as customers from marts.fct_segment_history as history "
        "inner join intermediate.int_segment_model_versions as versions using (model_version) "
        "group by all order by 1",
    )
    assert [d.date() for d in pd.to_datetime(runs["as_of_date"])] == RUN_DATES
    assert (runs["trained_as_of_date"] <= runs["as_of_date"]).all(), runs
    duplicates = frame(
        activation_world.world,
        "select customer_id, as_of_date, model_version from marts.fct_segment_history "
        "group by all having count(*) > 1",
    )
    assert duplicates.empty
    assert "point-in-time violation" not in activation_world.backfill_output


def test_rerun_keeps_history_and_replaces_files_identically(
    activation_world: ActivationWorld,
) -> None:
    world = activation_world.world
    rows = frame(world, "select count(*) as n from marts.fct_segment_history")["n"].iloc[0]
    assert rows == activation_world.history_rows_before_rerun
    silhouette_runs = frame(
        world, "select count(distinct as_of_date) as n from marts.fct_segment_run_silhouettes"
    )["n"].iloc[0]
    assert silhouette_runs == len(RUN_DATES)
    assert read_manifests(activation_world.export_dir) == activation_world.first_manifests


def test_manifests_match_files_and_report(activation_world: ActivationWorld) -> None:
    export_dir = activation_world.export_dir
    report = frame(activation_world.world, "select * from marts.rpt_activation_exports")
    for destination, manifest in read_manifests(export_dir).items():
        assert manifest["as_of_date"] == END_DATE.isoformat()
        assert manifest["generated_at"] == f"{END_DATE.isoformat()}T00:00:00Z"
        folder = export_dir / destination
        listed = {entry["path"] for entry in manifest["files"]}
        assert listed == {path.name for path in folder.glob("*.csv")}
        assert not list(folder.glob(".*.tmp"))
        for entry in manifest["files"]:
            data = (folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == entry["bytes"]
            assert data.count(b"\n") - 1 == entry["rows"]
            row = report.loc[report["export_file_key"] == f"{destination}/{entry['path']}"]
            assert len(row) == 1
            assert row["sha256"].iloc[0] == entry["sha256"]
            assert row["row_count"].iloc[0] == entry["rows"]
        skipped = report.loc[
            (report["destination"] == destination) & (report["status"] == "skipped")
        ]
        assert len(skipped) == len(manifest["skipped"])
        assert all(entry["rows"] < entry["min_audience"] for entry in manifest["skipped"])
        manifest_row = report.loc[report["export_file_key"] == f"{destination}/manifest.json"]
        digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
        assert manifest_row["sha256"].iloc[0] == digest


def test_consent_and_suppression_end_to_end(activation_world: ActivationWorld) -> None:
    world = activation_world.world
    crm = raw_crm(world.raw_dir)
    consent = expected_consent(crm, END_DATE)
    events = pd.read_csv(world.raw_dir / "marketing_events.csv", dtype=str)
    event_types = events["event_type"].str.strip().str.lower()
    unreachable = set(events.loc[event_types.isin({"unsubscribe", "bounce"}), "customer_id"])
    suppressed = expected_suppressed(crm, activation_world.suppressions)
    history = final_run(world).set_index("customer_id")
    model_version = int(history["model_version"].iloc[0])

    # the rules are exercised: mixed encodings, later withdrawals, suppression hits
    assert crm["marketing_opt_in"].str.strip().nunique() >= 8
    cutoff = pd.Timestamp(END_DATE, tz="UTC")
    later_opt_outs = set(crm.loc[(crm["updated_at"] >= cutoff) & ~crm["opt_in"], "customer_id"])
    assert later_opt_outs, "the world has no consent withdrawn after the as-of date"
    assert len(suppressed & set(history.index)) >= 5

    emails = crm.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    email_of = emails["email_normalised"]
    customers_of_email = email_of.reset_index().groupby("email_normalised")["customer_id"].agg(set)

    # the audience's channel flags are the rules, computed here from the raw files
    flags = frame(
        world,
        "select customer_id, is_email_eligible, is_ads_eligible "
        "from intermediate.int_activation_audience",
    ).set_index("customer_id")
    assert set(flags.index) == set(history.index) - suppressed
    ads_expected = [
        cid in consent.index and not control_flag(cid, model_version) for cid in flags.index
    ]
    email_expected = [
        ads and cid not in unreachable for cid, ads in zip(flags.index, ads_expected, strict=True)
    ]
    assert flags["is_ads_eligible"].tolist() == ads_expected
    assert flags["is_email_eligible"].tolist() == email_expected
    assert 0 < sum(email_expected) < sum(ads_expected)

    crm_export = read_files(activation_world.export_dir, "crm")
    assert not set(crm_export["customer_id"]) & suppressed
    assert set(crm_export["customer_id"]) == set(history.index) - suppressed

    email_export = read_files(activation_world.export_dir, "email")
    exported = set().union(*(customers_of_email[email] for email in email_export["email"]))
    skipped = {
        entry["segment_id"]
        for entry in read_manifests(activation_world.export_dir)["email"]["skipped"]
    }
    expected = {
        cid
        for cid in history.index
        if cid in consent.index
        and cid not in unreachable
        and cid not in suppressed
        and not control_flag(cid, model_version)
        and EMAIL.match(email_of.get(cid, "") or "")
        and int(history.loc[cid, "segment_id"]) not in skipped
    }
    # customers sharing an address with an exported customer show up through that address
    shared = {cid for cids in customers_of_email for cid in cids if len(cids) > 1}
    assert expected <= exported
    assert exported - expected <= shared
    assert not exported & later_opt_outs

    ads = read_files(activation_world.export_dir, "ads", "google_")
    hashed = {sha(email): cids for email, cids in customers_of_email.items()}
    ad_customers = set().union(*(hashed[value] for value in ads["Email"] if value)) - shared
    assert ad_customers, "no ads file was written"
    assert ad_customers <= set(consent.index) - suppressed
    assert not ad_customers & later_opt_outs


def test_profiling_objections_get_the_placeholder(activation_world: ActivationWorld) -> None:
    world = activation_world.world
    objectors = expected_objectors(raw_crm(world.raw_dir), activation_world.suppressions)
    history = final_run(world)
    assert len(objectors & set(history["customer_id"])) >= 3
    placeholder = set(history.loc[history["segment_id"] == -2, "customer_id"])
    assert placeholder == objectors & set(history["customer_id"])
    assert (history["is_profiling_objection"] == (history["segment_id"] == -2)).all()
    assert (
        history.loc[history["segment_id"] == -2, "segment_name"] == "Not profiled (objection)"
    ).all()


def test_objectors_are_not_clustered_but_have_segment_minus_two(
    activation_world: ActivationWorld,
) -> None:
    world = activation_world.world
    crm = raw_crm(world.raw_dir)
    objectors = expected_objectors(crm, activation_world.suppressions)
    customers = frame(world, "select customer_id, has_ordered from marts.dim_customers")
    known = objectors & set(customers["customer_id"])
    assert len(known) >= 3
    # one objector never ordered: the placeholder wins over segment 0
    non_buyer = activation_world.suppressions["customer_id"].iloc[-1]
    assert non_buyer in known
    assert non_buyer not in raw_buyers(world.raw_dir)
    assert known - {non_buyer} <= set(customers.loc[customers["has_ordered"], "customer_id"])

    # in no clustering input and no model assignment: those are the other buyers exactly
    buyers = set(customers.loc[customers["has_ordered"], "customer_id"])
    for relation in (
        "intermediate.int_segment_features",
        "intermediate.int_customer_segments_assigned",
    ):
        clustered = set(frame(world, f"select customer_id from {relation}")["customer_id"])
        assert clustered == buyers - objectors, relation

    # dim_customers keeps their facts but no profile
    profiles = frame(world, "select * from marts.dim_customers")
    objecting = profiles[profiles["customer_id"].isin(known)]
    assert objecting["is_profiling_objection"].all()
    assert not profiles.loc[~profiles["customer_id"].isin(known), "is_profiling_objection"].any()
    for column in (
        "rfm_recency_score",
        "rfm_frequency_score",
        "rfm_monetary_score",
        "rfm_cell",
        "rfm_segment",
        "churn_probability",
        "predicted_clv",
    ):
        assert objecting[column].isna().all(), column
    assert (objecting.loc[objecting["has_ordered"], "order_count"] > 0).all()

    # exactly one segment each: -2, without RFM segment, churn probability or CLV
    segments = frame(world, "select * from marts.dim_customer_segments")
    assert len(segments) == len(customers)
    placeholder = segments[segments["segment_id"] == -2]
    assert set(placeholder["customer_id"]) == known
    assert placeholder["is_profiling_objection"].all()
    assert not segments.loc[segments["segment_id"] != -2, "is_profiling_objection"].any()
    assert (placeholder["segment_name"] == "Not profiled (objection)").all()
    for column in ("rfm_segment", "churn_probability", "predicted_clv", "model_segment_id"):
        assert placeholder[column].isna().all(), column
    assert not placeholder.loc[placeholder["customer_id"] == non_buyer, "has_ordered"].any()

    # dim_segments: a -2 row with its size only, and no profile
    row = frame(world, "select * from marts.dim_segments where segment_id = -2")
    assert len(row) == 1
    assert row["customer_count"].iloc[0] == len(known)
    assert row["customer_share"].iloc[0] == pytest.approx(len(known) / len(customers))
    assert bool(row["is_profiling_objection_segment"].iloc[0])
    for column in ("total_revenue", "revenue_share", "mean_predicted_clv", "rfm_segment_mix"):
        assert row[column].isna().all(), column
    profiled = frame(
        world, "select count(*) as n from marts.rpt_segment_feature_profiles where segment_id = -2"
    )
    assert profiled["n"].iloc[0] == 0

    # the Parquet mart exports say the same; the activation exports leave them out entirely
    marts = activation_world.mart_export_dir
    exported = pd.read_parquet(marts / "dim_customer_segments.parquet")
    assert set(exported.loc[exported["segment_id"] == -2, "customer_id"]) == known
    exported_segments = pd.read_parquet(marts / "dim_segments.parquet")
    assert -2 in set(exported_segments["segment_id"])
    assert not set(read_files(activation_world.export_dir, "crm")["customer_id"]) & objectors


def test_control_groups_agree_and_are_held_out(activation_world: ActivationWorld) -> None:
    world = activation_world.world
    history = final_run(world)
    model_version = int(history["model_version"].iloc[0])
    expected = history["customer_id"].map(lambda cid: control_flag(cid, model_version))
    profiled = history["segment_id"] != -2
    assert (history.loc[profiled, "is_control_group"] == expected[profiled]).all()
    assert not history.loc[~profiled, "is_control_group"].any()
    assert 0.07 < history.loc[profiled, "is_control_group"].mean() < 0.13

    # the SQL macro control_group_bucket equals the reference here bit for bit
    finalized = frame(
        world,
        "select customer_id, model_version, control_group_bucket, is_control_group, "
        "is_profiling_objection from intermediate.int_customer_segments_finalized",
    )
    reference_buckets = [
        control_bucket(cid, int(version))
        for cid, version in zip(finalized["customer_id"], finalized["model_version"], strict=True)
    ]
    assert finalized["control_group_bucket"].tolist() == reference_buckets
    drawn = finalized["customer_id"].map(lambda cid: control_flag(cid, model_version))
    assert (finalized["is_control_group"] == (drawn & ~finalized["is_profiling_objection"])).all()

    crm_export = read_files(activation_world.export_dir, "crm")
    flags = crm_export["is_control_group"] == "true"
    assert (flags == crm_export["customer_id"].map(lambda c: control_flag(c, model_version))).all()

    control = set(crm_export.loc[flags, "customer_id"])
    crm = raw_crm(world.raw_dir)
    email_of = crm.drop_duplicates("customer_id").set_index("customer_id")["email_normalised"]
    emailed = set(read_files(activation_world.export_dir, "email")["email"])
    assert not {email_of[cid] for cid in control if cid in email_of.index} & emailed


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def test_ad_hashes_match_an_independent_computation(activation_world: ActivationWorld) -> None:
    contacts = frame(activation_world.world, "select * from restricted.dim_customer_contacts")
    contacts["email_hash"] = contacts["email"].map(
        lambda e: sha(e.strip().lower()) if isinstance(e, str) else None
    )
    # an address shared by several customers cannot tell which phone belongs to a row
    by_hash = contacts.dropna(subset=["email_hash"]).drop_duplicates("email_hash", keep=False)
    by_hash = by_hash.set_index("email_hash")
    for platform, prefix, email_col, phone_col, plus in (
        ("google", "google_customer_match__", "Email", "Phone", "+"),
        ("meta", "meta_custom_audience__", "email", "phone", ""),
    ):
        rows = read_files(activation_world.export_dir, "ads", prefix)
        assert len(rows), f"no {platform} rows"
        matched = rows[rows[email_col].isin(by_hash.index)]
        assert len(matched) >= 0.95 * len(rows[rows[email_col] != ""])
        phones = by_hash.loc[matched[email_col], "phone"].to_numpy()
        expected = [sha(plus + _digits(p)) if isinstance(p, str) and p else "" for p in phones]
        assert list(matched[phone_col]) == expected, platform
    google = read_files(activation_world.export_dir, "ads", "google_")
    meta = read_files(activation_world.export_dir, "ads", "meta_")
    assert set(google["Phone"]) - {""}
    assert not (set(google["Phone"]) - {""}) & (set(meta["phone"]) - {""})


def test_migration_matrices_sum_to_the_runs(activation_world: ActivationWorld) -> None:
    world = activation_world.world
    migrations = frame(world, "select * from marts.fct_segment_migrations")
    runs = frame(
        world,
        "select as_of_date, count(*) as n from marts.fct_segment_history group by 1 order by 1",
    )
    sizes = dict(zip(runs["as_of_date"], runs["n"], strict=True))
    assert migrations["run_number"].nunique() == len(RUN_DATES)
    for as_of_date, matrix in migrations.groupby("as_of_date"):
        assert (
            matrix.loc[matrix["to_segment_id"].notna(), "customer_count"].sum() == sizes[as_of_date]
        )
        previous = matrix["previous_as_of_date"].iloc[0]
        from_total = matrix.loc[matrix["from_segment_id"].notna(), "customer_count"].sum()
        assert from_total == (0 if pd.isna(previous) else sizes[previous])


def test_drift_psi_matches_the_history(activation_world: ActivationWorld) -> None:
    world = activation_world.world
    history = frame(world, "select as_of_date, segment_id from marts.fct_segment_history")
    shares = (
        history.groupby("as_of_date")["segment_id"]
        .value_counts(normalize=True)
        .unstack(fill_value=0.0)
    )
    drift = frame(world, "select distinct as_of_date, psi from marts.rpt_segment_drift")
    drift = drift.set_index("as_of_date").sort_index()
    assert drift["psi"].isna().iloc[0]
    for previous, current in zip(shares.index[:-1], shares.index[1:], strict=True):
        p = np.maximum(shares.loc[current].to_numpy(), 1e-4)
        q = np.maximum(shares.loc[previous].to_numpy(), 1e-4)
        assert drift.loc[current, "psi"] == pytest.approx(float(np.sum((p - q) * np.log(p / q))))


def test_drift_flag_is_what_the_refit_policy_reads(activation_world: ActivationWorld) -> None:
    """The last backfill build read the previous build's drift report, one row per version."""
    signals = frame(activation_world.world, "select * from intermediate.int_segment_refit_signals")
    assert list(signals.columns) == ["model_version", "is_refit_recommended"]
    assert len(signals) >= 1 and signals["model_version"].is_unique


def expected_lift_counts(world: World) -> pd.DataFrame:
    """Treated and control customers and purchasers per run and segment, from the history
    and the completed orders: the window of a run runs from its as-of date to the next
    run's (the last run's is empty at this build's as-of date, END_DATE)."""
    history = frame(
        world,
        "select customer_id, as_of_date, model_version, segment_id, is_control_group"
        " from marts.fct_segment_history",
    )
    purchases = frame(
        world,
        "select customer_id, ordered_at from intermediate.int_orders_filtered where is_purchase",
    )
    runs = history[["as_of_date", "model_version"]].drop_duplicates()
    runs = runs.sort_values(["as_of_date", "model_version"]).reset_index(drop=True)
    runs["window_end"] = runs["as_of_date"].shift(-1).fillna(pd.Timestamp(END_DATE))
    runs = runs[runs["window_end"] > runs["as_of_date"]]
    ordered_at = purchases["ordered_at"].dt.tz_localize(None)
    rows = []
    for run in runs.itertuples():
        in_window = (ordered_at >= run.as_of_date) & (ordered_at < run.window_end)
        purchasers = set(purchases.loc[in_window, "customer_id"])
        customers = history[
            (history["as_of_date"] == run.as_of_date)
            & (history["model_version"] == run.model_version)
            & (history["segment_id"] != -2)
        ]
        customers = customers.assign(purchased=customers["customer_id"].isin(purchasers))
        for (segment_id, is_control), group in customers.groupby(
            ["segment_id", "is_control_group"]
        ):
            rows.append(
                {
                    "as_of_date": run.as_of_date,
                    "model_version": run.model_version,
                    "segment_id": segment_id,
                    "group": "control" if is_control else "treated",
                    "customers": len(group),
                    "purchasers": int(group["purchased"].sum()),
                }
            )
    counts = pd.DataFrame(rows).pivot_table(
        index=["as_of_date", "model_version", "segment_id"],
        columns="group",
        values=["customers", "purchasers"],
        fill_value=0,
    )
    counts.columns = [f"{group}_{measure}" for measure, group in counts.columns]
    return counts


def test_campaign_lift_is_the_reference_on_the_history(activation_world: ActivationWorld) -> None:
    """Counts from the history and the orders, statistics from the Python reference."""
    world = activation_world.world
    lift = frame(world, "select * from marts.rpt_segment_campaign_lift")
    lift = lift.set_index(["as_of_date", "model_version", "segment_id"]).sort_index()
    expected = expected_lift_counts(world).sort_index()
    assert lift.index.equals(expected.index)
    assert lift["run_number"].nunique() == len(RUN_DATES) - 1
    assert lift["purchase_rate_ratio"].notna().sum() >= 3  # not only the null branches
    min_group_customers = project_vars()["lift_min_group_customers"]
    for key, row in lift.iterrows():
        counts = expected.loc[key]
        treated = (int(counts["treated_purchasers"]), int(counts["treated_customers"]))
        control = (int(counts["control_purchasers"]), int(counts["control_customers"]))
        assert (row["treated_purchaser_count"], row["treated_customer_count"]) == treated, key
        assert (row["control_purchaser_count"], row["control_customer_count"]) == control, key
        if control[1] == 0 or treated[1] == 0:
            assert row["lift_verdict"] == "too few customers"
            continue
        reference = lift_statistics(treated, control, min_group_customers)
        assert row["lift_verdict"] == reference.lift_verdict, key
        for column, value in vars(reference).items():
            if column == "lift_verdict":
                continue
            if value is None:
                assert pd.isna(row[column]), (key, column)
            else:
                # bounds, ratios and the detectable lift are rounded to 10 decimals
                assert row[column] == pytest.approx(value, rel=1e-9, abs=1e-10), (key, column)
