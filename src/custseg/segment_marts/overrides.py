"""Seed ``segment_overrides``: hand-set names, descriptions, owners, actions, and merges.

No I/O and no dbt imports. One row per segment id; every column but ``segment_id`` is
optional, and a blank cell keeps the automatic value. Two uses, each in one place:

* **Merges** (``merge_into_segment_id``): :func:`resolve_merges` turns them into the table
  ``from_segment_id -> to_segment_id`` (chains followed, cycles rejected) of model
  ``int_segment_merges_resolved``; SQL applies it to the customers
  (``int_customer_segments_merged``), so every later profile, name and chart sees the merged
  segments only.
* **Renames** (``segment_name``, ``segment_description``, ``owner``, ``recommended_action``):
  :func:`apply_overrides` replaces the automatic values in ``int_segments_named``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from custseg.seeds import is_blank
from custseg.segment_ids import NO_PURCHASE

OVERRIDE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "segment_name",
    "segment_description",
    "owner",
    "recommended_action",
    "merge_into_segment_id",
)
"""Columns of the overrides seed (all but ``segment_id`` optional and nullable)."""

RENAMED_COLUMNS: tuple[str, ...] = (
    "segment_name",
    "segment_description",
    "owner",
    "recommended_action",
)
"""The columns an override row can set on a segment."""

MERGE_COLUMNS: tuple[str, ...] = ("from_segment_id", "to_segment_id")
"""Columns of the resolved merge table (one row per merged-away segment)."""

_SEED = "seed segment_overrides"


@dataclass(frozen=True)
class OverrideResult:
    """Outcome of :func:`apply_overrides`.

    Attributes:
        segments: One row per segment, with the :data:`RENAMED_COLUMNS` overridden where the
            seed has a value, plus ``is_overridden``.
        unknown_segment_ids: Seed rows whose segment id is neither a segment nor merged away;
            ignored.
    """

    segments: pd.DataFrame
    unknown_segment_ids: tuple[int, ...]


def resolve_merges(overrides: pd.DataFrame) -> pd.DataFrame:
    """The merges of the overrides seed, resolved: ``from_segment_id -> to_segment_id``.

    Chains are followed (3 -> 5 and 5 -> 7 give 3 -> 7 and 5 -> 7). The no-purchase segment
    is a rule, not a cluster: it can neither be merged nor be a merge target.

    Returns:
        Frame with :data:`MERGE_COLUMNS` (int64), ordered by ``from_segment_id``.

    Raises:
        ValueError: Naming the seed row: a segment id appears twice, a segment merges into
            itself, merges form a cycle, or the no-purchase segment takes part in a merge.
    """
    direct: dict[int, int] = {}
    if "merge_into_segment_id" in overrides.columns:
        seed = _checked(overrides)
        for sid, target in zip(seed["segment_id"], seed["merge_into_segment_id"], strict=True):
            if is_blank(target):
                continue
            sid, target = int(sid), int(target)
            if sid == target:
                raise ValueError(f"{_SEED}, row segment_id {sid}: merges into itself")
            if NO_PURCHASE in (sid, target):
                raise ValueError(
                    f"{_SEED}, row segment_id {sid}: segment {NO_PURCHASE} (no purchase yet) is "
                    "rule-based and can neither be merged nor be a merge target"
                )
            direct[sid] = target
    resolved: dict[int, int] = {}
    for sid in sorted(direct):
        seen = [sid]
        target = direct[sid]
        while target in direct:
            if target in seen:
                cycle = " -> ".join(map(str, [*seen, target]))
                raise ValueError(f"{_SEED}, row segment_id {sid}: merge cycle {cycle}")
            seen.append(target)
            target = direct[target]
        resolved[sid] = target
    return pd.DataFrame(
        {
            "from_segment_id": np.array(sorted(resolved), dtype=np.int64),
            "to_segment_id": np.array([resolved[k] for k in sorted(resolved)], dtype=np.int64),
        }
    )


def apply_overrides(
    segments_df: pd.DataFrame, overrides: pd.DataFrame, merges: pd.DataFrame
) -> OverrideResult:
    """Replace automatic names, descriptions, owners and actions by the seed's values.

    Blank values (null or white space) in the seed keep the automatic value. The segments are
    those after merges: a merged-away segment is no longer among them, and its seed row only
    matters for the merge.

    Args:
        segments_df: One row per segment with ``segment_id`` and ``segment_name`` (e.g. from
            :func:`custseg.segment_marts.naming.name_segments`, optionally with ``owner`` and
            ``recommended_action``).
        overrides: The overrides seed (:data:`OVERRIDE_COLUMNS`; only ``segment_id`` is
            required).
        merges: The resolved merges (:func:`resolve_merges`).

    Raises:
        ValueError: A segment id appears twice in the seed, a merge target is not a segment,
            or the names are not unique after overriding.
    """
    seed = _checked(overrides)
    segments = segments_df.copy()
    segments["segment_id"] = segments["segment_id"].astype(np.int64)
    for column in ("owner", "recommended_action"):
        if column not in segments.columns:
            segments[column] = None
    known = set(segments["segment_id"])
    bad_targets = sorted({int(t) for t in merges["to_segment_id"]} - known)
    if bad_targets:
        raise ValueError(f"{_SEED}: merge target segments not found: {bad_targets}")
    merged = {int(s) for s in merges["from_segment_id"]}
    unknown = tuple(sorted(set(seed["segment_id"]) - known - merged))
    segments["is_overridden"] = False
    by_id = seed.set_index("segment_id")
    for column in RENAMED_COLUMNS:
        if column not in by_id.columns:
            continue
        segments[column] = segments[column].astype(object)
        for position, sid in enumerate(segments["segment_id"]):
            if sid not in by_id.index or is_blank(by_id.at[sid, column]):
                continue
            segments.iloc[position, segments.columns.get_loc(column)] = str(
                by_id.at[sid, column]
            ).strip()
            segments.iloc[position, segments.columns.get_loc("is_overridden")] = True
    duplicated_names = sorted(
        set(segments.loc[segments["segment_name"].duplicated(), "segment_name"])
    )
    if duplicated_names:
        raise ValueError(f"segment names are not unique after overrides: {duplicated_names}")
    segments = segments.sort_values("segment_id", kind="mergesort").reset_index(drop=True)
    return OverrideResult(segments, unknown)


def _checked(overrides: pd.DataFrame) -> pd.DataFrame:
    """The seed with int64 segment ids, each at most once."""
    if "segment_id" not in overrides.columns:
        raise KeyError(f"{_SEED} needs a segment_id column")
    seed = overrides.copy()
    seed["segment_id"] = seed["segment_id"].astype(np.int64)
    if seed["segment_id"].duplicated().any():
        duplicated = sorted(set(seed.loc[seed["segment_id"].duplicated(), "segment_id"]))
        raise ValueError(f"{_SEED}: segment ids appear more than once: {duplicated}")
    return seed
