"""Activation exports: identifier hashing, consent, suppression, control groups and files.

Expected hashes are computed here with hashlib on hand-written normalised strings, not with
the module's own helpers, so a wrong normalisation cannot pass by agreeing with itself.
"""

from __future__ import annotations

import hashlib
import io
import json
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
    Suppression,
    apply_consent_and_suppression,
    attach_contacts,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
    control_group_mask,
    export_all,
    google_phone_hash,
    is_in_control_group,
    meta_phone_hash,
    normalize_email,
    sha256_hex,
    to_e164,
    write_atomic_csv,
    write_manifest,
)
from custseg.activation import identifiers as ids_module
from custseg.activation.audience import _mapped, _stripped, prepare_batch
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
            "has_unsubscribed": False,
            "has_bounced": False,
        }
    )


def make_contacts(customers: pd.DataFrame, opt_in: object = True) -> pd.DataFrame:
    n = len(customers)
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "email": [f" User{i}@Example.com " for i in range(n)],
            "first_name": [f"Anna{i}" for i in range(n)],
            "last_name": ["Müller"] * n,
            "phone": [f"0151 {2000000 + i}" for i in range(n)],
            "country_code": ["DE"] * n,
            "is_marketing_opt_in": [opt_in] * n,
        }
    )


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def run_export(
    tmp_path: Path,
    customers: pd.DataFrame | list[pd.DataFrame],
    contacts: pd.DataFrame | None,
    suppression: pd.DataFrame | None = None,
    **kwargs: object,
) -> dict:
    options = {"min_audience": SMALL, "generated_at": GENERATED_AT} | kwargs
    return export_all(customers, contacts, suppression, tmp_path, MODEL, AS_OF, **options)


def all_rows(folder: Path) -> pd.DataFrame:
    frames = [read_csv(path) for path in sorted(folder.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------------------------------------
# consent and suppression
# ---------------------------------------------------------------------------------------------


def test_only_explicit_true_counts_as_opt_in() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "is_marketing_opt_in": [True, False, None, np.nan, pd.NA, np.True_],
        }
    )
    kept = apply_consent_and_suppression(frame)
    assert kept["customer_id"].tolist() == ["a", "f"]
    nullable = frame.assign(
        is_marketing_opt_in=pd.array([True, False, None, None, None, True], dtype="boolean")
    )
    assert apply_consent_and_suppression(nullable)["customer_id"].tolist() == ["a", "f"]


def test_unparsed_consent_encodings_are_rejected() -> None:
    frame = pd.DataFrame({"customer_id": ["a", "b"], "is_marketing_opt_in": ["yes", "Y"]})
    with pytest.raises(TypeError, match="parse"):
        apply_consent_and_suppression(frame)


def test_opt_in_then_opt_out_is_excluded_at_the_as_of_date(tmp_path: Path) -> None:
    """The caller passes the CRM version valid at the as-of date; its flag decides."""
    history = pd.DataFrame(
        {
            "customer_id": ["C000000", "C000000"],
            "valid_from": [date(2024, 1, 1), date(2024, 5, 1)],
            "valid_to": [date(2024, 5, 1), None],
            "is_marketing_opt_in": [True, False],
        }
    )

    def version_at(as_of: date) -> pd.DataFrame:
        open_ended = history["valid_to"].map(lambda d: d is None or d > as_of)
        valid = history.loc[(history["valid_from"] <= as_of) & open_ended]
        return valid.drop(columns=["valid_from", "valid_to"])

    customers = make_customers(1, {1: "Loyal"})
    contacts = make_contacts(customers).drop(columns="is_marketing_opt_in")
    for as_of, expected in [(date(2024, 3, 1), 1), (AS_OF, 0)]:
        joined = customers.merge(contacts, on="customer_id").merge(
            version_at(as_of), on="customer_id"
        )
        emails = build_email_lists(joined, model_version=MODEL, control_share=0.0)
        ads = build_ads_exports(joined, model_version=MODEL, control_share=0.0)
        assert sum(len(f) for f in emails.values()) == expected
        assert sum(len(f) for f in ads["google"].values()) == expected
        assert sum(len(f) for f in ads["meta"].values()) == expected


def test_mixed_consent_unsubscribe_and_bounce_in_the_export(tmp_path: Path) -> None:
    customers = make_customers(6, {1: "Loyal"})
    customers.loc[3, "has_unsubscribed"] = True
    customers.loc[4, "has_bounced"] = True
    contacts = make_contacts(customers)
    contacts["is_marketing_opt_in"] = pd.Series([True, False, None, True, True, True], dtype=object)
    run_export(tmp_path, customers, contacts, control_share=0.0)

    email_ids = set(all_rows(tmp_path / "email")["email"])
    assert email_ids == {"user0@example.com", "user5@example.com"}
    google = read_csv(tmp_path / "ads" / "google_customer_match__segment_1.csv")
    # unsubscribe and bounce are email-channel facts; the ads export needs the opt-in only
    assert set(google["Email"]) == {sha(f"user{i}@example.com") for i in (0, 3, 4, 5)}
    assert len(read_csv(tmp_path / "crm" / "customers.csv")) == 6


def test_contacts_join_combines_consent_flags_restrictively() -> None:
    batch = make_customers(3, {1: "Loyal"}).assign(is_marketing_opt_in=[True, True, False])
    contacts = make_contacts(batch).assign(
        is_marketing_opt_in=[True, None, True], has_unsubscribed=[True, False, False]
    )
    joined = attach_contacts(batch, contacts)
    assert joined["is_marketing_opt_in"].tolist() == [True, False, False]
    assert joined["has_unsubscribed"].tolist() == [True, False, False]
    assert joined["email"].tolist() == [
        " User0@Example.com ",
        " User1@Example.com ",
        " User2@Example.com ",
    ]
    with pytest.raises(pd.errors.MergeError):
        attach_contacts(batch, pd.concat([contacts, contacts.iloc[:1]]))


def test_suppression_by_id_and_by_email_applies_to_every_destination(tmp_path: Path) -> None:
    customers = make_customers(40, {1: "Loyal", 2: "At risk"})
    contacts = make_contacts(customers)
    suppression = pd.DataFrame(
        {"customer_id": ["C000003", None], "email": [None, "  USER7@example.COM"]}
    )
    run_export(tmp_path, customers, contacts, suppression, control_share=0.0)

    crm = read_csv(tmp_path / "crm" / "customers.csv")
    assert len(crm) == 38
    assert {"C000003", "C000007"}.isdisjoint(crm["customer_id"])
    emails = set(all_rows(tmp_path / "email")["email"])
    assert len(emails) == 38
    assert {"user3@example.com", "user7@example.com"}.isdisjoint(emails)
    ads = all_rows(tmp_path / "ads")
    hashed = set(ads["Email"].dropna()) | set(ads["email"].dropna())
    assert {sha("user3@example.com"), sha("user7@example.com")}.isdisjoint(hashed)
    phones = set(ads["Phone"].dropna()) | set(ads["phone"].dropna())
    assert {sha("+491512000003"), sha("491512000007")}.isdisjoint(phones)


def test_suppression_by_email_without_emails_fails_loudly() -> None:
    customers = make_customers(3, {1: "Loyal"})
    with pytest.raises(KeyError, match="email"):
        build_crm_export(
            customers,
            model_version=MODEL,
            updated_at="2024-07-01T06:00:00Z",
            suppression=Suppression(emails=frozenset({"a@example.com"})),
        )


# ---------------------------------------------------------------------------------------------
# control groups
# ---------------------------------------------------------------------------------------------


def test_control_group_share_is_deterministic_and_depends_on_the_model_version() -> None:
    ids = pd.Series([f"C{i:06d}" for i in range(20_000)])
    mask = control_group_mask(ids, MODEL, 0.1)
    assert 0.08 <= mask.mean() <= 0.12
    assert mask.equals(control_group_mask(ids, MODEL, 0.1))
    assert is_in_control_group(ids, MODEL, 0.1).equals(mask)
    other = control_group_mask(ids, "kmeans-v4", 0.1)
    assert 0.08 <= other.mean() <= 0.12
    assert (mask != other).mean() > 0.1  # a fresh draw, not the same customers
    first = ids.iloc[0]
    expected = int(sha(f"{MODEL}:{first}")[:8], 16) / 2**32 < 0.1
    assert is_in_control_group(first, MODEL, 0.1) is expected
    assert not control_group_mask(ids, MODEL, 0.0).any()
    assert control_group_mask(ids, MODEL, 1.0).all()
    with pytest.raises(ValueError, match="share"):
        is_in_control_group(first, MODEL, 1.5)


def test_control_customers_are_flagged_in_crm_and_absent_from_email_and_ads(
    tmp_path: Path,
) -> None:
    customers = make_customers(2_000, {1: "Loyal", 2: "At risk", 3: "New"})
    contacts = make_contacts(customers)
    run_export(tmp_path, customers, contacts)

    crm = read_csv(tmp_path / "crm" / "customers.csv")
    control = crm.loc[crm["is_control_group"] == "true", "customer_id"]
    assert set(crm["is_control_group"]) == {"true", "false"}
    for _, part in crm.groupby("segment_id"):
        assert 0.05 <= (part["is_control_group"] == "true").mean() <= 0.15
    expected = control_group_mask(customers["customer_id"], MODEL, 0.1)
    assert set(control) == set(customers.loc[expected, "customer_id"])

    control_numbers = control.str[1:].astype(int)
    control_emails = {f"user{i}@example.com" for i in control_numbers}
    emails = set(all_rows(tmp_path / "email")["email"])
    assert control_emails.isdisjoint(emails)
    assert len(emails) == len(crm) - len(control)
    ads = all_rows(tmp_path / "ads")
    assert {sha(e) for e in control_emails}.isdisjoint(set(ads["Email"]) | set(ads["email"]))


# ---------------------------------------------------------------------------------------------
# file layouts
# ---------------------------------------------------------------------------------------------


def test_google_and_meta_files_use_their_documented_layouts(tmp_path: Path) -> None:
    customers = make_customers(3, {7: "Loyal"})
    contacts = make_contacts(customers)
    contacts.loc[0, ["first_name", "last_name"]] = ["  Mary Ann ", "O'Neil-Smith"]
    contacts.loc[1, "phone"] = None
    contacts.loc[2, "email"] = "broken-address"
    run_export(tmp_path, customers, contacts, control_share=0.0)

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
    run_export(tmp_path, customers, make_contacts(customers), control_share=0.0)

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
        tmp_path,
        customers,
        make_contacts(customers),
        min_audience={"ads": 50, "email": 5},
        control_share=0.0,
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

    default = run_export(tmp_path / "default", customers, make_contacts(customers), min_audience={})
    assert default["ads"]["files"] == []
    assert {s["segment_id"] for s in default["ads"]["skipped"]} == {1, 2}


def test_manifests_match_the_files(tmp_path: Path) -> None:
    customers = make_customers(500, {1: "Loyal", 2: "At risk", 3: "New"})
    manifests = run_export(tmp_path, customers, make_contacts(customers))

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
    contacts = make_contacts(customers)
    whole = run_export(tmp_path / "whole", customers, contacts)
    batches = (customers.iloc[start : start + 128] for start in range(0, 900, 128))
    streamed = run_export(tmp_path / "batched", batches, contacts)
    assert streamed == whole

    # contact columns may also arrive inside the batches (contacts_df=None)
    joined = customers.merge(contacts, on="customer_id")
    inline = run_export(tmp_path / "inline", [joined.iloc[:400], joined.iloc[400:]], None)
    assert inline == whole


def test_export_dir_defaults_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "from_env"))
    customers = make_customers(5, {1: "Loyal"})
    export_all(customers, make_contacts(customers), None, None, MODEL, AS_OF, SMALL)
    assert (tmp_path / "from_env" / "crm" / "customers.csv").exists()
    monkeypatch.delenv("EXPORT_DIR")
    with pytest.raises(ValueError, match="EXPORT_DIR"):
        export_all(customers, make_contacts(customers), None, None, MODEL, AS_OF, SMALL)


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
    customers = make_customers(200, {1: "Loyal", 2: "At risk"})
    contacts = make_contacts(customers)
    run_export(tmp_path, customers, contacts)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def failing_batches():
        yield customers.iloc[:100]
        raise RuntimeError("warehouse connection lost")

    with pytest.raises(RuntimeError, match="connection"):
        run_export(tmp_path, failing_batches(), contacts, generated_at=datetime(2025, 1, 1))
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_rerun_replaces_files_and_removes_stale_ones(tmp_path: Path) -> None:
    customers = make_customers(300, {1: "Loyal", 2: "At risk", 3: "New"})
    contacts = make_contacts(customers)
    first = run_export(tmp_path, customers, contacts)
    assert len(first["email"]["files"]) == 3
    (tmp_path / "email" / ".segment_9.csv.0123456789abcdef0123456789abcdef.tmp").write_text("x")
    (tmp_path / "email" / "README.txt").write_text("not ours")

    rerun = customers.loc[customers["segment_id"] != 3]
    second = run_export(tmp_path, rerun, contacts, generated_at=datetime(2024, 7, 2, tzinfo=UTC))
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


def test_vectorised_control_mask_equals_the_per_row_draw() -> None:
    ids = [f"C{i:06d}" for i in range(2000)] + ["Zoë", "", 42, None, np.nan]
    for share in (0.0, 0.1, 0.5, 1.0):
        mask = control_group_mask(pd.Series(ids, dtype=object), MODEL, share)
        assert mask.tolist() == [is_in_control_group(i, MODEL, share) for i in ids]
    strings = pd.Series([f"C{i:06d}" for i in range(500)] + [None], dtype="str")
    assert control_group_mask(strings, MODEL, 0.3).tolist() == [
        is_in_control_group(i, MODEL, 0.3) for i in strings
    ]


@pytest.mark.parametrize("string_dtype", ["str", object])
def test_suppression_mask_equals_per_row_normalisation(string_dtype: object) -> None:
    listed = ["x+tag@example.com", "anna@example.de", "zoë@example.de", "c000002"]
    suppression = Suppression.from_frame(
        pd.DataFrame({"customer_id": ["C000001", None, None, None], "email": listed})
    )
    emails = [
        " X+Tag@Example.COM ",
        "x+tag@example.com",
        "x.tag@example.com",
        "ANNA@EXAMPLE.DE\n",
        "Zoë@Example.de",
        "anna@example",
        "anna..x@example.de",
        None,
        "",
        "\u00a0anna@example.de\u2003",
        "C000002",
    ]
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{i:06d}" for i in range(len(emails))], dtype=string_dtype),
            "email": pd.Series(emails, dtype=string_dtype),
        }
    )
    expected = [
        customer_id in suppression.customer_ids or normalize_email(email) in suppression.emails
        for customer_id, email in zip(frame["customer_id"], frame["email"], strict=True)
    ]
    assert suppression.mask(frame).tolist() == expected
    assert sum(expected) == 5


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


def test_builders_give_the_same_frames_with_and_without_a_prepared_batch() -> None:
    customers = make_customers(300, {1: "Loyal, big", 2: "New"})
    contacts = make_contacts(customers)
    contacts.loc[::7, "email"] = None
    contacts.loc[::5, "phone"] = "n/a"
    contacts.loc[::3, "first_name"] = " Zoë  Ünal "
    contacts.loc[::4, "is_marketing_opt_in"] = False
    batch = attach_contacts(customers, contacts)
    batch["has_unsubscribed"] = [i % 11 == 0 for i in range(len(batch))]
    suppression = pd.DataFrame({"customer_id": ["C000010"], "email": ["user20@example.com"]})
    common = {"model_version": MODEL, "control_share": 0.2, "suppression": suppression}
    prepared = prepare_batch(batch, suppression, model_version=MODEL, control_share=0.2)
    pd.testing.assert_frame_equal(
        build_crm_export(batch, updated_at="t", **common),
        build_crm_export(batch, updated_at="t", prepared=prepared, **common),
    )
    alone, shared = (
        build_email_lists(batch, **common),
        build_email_lists(batch, prepared=prepared, **common),
    )
    assert alone.keys() == shared.keys()
    for key in alone:
        pd.testing.assert_frame_equal(alone[key], shared[key])
    alone_ads = build_ads_exports(batch, **common)
    shared_ads = build_ads_exports(batch, prepared=prepared, **common)
    for platform in alone_ads:
        for key in alone_ads[platform]:
            pd.testing.assert_frame_equal(alone_ads[platform][key], shared_ads[platform][key])
    with pytest.raises(ValueError, match="another batch"):
        build_crm_export(batch.copy(), updated_at="t", prepared=prepared, **common)


def test_string_and_object_columns_give_identical_files(tmp_path: Path) -> None:
    customers = make_customers(120, {1: "Loyal, big", 2: 'The "new" ones'})
    contacts = make_contacts(customers)
    contacts.loc[::6, "first_name"] = None
    contacts.loc[::4, "last_name"] = "  O'Neil-Smith\u00a0"
    contacts.loc[::9, "email"] = " BAD@@example.com"
    as_object = customers.astype({"customer_id": object, "segment_name": object})
    run_export(tmp_path / "str", customers.astype({"segment_name": "str"}), contacts)
    run_export(tmp_path / "object", as_object, contacts.astype(object))
    files = sorted(p.relative_to(tmp_path / "str") for p in (tmp_path / "str").rglob("*.*"))
    assert files
    for name in files:
        assert (tmp_path / "str" / name).read_bytes() == (tmp_path / "object" / name).read_bytes()
