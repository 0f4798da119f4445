"""Activation exports: identifier hashing, the channel flags, minimum audiences and files.

Who may go where (consent, suppression, the control group) is decided in SQL
(``int_activation_audience``) and tested end to end in ``test_activation_e2e.py``; here the
audience frames carry those flags as given, and the tests check that the files follow them.
Expected hashes are computed here with hashlib on hand-written normalised strings, not with
the module's own helpers, so a wrong normalisation cannot pass by agreeing with itself.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custseg.activation import (
    CRM_COLUMNS,
    EMAIL_COLUMNS,
    GOOGLE_COLUMNS,
    META_COLUMNS,
    AtomicCsvWriter,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
    export_all,
    google_phone_hash,
    meta_phone_hash,
    normalize_email,
    resolve_min_audience,
    sha256_hex,
    to_e164,
    write_atomic_csv,
    write_manifest,
)
from custseg.activation import identifiers as ids_module
from custseg.activation.audience import _mapped, _stripped
from custseg.activation.files import _csv_ready, csv_body

MODEL = "kmeans-v3"
AS_OF = date(2024, 6, 30)
GENERATED_AT = datetime(2024, 7, 1, 6, 0, tzinfo=UTC)
SMALL = {"crm": 1, "email": 1, "ads": 1}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# identifiers
# ---------------------------------------------------------------------------------------------

PHONES = [
    ("+49 151 2345678", "DE", "+491512345678", "491512345678"),
    ("0151 2345678", "DE", "+491512345678", "491512345678"),
    ("0151-234 56 78", "DE", "+491512345678", "491512345678"),
    ("+49 (0)151 2345678", "DE", "+491512345678", "491512345678"),
    ("49 151 2345678", "DE", "+491512345678", "491512345678"),
    ("(415) 555-0132", "US", "+14155550132", "14155550132"),
    ("1 415 555 0132", "US", "+14155550132", "14155550132"),
    ("0044 20 7946 0958", "DE", "+442079460958", "442079460958"),
    ("020 7946 0958", "GB", "+442079460958", "442079460958"),
    ("06 12 34 56 78", "FR", "+33612345678", "33612345678"),
    ("06 1234 5678", "IT", "+390612345678", "390612345678"),
    ("070-123 45 67", "SE", "+46701234567", "46701234567"),
    ("612 345 678", "ES", "+34612345678", "34612345678"),
]


@pytest.mark.parametrize(("raw", "country", "e164", "meta_digits"), PHONES)
def test_phone_hashes_follow_each_platform_rule(
    raw: str, country: str, e164: str, meta_digits: str
) -> None:
    assert to_e164(raw, country) == e164
    assert google_phone_hash(raw, country) == sha(e164)
    assert meta_phone_hash(raw, country) == sha(meta_digits)
    assert google_phone_hash(raw, country) != meta_phone_hash(raw, country)


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        (None, "DE"),
        (float("nan"), "DE"),
        ("", "DE"),
        ("12345", "DE"),  # too short
        ("+49 1234 5678 9012 3456", "DE"),  # more than 15 digits
        ("0151 2345678", None),  # national number, no country to resolve it
        ("0151 2345678", "unknown"),
        ("0151 2345678 ext. 12", "DE"),
        ("not a phone", "DE"),
        ("+0151 2345678", "DE"),
    ],
)
def test_implausible_phones_give_none(raw: object, country: str | None) -> None:
    assert to_e164(raw, country) is None
    assert google_phone_hash(raw, country) is None
    assert meta_phone_hash(raw, country) is None


def test_default_country_may_be_a_calling_code() -> None:
    assert to_e164("0151 2345678", "+49") == "+491512345678"
    assert to_e164("0151 2345678", "de") == "+491512345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Anna.Schmidt@Example.DE ", "anna.schmidt@example.de"),
        ("LUKAS+news@GMAIL.com", "lukas+news@gmail.com"),
        ("\tzofia@example.pl\n", "zofia@example.pl"),
        ("no-at-sign.example.com", None),
        ("two@@example.com", None),
        ("space inside@example.com", None),
        ("dot..dot@example.com", None),
        ("user@localhost", None),
        ("", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_emails_are_trimmed_lower_cased_and_validated(raw: object, expected: str | None) -> None:
    assert normalize_email(raw) == expected


def test_sha256_hex_is_hashlib() -> None:
    assert sha256_hex("anna@example.de") == sha("anna@example.de")
    assert sha256_hex("zoë") == hashlib.sha256("zoë".encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------


def make_customers(n: int, segments: dict[int, str], seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment_ids = rng.choice(list(segments), size=n)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in range(n)],
            "segment_id": segment_ids,
            "segment_name": [segments[s] for s in segment_ids],
            "rfm_segment": rng.choice(["champions", "at_risk", "hibernating"], size=n),
            "churn_probability": rng.random(n).round(4),
            "predicted_clv": (rng.random(n) * 500).round(2),
            "recommended_action": [f"action for {segments[s]}" for s in segment_ids],
        }
    )


def make_contacts(customers: pd.DataFrame) -> pd.DataFrame:
    n = len(customers)
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "email": [f" User{i}@Example.com " for i in range(n)],
            "first_name": [f"Anna{i}" for i in range(n)],
            "last_name": ["Müller"] * n,
            "phone": [f"0151 {2000000 + i}" for i in range(n)],
            "country_code": ["DE"] * n,
        }
    )


def audience(
    customers: pd.DataFrame, contacts: pd.DataFrame | None = None, **flags: object
) -> pd.DataFrame:
    """What int_activation_audience gives: customers, contacts and the channel flags.

    Flags default to "outside the control group, eligible for every channel"; pass a
    column (a list or an array) to set them per customer.
    """
    frame = customers.merge(
        make_contacts(customers) if contacts is None else contacts, on="customer_id"
    )
    defaults = {"is_control_group": False, "is_email_eligible": True, "is_ads_eligible": True}
    for column, value in (defaults | flags).items():
        frame[column] = np.broadcast_to(np.asarray(value, dtype=bool), len(frame)).copy()
    return frame


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def run_export(
    tmp_path: Path, customers: pd.DataFrame | Iterable[pd.DataFrame], **kwargs: object
) -> dict:
    options = {"min_audience": SMALL, "control_share": 0.1, "generated_at": GENERATED_AT}
    return export_all(customers, tmp_path, MODEL, AS_OF, **(options | kwargs))


def all_rows(folder: Path) -> pd.DataFrame:
    frames = [read_csv(path) for path in sorted(folder.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------------------------------------
# channels
# ---------------------------------------------------------------------------------------------


def test_each_channel_takes_the_customers_its_flag_allows(tmp_path: Path) -> None:
    customers = make_customers(6, {1: "Loyal"})
    frame = audience(
        customers,
        is_control_group=[False, True, False, False, False, False],
        is_ads_eligible=[True, False, False, True, True, True],
        is_email_eligible=[True, False, False, False, False, True],
    )
    manifests = run_export(tmp_path, frame)

    crm = read_csv(tmp_path / "crm" / "customers.csv")
    assert crm["customer_id"].tolist() == customers["customer_id"].tolist()
    assert crm["is_control_group"].tolist() == ["false", "true", *["false"] * 4]
    emails = set(all_rows(tmp_path / "email")["email"])
    assert emails == {"user0@example.com", "user5@example.com"}
    google = read_csv(tmp_path / "ads" / "google_customer_match__segment_1.csv")
    meta = read_csv(tmp_path / "ads" / "meta_custom_audience__segment_1.csv")
    expected = {sha(f"user{i}@example.com") for i in (0, 3, 4, 5)}
    assert set(google["Email"]) == expected
    assert set(meta["email"]) == expected
    for manifest in manifests.values():
        assert manifest["control_share"] == 0.1  # the var, recorded; the flags decide


def test_email_lists_drop_invalid_addresses_and_ads_need_an_identifier(tmp_path: Path) -> None:
    customers = make_customers(3, {1: "Loyal"})
    contacts = make_contacts(customers)
    contacts.loc[1, "email"] = "broken-address"
    contacts.loc[2, ["email", "phone"]] = [None, "n/a"]
    run_export(tmp_path, audience(customers, contacts))

    assert all_rows(tmp_path / "email")["email"].tolist() == ["user0@example.com"]
    google = read_csv(tmp_path / "ads" / "google_customer_match__segment_1.csv")
    assert google["Email"].tolist() == [sha("user0@example.com"), ""]
    assert google["Phone"].tolist() == [sha("+491512000000"), sha("+491512000001")]


@pytest.mark.parametrize(
    "broken",
    [
        {"drop": "is_email_eligible"},
        {"is_ads_eligible": pd.Series([True, None, False], dtype=object)},
        {"is_control_group": pd.array([True, None, False], dtype="boolean")},
        {"is_email_eligible": ["yes", "no", "yes"]},
    ],
)
def test_missing_or_unset_flags_fail_loudly(broken: dict[str, object]) -> None:
    """The flags come from SQL; the export never guesses a missing or unparsed one."""
    frame = audience(make_customers(3, {1: "Loyal"}))
    if "drop" in broken:
        frame = frame.drop(columns=broken["drop"])
    else:
        for column, values in broken.items():
            frame[column] = values
    with pytest.raises((KeyError, TypeError)):
        build_crm_export(frame, updated_at="t")
        build_email_lists(frame)
        build_ads_exports(frame)


def test_min_audience_needs_every_destination() -> None:
    assert resolve_min_audience({"crm": 1, "email": 2, "ads": 30, "meta": 40}) == {
        "crm": 1,
        "email": 2,
        "ads": 30,
        "google": 30,
        "meta": 40,
    }
    with pytest.raises(ValueError, match="activation_min_audience"):
        resolve_min_audience({"email": 5, "ads": 20})
    with pytest.raises(ValueError, match="unknown"):
        resolve_min_audience({"crm": 1, "email": 1, "ads": 1, "tiktok": 1})
    with pytest.raises(ValueError, match=">= 1"):
        resolve_min_audience({"crm": 0, "email": 1, "ads": 1})


# ---------------------------------------------------------------------------------------------
# file layouts
# ---------------------------------------------------------------------------------------------


def test_google_and_meta_files_use_their_documented_layouts(tmp_path: Path) -> None:
    customers = make_customers(3, {7: "Loyal"})
    contacts = make_contacts(customers)
    contacts.loc[0, ["first_name", "last_name"]] = ["  Mary Ann ", "O'Neil-Smith"]
    contacts.loc[1, "phone"] = None
    contacts.loc[2, "email"] = "broken-address"
    run_export(tmp_path, audience(customers, contacts))

    google = read_csv(tmp_path / "ads" / "google_customer_match__segment_7.csv")
    meta = read_csv(tmp_path / "ads" / "meta_custom_audience__segment_7.csv")
    assert list(google.columns) == list(GOOGLE_COLUMNS)
    assert list(meta.columns) == list(META_COLUMNS)
    assert google.loc[0].to_dict() == {
        "Email": sha("user0@example.com"),
        "Phone": sha("+491512000000"),
        "First Name": sha("mary ann"),
        "Last Name": sha("o'neil-smith"),
        "Country": "DE",
        "Zip": "",
        "segment_id": "7",
    }
    assert meta.loc[0].to_dict() == {
        "email": sha("user0@example.com"),
        "phone": sha("491512000000"),
        "fn": sha("maryann"),
        "ln": sha("oneilsmith"),
        "country": sha("de"),
        "segment_id": "7",
    }
    assert google.loc[1, "Phone"] == "" and meta.loc[1, "phone"] == ""
    assert google.loc[2, "Email"] == "" and meta.loc[2, "email"] == ""
    assert meta.loc[2, "phone"] == sha("491512000002")
    assert sha("müller") in set(meta["ln"])  # accented letters kept, UTF-8

    email = read_csv(tmp_path / "email" / "segment_7.csv")
    assert list(email.columns) == list(EMAIL_COLUMNS)
    assert email["email"].tolist() == ["user0@example.com", "user1@example.com"]
    assert email.loc[0, "first_name"] == "Mary Ann"
    crm = read_csv(tmp_path / "crm" / "customers.csv")
    assert list(crm.columns) == list(CRM_COLUMNS)
    assert set(crm["updated_at"]) == {"2024-07-01T06:00:00Z"}


def test_customers_without_segment_are_only_in_crm(tmp_path: Path) -> None:
    customers = make_customers(4, {1: "Loyal"})
    customers["segment_id"] = customers["segment_id"].astype(float)
    customers.loc[0, ["segment_id", "segment_name"]] = [np.nan, None]
    run_export(tmp_path, audience(customers))

    crm = read_csv(tmp_path / "crm" / "customers.csv")
    assert crm["segment_id"].tolist() == ["1", "1", "1", ""]  # integral ids, unsegmented last
    assert crm.loc[3, "is_control_group"] == "false"
    assert "user0@example.com" not in set(all_rows(tmp_path / "email")["email"])
    assert sorted(p.name for p in (tmp_path / "email").glob("*.csv")) == ["segment_1.csv"]


# ---------------------------------------------------------------------------------------------
# minimum audience, manifests, atomic files, reruns
# ---------------------------------------------------------------------------------------------


def test_small_segments_are_skipped_and_reported(tmp_path: Path) -> None:
    customers = make_customers(300, {1: "Loyal", 2: "Tiny"})
    customers.loc[customers.index[:290], ["segment_id", "segment_name"]] = [1, "Loyal"]
    customers.loc[customers.index[290:], ["segment_id", "segment_name"]] = [2, "Tiny"]
    manifests = run_export(
        tmp_path, audience(customers), min_audience={"crm": 1, "ads": 50, "email": 5}
    )
    ads = manifests["ads"]
    assert {f["path"] for f in ads["files"]} == {
        "google_customer_match__segment_1.csv",
        "meta_custom_audience__segment_1.csv",
    }
    assert sorted(ads["skipped"], key=lambda s: s["platform"]) == [
        {
            "segment_id": 2,
            "segment_name": "Tiny",
            "rows": 10,
            "min_audience": 50,
            "reason": "below_min_audience",
            "platform": platform,
        }
        for platform in ("google", "meta")
    ]
    assert ads["min_audience"] == {"google": 50, "meta": 50}
    assert not list((tmp_path / "ads").glob("*segment_2*"))
    assert {f["path"] for f in manifests["email"]["files"]} == {"segment_1.csv", "segment_2.csv"}
    assert manifests["email"]["skipped"] == []
    assert manifests["crm"]["files"][0]["rows"] == 300

    default = run_export(
        tmp_path / "default", audience(customers), min_audience={"crm": 1, "email": 1, "ads": 1000}
    )
    assert default["ads"]["files"] == []
    assert {s["segment_id"] for s in default["ads"]["skipped"]} == {1, 2}


def test_manifests_match_the_files(tmp_path: Path) -> None:
    customers = make_customers(500, {1: "Loyal", 2: "At risk", 3: "New"})
    manifests = run_export(tmp_path, audience(customers))

    for destination in ("crm", "email", "ads"):
        folder = tmp_path / destination
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest == manifests[destination]
        assert manifest["destination"] == destination
        assert manifest["model_version"] == MODEL
        assert manifest["as_of_date"] == "2024-06-30"
        assert manifest["generated_at"] == "2024-07-01T06:00:00Z"
        on_disk = sorted(p.name for p in folder.iterdir())
        assert on_disk == sorted([*(f["path"] for f in manifest["files"]), "manifest.json"])
        for entry in manifest["files"]:
            data = (folder / entry["path"]).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert entry["bytes"] == len(data)
            assert entry["rows"] == len(pd.read_csv(io.BytesIO(data), dtype=str))
        assert manifest["total_rows"] == sum(f["rows"] for f in manifest["files"])
    assert len(manifests["ads"]["files"]) == 6
    assert manifests["crm"]["files"][0]["rows"] == 500


def test_batches_and_one_frame_give_identical_files(tmp_path: Path) -> None:
    customers = make_customers(900, {1: "Loyal", 2: "At risk", 3: "New"})
    frame = audience(customers, is_control_group=np.arange(900) % 10 == 0)
    whole = run_export(tmp_path / "whole", frame)
    batches = (frame.iloc[start : start + 128] for start in range(0, 900, 128))
    streamed = run_export(tmp_path / "batched", batches)
    assert streamed == whole
    for path in (tmp_path / "whole").rglob("*.*"):
        batched = tmp_path / "batched" / path.relative_to(tmp_path / "whole")
        assert batched.read_bytes() == path.read_bytes()


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "flag": [True, False], "text": ["x,y", None]})
    info = write_atomic_csv(frame, tmp_path / "out.csv")
    data = (tmp_path / "out.csv").read_bytes()
    assert data == b'a,flag,text\n1,true,"x,y"\n2,false,\n'
    assert (info.rows, info.sha256, info.bytes) == (2, hashlib.sha256(data).hexdigest(), len(data))
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]

    # a failure while writing keeps the previous file whole and removes the temporary one
    with pytest.raises(RuntimeError), AtomicCsvWriter(tmp_path / "out.csv", ["a"]) as writer:
        writer.write_frame(pd.DataFrame({"a": [9]}))
        assert writer.temp_path.exists()
        raise RuntimeError("disk full")
    assert (tmp_path / "out.csv").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]

    manifest = write_manifest(tmp_path, [info], MODEL, AS_OF, GENERATED_AT, [])
    assert json.loads((tmp_path / "manifest.json").read_text()) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "out.csv"]


def test_failed_export_keeps_the_previous_one(tmp_path: Path) -> None:
    customers = audience(make_customers(200, {1: "Loyal", 2: "At risk"}))
    run_export(tmp_path, customers)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def failing_batches():
        yield customers.iloc[:100]
        raise RuntimeError("warehouse connection lost")

    with pytest.raises(RuntimeError, match="connection"):
        run_export(tmp_path, failing_batches(), generated_at=datetime(2025, 1, 1))
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_rerun_replaces_files_and_removes_stale_ones(tmp_path: Path) -> None:
    customers = audience(make_customers(300, {1: "Loyal", 2: "At risk", 3: "New"}))
    first = run_export(tmp_path, customers)
    assert len(first["email"]["files"]) == 3
    (tmp_path / "email" / ".segment_9.csv.0123456789abcdef0123456789abcdef.tmp").write_text("x")
    (tmp_path / "email" / "README.txt").write_text("not ours")

    rerun = customers.loc[customers["segment_id"] != 3]
    second = run_export(tmp_path, rerun, generated_at=datetime(2024, 7, 2, tzinfo=UTC))
    for destination in ("email", "ads"):
        folder = tmp_path / destination
        listed = {f["path"] for f in second[destination]["files"]}
        assert not any("segment_3" in name for name in listed)
        csvs = {p.name for p in folder.glob("*.csv")}
        assert csvs == listed
        assert not list(folder.glob(".*.tmp"))
    assert (tmp_path / "email" / "README.txt").exists()
    crm = read_csv(tmp_path / "crm" / "customers.csv")
    assert len(crm) == len(rerun)
    assert set(crm["updated_at"]) == {"2024-07-02T00:00:00Z"}
    assert second["crm"]["generated_at"] == "2024-07-02T00:00:00Z"


# ---------------------------------------------------------------------------------------------
# fast paths against their per-row references
# ---------------------------------------------------------------------------------------------

TRICKY_TEXTS = [
    "plain",
    None,
    "",
    "  padded  ",
    "a,b",
    'say "hi"',
    "two\nlines",
    "carriage\rreturn",
    "Zoë Ünal",
    "İstanbul ß",
    "x+tag@Example.COM",
    "\u00a0nbsp\u2003",
]


def pandas_csv_body(frame: pd.DataFrame) -> str:
    """What the writer produced before csv_body: pandas' to_csv after the bool mapping."""
    return _csv_ready(frame).to_csv(index=False, header=False, lineterminator="\n")


@pytest.mark.parametrize("string_dtype", ["str", "string", object])
def test_csv_body_equals_pandas_to_csv(string_dtype: object) -> None:
    n = len(TRICKY_TEXTS)
    frame = pd.DataFrame(
        {
            "text": pd.Series(TRICKY_TEXTS, dtype=string_dtype),
            "float": [1.5, np.nan, 1e16, 1e-05, 0.1 + 0.2, -0.0, np.inf, 3.0, 1e22, 2.5, 7.0, 0],
            "mixed": pd.Series(
                [1, "x", None, np.nan, 2.5, True, np.float64(0.5), "a,b", pd.NA, 'q"', "é", 3],
                dtype=object,
            ),
            "flag": [True, False] * (n // 2),
            "count": range(n),
        }
    )
    for columns in (list(frame.columns), ["mixed", "text"], ["text"], ["float", "count"]):
        part = frame.loc[:, columns]
        assert csv_body(part) == pandas_csv_body(part)
        assert csv_body(part.iloc[3:7]) == pandas_csv_body(part.iloc[3:7])
    assert csv_body(frame.iloc[:0]) == ""
    dated = pd.DataFrame({"day": pd.to_datetime(["2024-06-30", None]), "n": [1, 2]})
    assert csv_body(dated) == pandas_csv_body(dated)  # not covered: pandas writes it


def test_mapped_equals_per_row_map() -> None:
    values = [*TRICKY_TEXTS, "plain", None, "  padded  "]
    for dtype in ("str", "string", object):
        series = pd.Series(values, dtype=dtype)
        for function in (ids_module.google_name_hash, ids_module.meta_name, _stripped):
            assert _mapped(series, function) == [function(value) for value in series]


@pytest.mark.parametrize(("raw", "country", "e164", "meta_digits"), PHONES)
def test_e164_with_facts_equals_to_e164(
    raw: str, country: str, e164: str, meta_digits: str
) -> None:
    for phone in (raw, None, "", "abc", "+0049 151", 4915123456.0):
        for default in (country, None, "+1", "XX"):
            facts = ids_module.country_facts(default)
            assert ids_module.e164_with_facts(phone, facts) == to_e164(phone, default)


def test_string_and_object_columns_give_identical_files(tmp_path: Path) -> None:
    customers = make_customers(120, {1: "Loyal, big", 2: 'The "new" ones'})
    contacts = make_contacts(customers)
    contacts.loc[::6, "first_name"] = None
    contacts.loc[::4, "last_name"] = "  O'Neil-Smith\u00a0"
    contacts.loc[::9, "email"] = " BAD@@example.com"
    as_object = customers.astype({"customer_id": object, "segment_name": object})
    run_export(tmp_path / "str", audience(customers.astype({"segment_name": "str"}), contacts))
    run_export(tmp_path / "object", audience(as_object, contacts.astype(object)))
    files = sorted(p.relative_to(tmp_path / "str") for p in (tmp_path / "str").rglob("*.*"))
    assert files
    for name in files:
        assert (tmp_path / "str" / name).read_bytes() == (tmp_path / "object" / name).read_bytes()


def test_a_spark_layout_in_the_export_folder_is_replaced_by_files(tmp_path: Path) -> None:
    parts = tmp_path / "crm" / "customers.csv"
    parts.mkdir(parents=True)
    (parts / "part-00000.csv").write_text("customer_id\nC1\n")
    customers = make_customers(12, {1: "One"})
    run_export(tmp_path, audience(customers))
    assert parts.is_file()
    assert read_csv(parts)["customer_id"].tolist() == customers["customer_id"].tolist()
