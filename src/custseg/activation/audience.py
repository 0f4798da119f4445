"""Who may be exported where: control groups, suppression, consent, and the export frames.

The builders take one batch of customers, already joined to their contact details, and
return plain DataFrames; they never touch the file system, so they work the same on the
whole population or on one batch of it. Input columns (one row per customer):

* from the segmentation: ``customer_id``, ``segment_id``, ``segment_name``,
  ``rfm_segment``, ``churn_probability``, ``predicted_clv``, ``recommended_action``;
* contact details of the CRM version valid at the as-of date: ``email``, ``first_name``,
  ``last_name``, ``phone``, ``country_code``, optionally ``postal_code``;
* consent and deliverability: ``is_marketing_opt_in`` (True, False or None, already parsed
  from the CRM's mixed encodings), ``has_unsubscribed`` and ``has_bounced`` (email only).

Consent is strict: only a value that *is* True counts as an opt-in; False, None and NaN do
not, and any other value (a string such as ``"yes"``) raises, because it means the caller
skipped parsing. A customer without a segment (``segment_id`` null) appears in the CRM
export only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import overload

import numpy as np
import pandas as pd

from custseg.activation import identifiers as ids

DEFAULT_CONTROL_SHARE = 0.1

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
    "is_marketing_opt_in",
)
"""Columns the email and ads builders need (from the restricted contacts model)."""

CONSENT_COLUMN = "is_marketing_opt_in"
UNSUBSCRIBED_COLUMN = "has_unsubscribed"
BOUNCED_COLUMN = "has_bounced"
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


# ---------------------------------------------------------------------------------------------
# control groups
# ---------------------------------------------------------------------------------------------


def check_share(share: float) -> None:
    if not 0.0 <= share <= 1.0 or math.isnan(share):
        raise ValueError(f"control share must be within [0, 1], got {share!r}")


def _control_bucket(customer_id: object, model_version: str) -> float:
    """Position of a customer in [0, 1): the first 8 hex of SHA-256 over 2^32.

    Read as the first 4 digest bytes (the same number, without the hex text).
    """
    digest = hashlib.sha256(f"{model_version}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _values(series: pd.Series) -> list[object]:
    """The values iterating ``series`` gives, read at once for pandas strings (faster)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.to_numpy(dtype=object).tolist()
    return list(series)


def control_group_mask(
    customer_ids: pd.Series | Iterable[object], model_version: str, share: float
) -> pd.Series:
    """Vectorised :func:`is_in_control_group`: a boolean Series aligned with the ids.

    Ids are formatted with ``str`` (``42`` and ``"42"`` fall in the same group), so pass
    them with one consistent type; a float id such as ``42.0`` would hash differently.
    """
    check_share(share)
    series = customer_ids if isinstance(customer_ids, pd.Series) else pd.Series(customer_ids)
    positions = np.fromiter(
        (_control_bucket(customer_id, model_version) for customer_id in _values(series)),
        dtype=float,
        count=len(series),
    )
    return pd.Series(positions < share, index=series.index, dtype=bool)


@overload
def is_in_control_group(customer_id: pd.Series, model_version: str, share: float) -> pd.Series:
    pass


@overload
def is_in_control_group(customer_id: object, model_version: str, share: float) -> bool:
    pass


def is_in_control_group(
    customer_id: object, model_version: str, share: float = DEFAULT_CONTROL_SHARE
) -> bool | pd.Series:
    """Whether a customer is held out of email and ads as a control for ``model_version``.

    The first 8 hex digits of ``sha256(f"{model_version}:{customer_id}")`` read as an
    integer, divided by 2^32, fall below ``share``. The draw is deterministic, independent
    of batching and of the segment, about ``share`` of every segment, and a new model
    version draws a fresh control group. A Series of ids gives a boolean Series.
    """
    if isinstance(customer_id, pd.Series):
        return control_group_mask(customer_id, model_version, share)
    check_share(share)
    return _control_bucket(customer_id, model_version) < share


# ---------------------------------------------------------------------------------------------
# suppression and consent
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    """Customers who must never be exported, by customer id or by normalised email.

    Attributes:
        customer_ids: Suppressed ids formatted with ``str``.
        emails: Suppressed addresses, normalised with :func:`~ids.normalize_email`.
    """

    customer_ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame | None) -> Suppression:
        """Read a suppression list with a ``customer_id`` and/or an ``email`` column.

        Either column may be missing or null on a row; a row suppresses by whichever it has.
        """
        if frame is None or frame.empty:
            return cls()
        if "customer_id" not in frame.columns and "email" not in frame.columns:
            raise KeyError("suppression list needs a customer_id or an email column")
        customer_ids: set[str] = set()
        emails: set[str] = set()
        if "customer_id" in frame.columns:
            customer_ids = {text for value in frame["customer_id"] if (text := ids.as_text(value))}
        if "email" in frame.columns:
            emails = {email for value in frame["email"] if (email := ids.normalize_email(value))}
        return cls(frozenset(customer_ids), frozenset(emails))

    def __bool__(self) -> bool:
        return bool(self.customer_ids or self.emails)

    def mask(self, frame: pd.DataFrame) -> pd.Series:
        """True for the rows of ``frame`` that are suppressed.

        Raises:
            KeyError: The list suppresses by email but ``frame`` has no ``email`` column, so
                the suppression could not be honoured.
        """
        suppressed = pd.Series(False, index=frame.index, dtype=bool)
        if self.customer_ids:
            listed = self.customer_ids
            as_text = (ids.as_text(value) for value in _values(frame["customer_id"]))
            suppressed |= np.fromiter(
                (text in listed for text in as_text), dtype=bool, count=len(frame)
            )
        if self.emails:
            if "email" not in frame.columns:
                raise KeyError("suppression by email needs an email column in the customers")
            suppressed |= self._email_mask(frame["email"])
        return suppressed

    def _email_mask(self, emails: pd.Series) -> np.ndarray:
        """Rows whose :func:`~ids.normalize_email` is suppressed, normalising few of them.

        ``normalize_email`` gives either None or the trimmed, lower-cased text, so only a
        row whose trimmed, lower-cased text is on the list can match; only those are
        validated.
        """
        listed = self.emails
        texts = [ids.as_text(value) for value in _values(emails)]
        return np.array(
            [
                text is not None
                and text.strip().lower() in listed
                and ids.normalize_email(text) is not None
                for text in texts
            ],
            dtype=bool,
        )


def _as_suppression(suppression: Suppression | pd.DataFrame | None) -> Suppression:
    if isinstance(suppression, Suppression):
        return suppression
    return Suppression.from_frame(suppression)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def true_mask(values: pd.Series, column: str) -> pd.Series:
    """Boolean Series: True only where the value *is* True (None, NaN, False give False).

    Raises:
        TypeError: A value is neither a boolean nor missing (for example the raw string
            ``"yes"``): consent must be parsed before export.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).astype(bool)
    bad = [v for v in values if not (_is_missing(v) or isinstance(v, bool | np.bool_))]
    if bad:
        raise TypeError(
            f"{column} must hold booleans or missing values, found {bad[:3]!r}; "
            "parse the CRM encodings first"
        )
    return values.map(lambda v: isinstance(v, bool | np.bool_) and bool(v)).astype(bool)


def apply_consent_and_suppression(
    frame: pd.DataFrame,
    suppression: Suppression | pd.DataFrame | None = None,
    *,
    require_opt_in: bool = True,
    exclude_unsubscribed: bool = False,
    exclude_bounced: bool = False,
) -> pd.DataFrame:
    """Rows of ``frame`` that may be exported.

    Args:
        frame: Customers with ``customer_id`` (and ``email`` when suppressing by email),
            plus the consent columns asked for below. ``is_marketing_opt_in`` must come from
            the CRM version valid at the as-of date: a customer who opted in and later opted
            out carries False and is dropped.
        suppression: Suppression list (or a frame for :meth:`Suppression.from_frame`);
            suppressed customers are always dropped.
        require_opt_in: Keep only rows whose ``is_marketing_opt_in`` is True.
        exclude_unsubscribed: Drop rows whose ``has_unsubscribed`` is True.
        exclude_bounced: Drop rows whose ``has_bounced`` is True.

    Returns:
        The kept rows, in input order, index preserved.
    """
    keep = ~_as_suppression(suppression).mask(frame).to_numpy(dtype=bool)
    keep &= _consent_keep(
        lambda column: _consent_flag(frame, column),
        len(frame),
        require_opt_in=require_opt_in,
        exclude_unsubscribed=exclude_unsubscribed,
        exclude_bounced=exclude_bounced,
    )
    return frame.loc[keep]


def _consent_flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    """:func:`true_mask` of a consent column (KeyError when the column is missing)."""
    if column not in frame.columns:
        raise KeyError(f"column {column!r} is needed to check consent")
    return true_mask(frame[column], column).to_numpy(dtype=bool)


def _consent_keep(
    flag: Callable[[str], np.ndarray],
    rows: int,
    *,
    require_opt_in: bool,
    exclude_unsubscribed: bool,
    exclude_bounced: bool,
) -> np.ndarray:
    """The consent rule, over the consent flags ``flag(column)`` gives: rows that may go."""
    keep = np.ones(rows, dtype=bool)
    checks = (
        (require_opt_in, CONSENT_COLUMN, True),
        (exclude_unsubscribed, UNSUBSCRIBED_COLUMN, False),
        (exclude_bounced, BOUNCED_COLUMN, False),
    )
    for wanted, column, keep_when_true in checks:
        if wanted:
            keep &= flag(column) if keep_when_true else ~flag(column)
    return keep


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


class PreparedBatch:
    """One batch of customers with what every builder needs of it, computed once.

    The suppression mask, segment keys and control draw are computed on construction; the
    consent flags and the normalised emails of the marketable customers when first needed
    (the CRM export needs neither). :func:`export_all
    <custseg.activation.export.export_all>` prepares each batch once for its three
    builders, which otherwise repeat this work per destination.
    """

    def __init__(
        self,
        customers: pd.DataFrame,
        suppression: Suppression | pd.DataFrame | None,
        *,
        model_version: str,
        control_share: float,
    ) -> None:
        self.customers = customers
        self.suppressed = _as_suppression(suppression).mask(customers).to_numpy(dtype=bool)
        self.keys = _segment_keys(customers)
        self.segmented = self.keys.notna().to_numpy(dtype=bool)
        self.control = control_group_mask(
            customers["customer_id"], model_version, control_share
        ).to_numpy(dtype=bool)
        self._flags: dict[str, np.ndarray] = {}

    def flag(self, column: str) -> np.ndarray:
        """:func:`true_mask` of a consent column, computed once per batch."""
        if column not in self._flags:
            self._flags[column] = _consent_flag(self.customers, column)
        return self._flags[column]

    def marketable(self, *, email_channel: bool) -> np.ndarray:
        """Segmented, opted-in, unsuppressed customers outside the control group: the rule
        of :func:`apply_consent_and_suppression`. The email channel also drops customers
        who unsubscribed or bounced.
        """
        consent = _consent_keep(
            self.flag,
            len(self.customers),
            require_opt_in=True,
            exclude_unsubscribed=email_channel,
            exclude_bounced=email_channel,
        )
        return ~self.suppressed & consent & self.segmented & ~self.control

    @cached_property
    def emails(self) -> np.ndarray:
        """:func:`~ids.normalize_email` of the marketable customers (any channel), else None."""
        rows = np.flatnonzero(self.marketable(email_channel=False))
        emails = self.customers["email"].iloc[rows]
        out = np.full(len(self.customers), None, dtype=object)
        out[rows] = [ids.normalize_email(value) for value in _values(emails)]
        return out


def prepare_batch(
    customers: pd.DataFrame,
    suppression: Suppression | pd.DataFrame | None = None,
    *,
    model_version: str,
    control_share: float = DEFAULT_CONTROL_SHARE,
) -> PreparedBatch:
    """Prepare one batch for :func:`build_crm_export`, :func:`build_email_lists` and
    :func:`build_ads_exports` (pass it as ``prepared=`` to skip recomputing the masks)."""
    return PreparedBatch(
        customers, suppression, model_version=model_version, control_share=control_share
    )


def _prepared(
    customers: pd.DataFrame,
    prepared: PreparedBatch | None,
    suppression: Suppression | pd.DataFrame | None,
    model_version: str,
    control_share: float,
) -> PreparedBatch:
    if prepared is None:
        return prepare_batch(
            customers, suppression, model_version=model_version, control_share=control_share
        )
    if prepared.customers is not customers:
        raise ValueError("prepared was made from another batch of customers")
    return prepared


def split_by_segment(frame: pd.DataFrame) -> dict[SegmentKey, pd.DataFrame]:
    """One frame per segment key, in order of first appearance, each reindexed from 0."""
    if frame.empty:
        return {}
    keys = _segment_keys(frame)
    return {
        key: part.reset_index(drop=True)
        for key, part in frame.groupby(keys, sort=False, dropna=True)
    }


def build_crm_export(
    customers: pd.DataFrame,
    *,
    model_version: str,
    updated_at: str,
    control_share: float = DEFAULT_CONTROL_SHARE,
    suppression: Suppression | pd.DataFrame | None = None,
    prepared: PreparedBatch | None = None,
) -> pd.DataFrame:
    """CRM rows: every customer not suppressed, with segment fields and the control flag.

    Args:
        customers: One batch with :data:`SEGMENT_COLUMNS` (and ``email`` when suppressing by
            email).
        model_version: Version of the segmentation model; seeds the control group.
        updated_at: Timestamp written to every row (the export's generated_at, ISO 8601).
        control_share: Share of each segment held out of email and ads.
        suppression: Suppression list; suppressed customers are dropped here too.
        prepared: :func:`prepare_batch` of ``customers`` with the same model version,
            share and suppression, shared with the other builders; made here when None.

    Returns:
        Columns :data:`CRM_COLUMNS`; ``is_control_group`` is False for unsegmented rows.
    """
    _require(customers, SEGMENT_COLUMNS, "customers")
    batch = _prepared(customers, prepared, suppression, model_version, control_share)
    keep = ~batch.suppressed
    out = customers.loc[keep, list(SEGMENT_COLUMNS)].copy()
    out["segment_id"] = batch.keys.loc[keep]
    out["is_control_group"] = batch.control[keep] & batch.segmented[keep]
    out["updated_at"] = updated_at
    return out.loc[:, list(CRM_COLUMNS)].reset_index(drop=True)


def build_email_lists(
    customers: pd.DataFrame,
    *,
    model_version: str,
    control_share: float = DEFAULT_CONTROL_SHARE,
    suppression: Suppression | pd.DataFrame | None = None,
    prepared: PreparedBatch | None = None,
) -> dict[SegmentKey, pd.DataFrame]:
    """One email list per segment: opted-in, reachable, unsuppressed, non-control customers.

    Drops customers without explicit opt-in, with ``has_unsubscribed`` or ``has_bounced``
    True, suppressed, in the control group, without a segment, or without a valid address.
    ``prepared`` as in :func:`build_crm_export`.

    Returns:
        Segment key -> frame with :data:`EMAIL_COLUMNS` (``email`` normalised, ``first_name``
        trimmed).
    """
    _require(customers, (UNSUBSCRIBED_COLUMN, BOUNCED_COLUMN), "customers")
    _require(customers, SEGMENT_COLUMNS + CONTACT_COLUMNS, "customers")
    batch = _prepared(customers, prepared, suppression, model_version, control_share)
    keep = batch.marketable(email_channel=True)
    emails = batch.emails[keep]
    keep[keep] = pd.notna(emails)
    kept = customers.loc[keep]
    out = pd.DataFrame(
        {
            "email": batch.emails[keep],
            "first_name": np.array(_mapped(kept["first_name"], _stripped), dtype=object),
            "segment_id": batch.keys.loc[keep],
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


def build_ads_exports(
    customers: pd.DataFrame,
    *,
    model_version: str,
    control_share: float = DEFAULT_CONTROL_SHARE,
    suppression: Suppression | pd.DataFrame | None = None,
    prepared: PreparedBatch | None = None,
) -> dict[str, dict[SegmentKey, pd.DataFrame]]:
    """Customer-match files per platform and segment.

    Keeps opted-in, unsuppressed, segmented customers outside the control group who have a
    valid email or a plausible phone. The phone is converted to E.164 with the customer's
    ``country_code`` as the default country, then hashed per platform: Google hashes the
    E.164 string with ``+``, Meta its digits without ``+`` (so the two files differ).
    ``prepared`` as in :func:`build_crm_export`.

    Returns:
        ``{"google": {segment: frame with GOOGLE_COLUMNS}, "meta": {segment: frame with
        META_COLUMNS}}``; empty cells for identifiers a customer lacks.
    """
    _require(customers, SEGMENT_COLUMNS + CONTACT_COLUMNS, "customers")
    batch = _prepared(customers, prepared, suppression, model_version, control_share)
    keep = batch.marketable(email_channel=False)
    kept = customers.loc[keep]
    emails = batch.emails[keep].tolist()
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
    keys = list(batch.keys.loc[keep])
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
