"""The export frames of one batch of the activation audience, one builder per destination.

Who may go where is decided in SQL, once (``int_activation_audience``: suppression,
consent, the control group and one eligibility flag per channel); the builders here only
select the rows the flags allow, normalise and hash identifiers and shape each
destination's columns. They take one batch of customers and return plain DataFrames; they
never touch the file system, so they work the same on the whole audience or on one batch
of it. Input columns (one row per customer):

* from the segmentation: ``customer_id``, ``segment_id``, ``segment_name``,
  ``rfm_segment``, ``churn_probability``, ``predicted_clv``, ``recommended_action``,
  ``is_control_group``;
* contact details of the CRM version valid at the as-of date: ``email``, ``first_name``,
  ``last_name``, ``phone``, ``country_code``, optionally ``postal_code``;
* the channels: ``is_email_eligible`` and ``is_ads_eligible``, true or false on every row.

A customer without a segment (``segment_id`` null) appears in the CRM export only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from custseg.activation import identifiers as ids

SEGMENT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "segment_id",
    "segment_name",
    "rfm_segment",
    "churn_probability",
    "predicted_clv",
    "recommended_action",
)
"""Columns every customer batch must carry."""

CONTACT_COLUMNS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "country_code",
)
"""Columns the email and ads builders need (the CRM version valid at the as-of date)."""

CONTROL_COLUMN = "is_control_group"
EMAIL_ELIGIBLE_COLUMN = "is_email_eligible"
ADS_ELIGIBLE_COLUMN = "is_ads_eligible"
POSTAL_CODE_COLUMN = "postal_code"

CRM_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "segment_id",
    "segment_name",
    "rfm_segment",
    "churn_probability",
    "predicted_clv",
    "recommended_action",
    "is_control_group",
    "updated_at",
)
EMAIL_COLUMNS: tuple[str, ...] = ("email", "first_name", "segment_id", "segment_name")
GOOGLE_COLUMNS: tuple[str, ...] = (
    "Email",
    "Phone",
    "First Name",
    "Last Name",
    "Country",
    "Zip",
    "segment_id",
)
"""Google Customer Match hashed-upload headers (English names, as documented), then ours."""
META_COLUMNS: tuple[str, ...] = ("email", "phone", "fn", "ln", "country", "segment_id")
"""Meta customer-list identifier headers, all values hashed, then ours."""

AD_PLATFORMS: tuple[str, ...] = ("google", "meta")

SegmentKey = int | str
"""A segment id as a plain Python value (numpy scalars and integral floats unwrapped)."""


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and np.isnan(value)


def _values(series: pd.Series) -> list[object]:
    """The values iterating ``series`` gives, read at once for pandas strings (faster)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.to_numpy(dtype=object).tolist()
    return list(series)


def flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A boolean column of the audience as a numpy mask.

    Raises:
        KeyError: The column is missing.
        TypeError: The column is not boolean or has missing values: the flags are decided
            in SQL (``int_activation_audience``), never guessed here.
    """
    if column not in frame.columns:
        raise KeyError(f"column {column!r} is needed (int_activation_audience computes it)")
    values = frame[column]
    if not pd.api.types.is_bool_dtype(values.dtype) or values.isna().any():
        raise TypeError(f"{column} must be true or false on every row, got dtype {values.dtype}")
    return values.to_numpy(dtype=bool)


# ---------------------------------------------------------------------------------------------
# export frames
# ---------------------------------------------------------------------------------------------


def segment_key(value: object) -> SegmentKey | None:
    """A segment id as a plain ``int`` or ``str`` (None when missing).

    Integral floats (``3.0``, what pandas makes of an integer column with nulls) become
    ``int``, so one segment has one key and one file name in every batch.
    """
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool):
        return str(value)
    return value if isinstance(value, int | str) else str(value)


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise KeyError(f"{what} is missing columns {missing}")


def _segment_keys(frame: pd.DataFrame) -> pd.Series:
    """Segment keys of the rows as an object Series (``map`` would turn ints back to floats)."""
    codes, uniques = pd.factorize(frame["segment_id"], use_na_sentinel=True)
    lookup = np.array([*(segment_key(value) for value in uniques), None], dtype=object)
    return pd.Series(lookup[codes], index=frame.index, dtype=object)


def _mapped(series: pd.Series, function: Callable[[object], object]) -> list[object]:
    """``[function(value) for value in series]``, calling a pure ``function`` once per value.

    Names, countries and first names repeat a lot, so a string column is factorised and
    ``function`` applied to its distinct values (and once to its missing value); other
    columns are mapped row by row.
    """
    if not isinstance(series.dtype, pd.StringDtype):
        return [function(value) for value in series]
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    lookup = np.empty(len(uniques) + 1, dtype=object)
    lookup[:-1] = [function(value) for value in uniques]
    lookup[-1] = function(series.dtype.na_value)
    return lookup[codes].tolist()


def split_by_segment(frame: pd.DataFrame) -> dict[SegmentKey, pd.DataFrame]:
    """One frame per segment key, in order of first appearance, each reindexed from 0."""
    if frame.empty:
        return {}
    keys = _segment_keys(frame)
    return {
        key: part.reset_index(drop=True)
        for key, part in frame.groupby(keys, sort=False, dropna=True)
    }


def build_crm_export(customers: pd.DataFrame, *, updated_at: str) -> pd.DataFrame:
    """CRM rows: every customer of the audience, with segment fields and the control flag.

    Args:
        customers: One batch with :data:`SEGMENT_COLUMNS` and ``is_control_group``.
        updated_at: Timestamp written to every row (the export's generated_at, ISO 8601).

    Returns:
        Columns :data:`CRM_COLUMNS`.
    """
    _require(customers, SEGMENT_COLUMNS, "customers")
    out = customers.loc[:, list(SEGMENT_COLUMNS)].copy()
    out["segment_id"] = _segment_keys(customers)
    out["is_control_group"] = flag(customers, CONTROL_COLUMN)
    out["updated_at"] = updated_at
    return out.loc[:, list(CRM_COLUMNS)].reset_index(drop=True)


def _eligible_emails(customers: pd.DataFrame, eligible: np.ndarray) -> np.ndarray:
    """:func:`~ids.normalize_email` of the eligible rows, None elsewhere."""
    rows = np.flatnonzero(eligible)
    out = np.full(len(customers), None, dtype=object)
    out[rows] = [ids.normalize_email(value) for value in _values(customers["email"].iloc[rows])]
    return out


def build_email_lists(customers: pd.DataFrame) -> dict[SegmentKey, pd.DataFrame]:
    """One email list per segment: the customers ``is_email_eligible`` with a valid address.

    Returns:
        Segment key -> frame with :data:`EMAIL_COLUMNS` (``email`` normalised, ``first_name``
        trimmed); customers without a segment are in no list.
    """
    _require(customers, SEGMENT_COLUMNS + CONTACT_COLUMNS, "customers")
    eligible = flag(customers, EMAIL_ELIGIBLE_COLUMN)
    emails = _eligible_emails(customers, eligible)
    keep = eligible & pd.notna(emails)
    kept = customers.loc[keep]
    out = pd.DataFrame(
        {
            "email": emails[keep],
            "first_name": np.array(_mapped(kept["first_name"], _stripped), dtype=object),
            "segment_id": _segment_keys(customers).loc[keep],
            "segment_name": kept["segment_name"],
        },
        index=kept.index,
    )
    return split_by_segment(out)


def _column_or_none(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _stripped(value: object) -> str | None:
    text = ids.as_text(value)
    return (text.strip() or None) if text is not None else None


def _hashed(values: Iterable[str | None]) -> list[str | None]:
    return [None if value is None else ids.sha256_hex(value) for value in values]


def build_ads_exports(customers: pd.DataFrame) -> dict[str, dict[SegmentKey, pd.DataFrame]]:
    """Customer-match files per platform and segment.

    Keeps the customers ``is_ads_eligible`` who have a valid email or a plausible phone.
    The phone is converted to E.164 with the customer's ``country_code`` as the default
    country, then hashed per platform: Google hashes the E.164 string with ``+``, Meta its
    digits without ``+`` (so the two files differ).

    Returns:
        ``{"google": {segment: frame with GOOGLE_COLUMNS}, "meta": {segment: frame with
        META_COLUMNS}}``; empty cells for identifiers a customer lacks; customers without a
        segment are in no file.
    """
    _require(customers, SEGMENT_COLUMNS + CONTACT_COLUMNS, "customers")
    keep = flag(customers, ADS_ELIGIBLE_COLUMN)
    kept = customers.loc[keep]
    emails = _eligible_emails(customers, keep)[keep].tolist()
    countries = _mapped(kept["country_code"], ids.normalize_country)
    facts = {country: ids.country_facts(country) for country in set(countries)}
    phones = [
        ids.e164_with_facts(phone, facts[country])
        for phone, country in zip(_values(kept["phone"]), countries, strict=True)
    ]
    has_identifier = np.array(
        [
            email is not None or phone is not None
            for email, phone in zip(emails, phones, strict=True)
        ],
        dtype=bool,
    )
    hashed_emails = _hashed(emails)
    postal_codes = _mapped(_column_or_none(kept, POSTAL_CODE_COLUMN), _stripped)
    keys = list(_segment_keys(customers).loc[keep])
    country_hashes = {country: ids.meta_country_hash(country) for country in set(countries)}
    google = pd.DataFrame(
        {
            "Email": hashed_emails,
            "Phone": _hashed(phones),
            "First Name": _mapped(kept["first_name"], ids.google_name_hash),
            "Last Name": _mapped(kept["last_name"], ids.google_name_hash),
            "Country": countries,
            "Zip": postal_codes,
            "segment_id": keys,
        },
        dtype=object,
    )
    meta = pd.DataFrame(
        {
            "email": hashed_emails,
            "phone": _hashed(None if phone is None else phone[1:] for phone in phones),
            "fn": _mapped(kept["first_name"], ids.meta_name_hash),
            "ln": _mapped(kept["last_name"], ids.meta_name_hash),
            "country": [country_hashes[country] for country in countries],
            "segment_id": keys,
        },
        dtype=object,
    )
    return {
        "google": split_by_segment(google.loc[has_identifier]),
        "meta": split_by_segment(meta.loc[has_identifier]),
    }
