"""Find personal values of generated customers in a warehouse file or Parquet files.

Shared by the privacy tests (tests/python/test_privacy_e2e.py). The personal values come
from the generator's raw CRM export (every version of every customer), and two shapes are
matched generally too: anything email-shaped, and any run of digits that equals a
generated phone number once its separators are dropped.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

EMAIL_SHAPE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
"""An email address anywhere in a value (DuckDB regular expression)."""
PHONE_SHAPE = r"\+?[0-9][0-9 ()/.-]{6,}[0-9]"
"""A phone-shaped run: eight or more digits with the separators people type."""
NAME_TOKEN = re.compile(r"[^\W\d_]+")
"""A word of letters, the unit a name is matched as (so `"first_name":"Anna"` finds Anna)."""


@dataclass(frozen=True)
class PersonalValues:
    """The generated customers' ids, emails, phone digits and names, lower-cased."""

    customer_ids: frozenset[str]
    emails: frozenset[str]
    phone_digits: frozenset[str]
    names: frozenset[str]


@dataclass(frozen=True)
class Hit:
    """One personal value found: where, and which value."""

    relation: str
    column: str
    value: str
    kind: str

    def __str__(self) -> str:
        return f"{self.relation}.{self.column}: {self.kind} {self.value!r}"


def digits(text: str) -> str:
    """The digits of a phone number, without `+`, spaces or other separators."""
    return re.sub(r"\D", "", text)


def read_personal_values(crm_file: Path, only_ids: set[str] | None = None) -> PersonalValues:
    """The personal values of every version of every customer in the raw CRM file, or only
    of the customers in ``only_ids``."""
    ids, emails, phones, names = set(), set(), set(), set()
    with crm_file.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            customer_id = (row.get("customer_id") or "").strip()
            if only_ids is not None and customer_id not in only_ids:
                continue
            if customer_id:
                ids.add(customer_id)
            if (row.get("email") or "").strip():
                emails.add(row["email"].strip().lower())
            if len(digits(row.get("phone") or "")) >= 8:
                phones.add(digits(row["phone"]))
            for column in ("first_name", "last_name"):
                # Names shorter than three letters are too common as parts of other words.
                names.update(
                    token.lower()
                    for token in NAME_TOKEN.findall(row.get(column) or "")
                    if len(token) >= 3
                )
    return PersonalValues(frozenset(ids), frozenset(emails), frozenset(phones), frozenset(names))


def _text_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [row[0] for row in con.sql(f"describe select * from {relation}").fetchall()]


def scan_relation(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    personal: PersonalValues,
    *,
    label: str | None = None,
    match_ids: bool = False,
) -> list[Hit]:
    """Every personal value in ``relation`` (a table, view or ``read_parquet(...)``): each
    column is read as text, one distinct value at a time. ``match_ids`` also looks for the
    customer ids (which public marts may carry; an erased customer's may not)."""
    hits: list[Hit] = []
    label = label or relation
    for column in _text_columns(con, relation):
        quoted = '"' + column.replace('"', '""') + '"'
        values = con.sql(
            f"select distinct cast({quoted} as varchar) as value from {relation} "
            f"where {quoted} is not null"
        ).fetchall()
        for (value,) in values:
            hits.extend(_value_hits(label, column, value, personal, match_ids))
    return hits


def _value_hits(
    relation: str, column: str, value: str, personal: PersonalValues, match_ids: bool
) -> list[Hit]:
    hits = []
    lowered = value.lower()
    for match in re.finditer(EMAIL_SHAPE, value):
        hits.append(Hit(relation, column, match.group(0), "email-shaped"))
    if any(email in lowered for email in personal.emails):
        hits.append(Hit(relation, column, value, "generated email"))
    for match in re.finditer(PHONE_SHAPE, value):
        if digits(match.group(0)) in personal.phone_digits:
            hits.append(Hit(relation, column, match.group(0), "generated phone"))
    for token in NAME_TOKEN.findall(value):
        if token.lower() in personal.names:
            hits.append(Hit(relation, column, token, "generated name"))
    if match_ids:
        for token in re.findall(r"[0-9A-Za-z_-]+", value):
            if token in personal.customer_ids:
                hits.append(Hit(relation, column, token, "customer id"))
    return hits


def scan_warehouse(
    db_path: Path,
    personal: PersonalValues,
    *,
    schemas: tuple[str, ...] | None = None,
    skip: frozenset[str] = frozenset(),
    match_ids: bool = False,
) -> list[Hit]:
    """Every personal value in the relations of ``schemas`` (all when None) of a DuckDB
    file, except the ``schema.name`` relations in ``skip``."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        relations = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by all"
        ).fetchall()
        hits = []
        for schema, name in relations:
            if (schemas is not None and schema not in schemas) or f"{schema}.{name}" in skip:
                continue
            hits += scan_relation(con, f'"{schema}"."{name}"', personal, match_ids=match_ids)
        return hits


def scan_files(folder: Path, personal: PersonalValues, *, match_ids: bool = False) -> list[Hit]:
    """Every personal value in the Parquet and CSV files under ``folder``."""
    hits = []
    with duckdb.connect() as con:
        for path in sorted(folder.rglob("*")):
            quoted = str(path).replace("'", "''")
            if path.suffix == ".parquet":
                relation = f"read_parquet('{quoted}')"
            elif path.suffix == ".csv":
                relation = f"read_csv('{quoted}', all_varchar = true, header = true)"
            else:
                if path.is_file() and path.suffix in {".json", ".txt", ".md"}:
                    text = path.read_text(encoding="utf-8", errors="replace")
                    hits += _value_hits(str(path), "(text)", text, personal, match_ids)
                continue
            hits += scan_relation(con, relation, personal, label=str(path), match_ids=match_ids)
    return hits
