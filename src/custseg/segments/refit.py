"""The refit policy: does this build fit a new segment model version, and which one does it use?

:func:`decide_refit` is the decision table (docs block `segment_refit_policy`);
:func:`active_version` picks the stored version a build scores with (never one trained after
the build's as-of date); :func:`drift_signal` reads the previous build's drift signal
(``int_segment_refit_signals``) for that version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from custseg.clustering import SINGLE_SEGMENT
from custseg.segments.settings import SELECTION_VARS

REFIT_SELECTION_SETTINGS: tuple[str, ...] = (
    "algorithms",
    "pinned_algorithm",
    "k_min",
    "k_max",
    "pinned_n_clusters",
)
"""Selection settings whose change refits: they decide which models are candidates. The
others (share guards, ward's sub-sample, the minimum customers) only change how the candidates
are judged or fitted, so a changed one is noted and applies at the next refit."""


@dataclass(frozen=True)
class StoredVersion:
    """What the refit policy needs to know about one row of the model-versions table."""

    model_version: int
    trained_as_of_date: date
    preprocess_config: dict[str, Any]
    selection_settings: dict[str, Any]
    segment_ids: tuple[int, ...] = ()
    retired_segment_ids: tuple[int, ...] = ()
    algorithm: str | None = None
    n_sample_rows: int | None = None


@dataclass(frozen=True)
class RefitDecision:
    """Outcome of :func:`decide_refit`.

    Attributes:
        refit: Fit a new model in this build.
        reasons: Why it refits (empty when it re-scores).
        active_version: The stored version a re-score uses: the latest trained on or before
            the as-of date (``None`` when there is none).
        previous_version: The version a refit matches its segment ids against: the active
            version, else the most recently created one (``None`` for the first model).
        notes: Things worth logging that do not trigger a refit.
    """

    refit: bool
    reasons: tuple[str, ...]
    active_version: int | None
    previous_version: int | None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the build log."""
        if self.refit:
            text = "refit: " + "; ".join(self.reasons)
        else:
            text = f"re-scoring with stored model version {self.active_version} (no refit)"
        return text + "".join(f". Note: {note}" for note in self.notes)


def _normalised(value: Any) -> Any:
    """JSON round trip, so tuples and lists (and int/float keys) compare equal."""
    return json.loads(json.dumps(value, sort_keys=True))


def _changed_candidate_settings(
    active: StoredVersion, selection_settings: Mapping[str, Any]
) -> list[str]:
    """One refit reason per var of :data:`REFIT_SELECTION_SETTINGS` changed since ``active``.

    Each names the var and both values, e.g. ``var algorithms changed from ['kmeans', 'gmm']
    (model version 1) to ['gmm']``.
    """
    stored, current = _normalised(active.selection_settings), _normalised(selection_settings)
    return [
        f"var {SELECTION_VARS[field]} changed from {stored[field]!r} (model version "
        f"{active.model_version}) to {current.get(field)!r}"
        for field in REFIT_SELECTION_SETTINGS
        if field in stored and stored[field] != current.get(field)
    ]


def active_version(versions: Sequence[StoredVersion], as_of_date: date) -> StoredVersion | None:
    """The stored version a build with ``as_of_date`` uses, or ``None``.

    Only versions trained on or before the as-of date qualify (a model never scores a date
    before its training data ended); among them the latest training date wins, then the
    highest version number.
    """
    applicable = [v for v in versions if v.trained_as_of_date <= as_of_date]
    if not applicable:
        return None
    return max(applicable, key=lambda v: (v.trained_as_of_date, v.model_version))


def decide_refit(
    versions: Sequence[StoredVersion],
    *,
    as_of_date: date,
    preprocess_config: Mapping[str, Any],
    selection_settings: Mapping[str, Any],
    refit_requested: bool,
    refit_after_days: int,
    drift_recommended: bool | None,
    fit_rows: int | None = None,
    min_fit_rows: int | None = None,
) -> RefitDecision:
    """Decide whether this build refits (docs block `segment_refit_policy`).

    A build refits when any of these holds, else re-scores with :func:`active_version`:

    1. no model is stored;
    2. no stored model was trained on or before the as-of date;
    3. var ``refit`` is true;
    4. the active model was trained more than ``refit_after_days`` before the as-of date
       (counted in as-of days, never wall-clock days);
    5. the configured features or preprocessing differ from the active model's;
    6. a selection setting of :data:`REFIT_SELECTION_SETTINGS` (vars ``algorithms``,
       ``segment_algorithm``, ``segment_k_min``, ``segment_k_max``, ``segment_n_clusters``)
       differs from the active model's (a setting the stored model does not record, from
       before it existed, counts as unchanged);
    7. the previous build's drift report recommends a refit (``drift_recommended``; ``None``
       when no drift report exists);
    8. the active model is the single-segment fallback fitted on fewer than ``min_fit_rows``
       customers, and this build's fit sample (``fit_rows``) has at least that many (a
       project first pointed at toy files clusters as soon as the real data arrives; a
       fallback fitted because no feature survived preprocessing does not refit build
       after build).

    Other selection settings (guards, ward's sub-sample, minimum customers) that differ from
    the active model's do not trigger a refit; they apply at the next one, and the decision
    notes it.
    """
    latest_created = max(versions, key=lambda v: v.model_version) if versions else None
    active = active_version(versions, as_of_date)
    reasons: list[str] = []
    notes: list[str] = []
    if not versions:
        reasons.append("no model exists yet")
    elif active is None:
        earliest = min(v.trained_as_of_date for v in versions)
        reasons.append(
            f"every stored model was trained after the as-of date {as_of_date} (earliest "
            f"{earliest}); a model never scores data from before its training date"
        )
    if refit_requested:
        reasons.append("var refit is true")
    if active is not None:
        age = (as_of_date - active.trained_as_of_date).days
        if age > refit_after_days:
            reasons.append(
                f"model version {active.model_version} was trained at as-of date "
                f"{active.trained_as_of_date}, {age} days before {as_of_date} "
                f"(more than refit_after_days = {refit_after_days})"
            )
        stored, current = _normalised(active.preprocess_config), _normalised(preprocess_config)
        if stored != current:
            changed = sorted(k for k in {*stored, *current} if stored.get(k) != current.get(k))
            reasons.append(
                f"the configured features or preprocessing differ from model version "
                f"{active.model_version}'s ({', '.join(changed)})"
            )
        reasons.extend(_changed_candidate_settings(active, selection_settings))
        if drift_recommended:
            reasons.append("the previous build's drift report recommends a refit")
        if (
            active.algorithm == SINGLE_SEGMENT
            and active.n_sample_rows is not None
            and fit_rows is not None
            and min_fit_rows is not None
            and active.n_sample_rows < min_fit_rows <= fit_rows
        ):
            reasons.append(
                f"model version {active.model_version} is the single-segment fallback fitted "
                f"on {active.n_sample_rows:,} customers; this build has {fit_rows:,} "
                f"(at least the minimum {min_fit_rows:,})"
            )
        stored_selection = _normalised(active.selection_settings)
        current_selection = _normalised(selection_settings)
        # a refit uses the current settings anyway; a re-score keeps the stored model's
        if not reasons and stored_selection != current_selection:
            changed = sorted(
                k
                for k in {*stored_selection, *current_selection}
                if stored_selection.get(k) != current_selection.get(k)
            )
            notes.append(
                f"selection settings differ from model version {active.model_version}'s "
                f"({', '.join(changed)}); they apply at the next refit (var refit: true)"
            )
    previous = active if active is not None else latest_created
    return RefitDecision(
        refit=bool(reasons),
        reasons=tuple(reasons),
        active_version=None if active is None else active.model_version,
        previous_version=None if previous is None else previous.model_version,
        notes=tuple(notes),
    )


def drift_signal(signals: pd.DataFrame, model_version: int | None) -> bool | None:
    """The previous build's drift verdict on ``model_version``; ``None`` without one.

    ``signals`` is ``int_segment_refit_signals`` (``model_version``,
    ``is_refit_recommended``): empty in a warehouse without a drift report. Only rows about
    the version this build would score with count, so a report about an older model cannot
    trigger refit after refit.
    """
    if model_version is None:
        return None
    rows = signals.loc[signals["model_version"] == model_version, "is_refit_recommended"]
    if rows.empty:
        return None
    return bool(rows.fillna(False).astype(bool).any())
