"""Human names, descriptions and recommended actions for segments.

No I/O and no dbt imports. Input is the long profile frame of
:func:`custseg.profiling.segment_feature_profiles` (segment x feature means and z-scores).

Names (:func:`name_segments`) are ``"<Value tier> <behaviour>[, <qualifier>...]"``, e.g.
``"High-value loyalists, app-first"``:

* **Value tier** from the mean z-score of ``total_revenue`` and ``predicted_clv`` (whichever are
  profiled): ``Top-value`` (z >= 1.0), ``High-value`` (>= 0.3), ``Mid-value`` (>= -0.3),
  ``Low-value``; left out when neither feature is profiled.
* **Behaviour**: the first rule of :data:`BEHAVIOUR_RULES` that holds, on z-scores of
  recency, frequency, churn, discount, returns, support, sessions, carts and tenure signals
  (:data:`SIGNALS`); ``steady buyers`` when none does.
* **Channel qualifier** (``app-first``, ``store-first``, ``web-first``,
  ``marketplace-first``) when a channel's order share stands out (z >= 0.5 and mean share
  >= 0.4).

Names are unique within one call and depend only on the profile values (not on row order):
colliding names get qualifiers from their most distinguishing features
(:data:`QUALIFIERS`), then roman numerals (``II``, ``III`` ... by segment id) as a last resort.
Noise (segment ``-1``) is always named ``Outliers``.

Overrides (:func:`apply_overrides`) come from a seed (``segment_id, segment_name,
segment_description, owner, recommended_action, merge_into_segment_id``). Recommended actions
(:func:`recommend_action`) come from a playbook seed; :func:`default_playbook` is a starting
point.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from custseg.profiling import profiles_wide
from custseg.segment_ids import NOISE as NOISE_SEGMENT_ID

NOISE_NAME = "Outliers"
NOISE_DESCRIPTION = (
    "Customers the segmentation could not place close to any segment (noise or outliers); "
    "they are kept out of the named segments."
)

FeatureValues = Mapping[str, float]
"""Feature name -> value (a segment's z-scores or means)."""

# signal name -> (features, how to combine their z-scores)
SIGNALS: dict[str, tuple[tuple[str, ...], str]] = {
    "value": (("total_revenue", "predicted_clv"), "mean"),
    "recency": (("days_since_last_order",), "mean"),
    "frequency": (("order_count",), "mean"),
    "churn": (("churn_probability",), "mean"),
    "discount": (("discount_share_of_revenue", "discount_share_of_orders"), "max"),
    "returns": (("return_rate",), "mean"),
    "support": (("ticket_count", "tickets_per_order", "complaint_share"), "max"),
    "satisfaction": (("avg_satisfaction_score",), "mean"),
    "sessions": (("web_session_count", "web_page_view_count"), "max"),
    "carts": (("abandoned_cart_count", "cart_abandonment_rate"), "max"),
    "tenure": (("tenure_days",), "mean"),
}
"""Behaviour signals: the z-scores of the listed features combined by mean or max; a signal is
missing when none of its features is profiled."""


def _at_least(signal: str, threshold: float) -> Callable[[dict[str, float | None]], bool]:
    return lambda s: s.get(signal) is not None and s[signal] >= threshold


def _at_most(signal: str, threshold: float) -> Callable[[dict[str, float | None]], bool]:
    return lambda s: s.get(signal) is not None and s[signal] <= threshold


def _all(*tests: Callable[[dict[str, float | None]], bool]) -> Callable[..., bool]:
    return lambda s: all(t(s) for t in tests)


def _any(*tests: Callable[[dict[str, float | None]], bool]) -> Callable[..., bool]:
    return lambda s: any(t(s) for t in tests)


def _missing_or(
    signal: str, test: Callable[[dict[str, float | None]], bool]
) -> Callable[[dict[str, float | None]], bool]:
    return lambda s: s.get(signal) is None or test(s)


@dataclass(frozen=True)
class BehaviourRule:
    """A behaviour noun, the readable condition, the test on signals and the features it uses."""

    noun: str
    condition: str
    test: Callable[[dict[str, float | None]], bool]
    drivers: tuple[str, ...]


BEHAVIOUR_RULES: tuple[BehaviourRule, ...] = (
    BehaviourRule(
        "at-risk complainers",
        "support >= 0.8 and (satisfaction <= -0.3 or churn >= 0.3)",
        _all(
            _at_least("support", 0.8), _any(_at_most("satisfaction", -0.3), _at_least("churn", 0.3))
        ),
        ("support", "satisfaction", "churn"),
    ),
    BehaviourRule(
        "lapsing buyers",
        "recency >= 0.8 or churn >= 0.8",
        _any(_at_least("recency", 0.8), _at_least("churn", 0.8)),
        ("recency", "churn"),
    ),
    BehaviourRule("serial returners", "returns >= 1.0", _at_least("returns", 1.0), ("returns",)),
    BehaviourRule("bargain hunters", "discount >= 0.8", _at_least("discount", 0.8), ("discount",)),
    BehaviourRule(
        "browsers",
        "(sessions >= 0.8 or carts >= 0.8) and frequency <= 0",
        _all(_any(_at_least("sessions", 0.8), _at_least("carts", 0.8)), _at_most("frequency", 0.0)),
        ("sessions", "carts", "frequency"),
    ),
    BehaviourRule(
        "new buyers",
        "tenure <= -0.8 and recency <= 0",
        _all(_at_most("tenure", -0.8), _missing_or("recency", _at_most("recency", 0.0))),
        ("tenure", "recency"),
    ),
    BehaviourRule(
        "loyalists",
        "frequency >= 0.5 and recency <= 0",
        _all(_at_least("frequency", 0.5), _missing_or("recency", _at_most("recency", 0.0))),
        ("frequency", "recency"),
    ),
    BehaviourRule(
        "occasional buyers", "frequency <= -0.3", _at_most("frequency", -0.3), ("frequency",)
    ),
)
"""Behaviour rules, first match wins; thresholds are on the signals' z-scores."""

DEFAULT_BEHAVIOUR = "steady buyers"

VALUE_TIERS: tuple[tuple[float, str], ...] = (
    (1.0, "Top-value"),
    (0.3, "High-value"),
    (-0.3, "Mid-value"),
)
"""(minimum value z, tier); below the last threshold the tier is ``Low-value``."""

CHANNELS: dict[str, str] = {
    "share_orders_app": "app-first",
    "share_orders_store": "store-first",
    "share_orders_web": "web-first",
    "share_orders_marketplace": "marketplace-first",
}
"""Channel share feature -> qualifier."""

CHANNEL_MIN_Z = 0.5
CHANNEL_MIN_SHARE = 0.4
QUALIFIER_MIN_Z = 0.3

QUALIFIERS: dict[str, tuple[str | None, str | None]] = {
    "total_revenue": ("big spenders", "small spenders"),
    "predicted_clv": ("high-potential", "low-potential"),
    "avg_order_value": ("big-basket", "small-basket"),
    "order_count": ("frequent", "infrequent"),
    "days_since_last_order": ("dormant", "recently active"),
    "tenure_days": ("long-standing", "recently joined"),
    "churn_probability": ("churn-prone", "low-churn"),
    "discount_share_of_revenue": ("discount-driven", "full-price"),
    "discount_share_of_orders": ("promo-led", "rarely on promo"),
    "return_rate": ("high-return", "low-return"),
    "web_session_count": ("web-active", "rarely online"),
    "web_page_view_count": ("heavy browsing", None),
    "abandoned_cart_count": ("cart-abandoning", None),
    "ticket_count": ("support-heavy", None),
    "complaint_share": ("complaint-prone", None),
    "avg_satisfaction_score": ("satisfied", "dissatisfied"),
    "open_rate": ("email-engaged", "email-quiet"),
    "click_rate": ("email-clicking", None),
    "conversion_rate": ("email-converting", None),
    "product_category_count": ("broad-basket", "single-category"),
}
"""Feature -> (qualifier when high, qualifier when low) used to tell colliding names apart."""

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


# ---------------------------------------------------------------------------------------------
# Names and descriptions
# ---------------------------------------------------------------------------------------------


def name_segments(
    profiles: pd.DataFrame,
    *,
    segment_sizes: Mapping[int, int] | pd.Series | None = None,
    currency_symbol: str = "€",
    description_features: int = 4,
) -> pd.DataFrame:
    """Deterministic, unique, human names and one-paragraph descriptions for all segments.

    Args:
        profiles: Long profile frame (:func:`custseg.profiling.segment_feature_profiles`).
        segment_sizes: Optional segment id -> customer count; adds the share of customers to
            the description. Default: the profiles' ``customer_count`` column when present.
        currency_symbol: Prefix of money amounts in descriptions.
        description_features: Distinguishing features quoted in each description.

    Returns:
        Frame ``segment_id, segment_name, segment_description, value_tier, behaviour,
        qualifiers`` (qualifiers joined with ", "), ordered by segment id.
    """
    z_by_segment, mean_by_segment, overall = _profile_maps(profiles)
    sizes = _sizes(profiles, segment_sizes)
    total = sum(sizes.values()) if sizes else 0
    segment_ids = sorted(z_by_segment)
    parts: dict[int, _NameParts] = {}
    for sid in segment_ids:
        if sid == NOISE_SEGMENT_ID:
            continue
        parts[sid] = _base_parts(z_by_segment[sid], mean_by_segment[sid])
    names = _unique_names(parts)
    records = []
    for sid in segment_ids:
        share = sizes[sid] / total if total and sid in sizes else None
        description = describe_segment(
            z_by_segment[sid],
            mean_by_segment[sid],
            overall,
            share=share,
            currency_symbol=currency_symbol,
            n_features=description_features,
        )
        if sid == NOISE_SEGMENT_ID:
            records.append(
                {
                    "segment_id": sid,
                    "segment_name": NOISE_NAME,
                    "segment_description": f"{NOISE_DESCRIPTION} {description}".strip(),
                    "value_tier": None,
                    "behaviour": None,
                    "qualifiers": "",
                }
            )
            continue
        name, qualifiers = names[sid]
        records.append(
            {
                "segment_id": sid,
                "segment_name": name,
                "segment_description": description,
                "value_tier": parts[sid].tier,
                "behaviour": parts[sid].behaviour,
                "qualifiers": ", ".join(qualifiers),
            }
        )
    columns = [
        "segment_id",
        "segment_name",
        "segment_description",
        "value_tier",
        "behaviour",
        "qualifiers",
    ]
    return pd.DataFrame(records, columns=columns)


def behaviour_signals(z: FeatureValues) -> dict[str, float | None]:
    """The :data:`SIGNALS` of one segment from its feature z-scores (``None`` if missing)."""
    signals: dict[str, float | None] = {}
    for signal, (features, how) in SIGNALS.items():
        values = [z[f] for f in features if f in z and _finite(z[f])]
        if not values:
            signals[signal] = None
        else:
            signals[signal] = float(np.mean(values) if how == "mean" else max(values))
    return signals


def value_tier(z: FeatureValues) -> str | None:
    """``Top-value`` / ``High-value`` / ``Mid-value`` / ``Low-value`` (``None``: no value data)."""
    value = behaviour_signals(z)["value"]
    if value is None:
        return None
    for threshold, tier in VALUE_TIERS:
        if value >= threshold:
            return tier
    return "Low-value"


def behaviour(z: FeatureValues) -> str:
    """The behaviour noun of the first matching :data:`BEHAVIOUR_RULES` rule."""
    return _behaviour_rule(behaviour_signals(z))[0]


def channel_qualifier(z: FeatureValues, means: FeatureValues) -> str | None:
    """``app-first`` etc. when a channel share stands out; the highest z wins (then name)."""
    candidates = [
        (-z[f], f)
        for f in CHANNELS
        if f in z
        and _finite(z[f])
        and z[f] >= CHANNEL_MIN_Z
        and _finite(means.get(f, math.nan))
        and means[f] >= CHANNEL_MIN_SHARE
    ]
    return CHANNELS[min(candidates)[1]] if candidates else None


def describe_segment(
    z: FeatureValues,
    means: FeatureValues,
    overall: FeatureValues,
    *,
    share: float | None = None,
    currency_symbol: str = "€",
    n_features: int = 4,
) -> str:
    """One plain-English paragraph with numbers for a segment.

    Starts with the share of customers (if given), the purchase rhythm (``tenure_days /
    order_count`` of the segment means, so approximate; only from 3 orders on average, else the
    number of orders) and the average order value, then compares the ``n_features`` most
    distinguishing features (largest ``|z|``, ties by name) with the average customer.
    """
    sentences: list[str] = []
    if share is not None and _finite(share):
        sentences.append(f"{_pct(share)} of customers.")
    lead: list[str] = []
    orders, tenure = means.get("order_count"), means.get("tenure_days")
    if _finite(orders) and _finite(tenure) and orders >= 3 and tenure > 0:
        lead.append(f"buy roughly {_interval(tenure / orders)}")
    elif _finite(orders):
        lead.append(f"place {orders:.1f} orders on average")
    aov = means.get("avg_order_value")
    if _finite(aov):
        lead.append(f"spend {_money(aov, currency_symbol)} per order")
        ratio = _ratio_text(aov, overall.get("avg_order_value"))
        if ratio:
            lead[-1] += f" ({ratio})"
    if lead:
        sentence = " and ".join(lead)
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    ranked = sorted(
        (f for f in z if _finite(z[f]) and f != "avg_order_value"),
        key=lambda f: (-round(abs(z[f]), 9), f),
    )
    phrases = [
        _feature_phrase(f, means.get(f), overall.get(f), currency_symbol)
        for f in ranked[:n_features]
        if _finite(means.get(f))
    ]
    if phrases:
        sentences.append("Compared with the average customer: " + "; ".join(phrases) + ".")
    return " ".join(sentences)


@dataclass(frozen=True)
class _NameParts:
    tier: str | None
    behaviour: str
    channel: str | None
    extra: tuple[str, ...]  # candidate qualifiers for collisions, best first


def _base_parts(z: FeatureValues, means: FeatureValues) -> _NameParts:
    signals = behaviour_signals(z)
    noun, drivers = _behaviour_rule(signals)
    tier = value_tier(z)
    channel = channel_qualifier(z, means)
    used = {f for signal in ("value", *drivers) for f in SIGNALS[signal][0]}
    phrases: dict[str, str | None] = {
        f: QUALIFIERS[f][0 if z[f] > 0 else 1]
        for f in QUALIFIERS
        if f in z and _finite(z[f]) and f not in used
    }
    phrases.update(
        {
            f: q
            for f, q in CHANNELS.items()
            if f in z and _finite(z[f]) and z[f] > 0 and q != channel
        }
    )
    ranked = sorted(phrases, key=lambda f: (-round(abs(z[f]), 9), f))
    extra: list[str] = []
    for feature in ranked:
        phrase = phrases[feature]
        if abs(z[feature]) < QUALIFIER_MIN_Z:
            break
        if phrase and phrase not in extra:
            extra.append(phrase)
    return _NameParts(tier, noun, channel, tuple(extra))


def _behaviour_rule(signals: dict[str, float | None]) -> tuple[str, tuple[str, ...]]:
    for rule in BEHAVIOUR_RULES:
        if rule.test(signals):
            return rule.noun, rule.drivers
    return DEFAULT_BEHAVIOUR, ("frequency",)


def _compose(parts: _NameParts, qualifiers: Sequence[str]) -> str:
    head = f"{parts.tier} {parts.behaviour}" if parts.tier else parts.behaviour
    head = head[0].upper() + head[1:]
    return ", ".join([head, *qualifiers])


def _unique_names(parts: Mapping[int, _NameParts]) -> dict[int, tuple[str, list[str]]]:
    """Base names, then extra qualifiers for collisions, then roman numerals."""
    qualifiers = {sid: ([p.channel] if p.channel else []) for sid, p in parts.items()}
    pools = {sid: [q for q in p.extra if q not in qualifiers[sid]] for sid, p in parts.items()}
    reserved = {NOISE_NAME}

    def current() -> dict[int, str]:
        return {sid: _compose(parts[sid], qualifiers[sid]) for sid in sorted(parts)}

    for _ in range(2):  # at most two extra qualifiers
        names = current()
        colliding = _colliding(names, reserved)
        if not colliding:
            break
        for sid in sorted(colliding):
            if pools[sid]:
                qualifiers[sid].append(pools[sid].pop(0))
    names = current()
    groups: dict[str, list[int]] = {}
    for sid in sorted(names):
        groups.setdefault(names[sid], []).append(sid)
    result: dict[int, tuple[str, list[str]]] = {}
    taken = set(reserved) | set(names.values())
    for name, members in groups.items():
        start = 1 if name not in reserved else 2
        for position, sid in enumerate(members):
            if position == 0 and start == 1:
                result[sid] = (name, qualifiers[sid])
                continue
            number = position + start
            candidate = f"{name} {_roman(number)}"
            while candidate in taken:
                number += 1
                candidate = f"{name} {_roman(number)}"
            taken.add(candidate)
            result[sid] = (candidate, qualifiers[sid])
    return result


def _colliding(names: Mapping[int, str], reserved: Iterable[str]) -> set[int]:
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    blocked = set(reserved)
    return {sid for sid, name in names.items() if counts[name] > 1 or name in blocked}


def _roman(number: int) -> str:
    return _ROMAN[number - 1] if number <= len(_ROMAN) else f"#{number}"


# ---------------------------------------------------------------------------------------------
# Overrides and merges
# ---------------------------------------------------------------------------------------------

OVERRIDE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "segment_name",
    "segment_description",
    "owner",
    "recommended_action",
    "merge_into_segment_id",
)
"""Columns of the overrides seed (all but ``segment_id`` optional and nullable)."""


@dataclass(frozen=True)
class OverrideResult:
    """Outcome of :func:`apply_overrides`.

    Attributes:
        segments: One row per surviving segment: the auto columns with ``segment_name``,
            ``segment_description``, ``owner`` and ``recommended_action`` overridden where the
            seed has a value, plus ``is_overridden``.
        merge_mapping: Merged segment id -> surviving segment id (chains resolved); apply it to
            customer assignments and re-profile (e.g. ``combine_aggregates(...,
            segment_mapping=merge_mapping)``).
        unknown_segment_ids: Override rows whose segment id is not among the auto names (and
            that merge nothing); ignored.
    """

    segments: pd.DataFrame
    merge_mapping: dict[int, int]
    unknown_segment_ids: tuple[int, ...]


def merge_mapping(overrides_df: pd.DataFrame) -> dict[int, int]:
    """Merged segment id -> final segment id from the overrides seed, chains resolved.

    Raises:
        ValueError: A segment merges into itself, twice, or merges form a cycle.
    """
    if "merge_into_segment_id" not in overrides_df.columns:
        return {}
    direct: dict[int, int] = {}
    for sid, target in zip(
        overrides_df["segment_id"], overrides_df["merge_into_segment_id"], strict=True
    ):
        if _blank(target):
            continue
        sid, target = int(sid), int(target)
        if sid == target:
            raise ValueError(f"segment {sid} merges into itself")
        if sid in direct and direct[sid] != target:
            raise ValueError(f"segment {sid} merges into both {direct[sid]} and {target}")
        direct[sid] = target
    resolved: dict[int, int] = {}
    for sid in sorted(direct):
        seen = [sid]
        target = direct[sid]
        while target in direct:
            if target in seen:
                raise ValueError(f"merge cycle: {' -> '.join(map(str, [*seen, target]))}")
            seen.append(target)
            target = direct[target]
        resolved[sid] = target
    return resolved


def apply_overrides(
    auto_names_df: pd.DataFrame, overrides_df: pd.DataFrame, *, strict: bool = False
) -> OverrideResult:
    """Replace auto names/descriptions/owners/actions from a seed and merge segments.

    Blank values (null or empty string) in the seed keep the auto value. A segment with
    ``merge_into_segment_id`` disappears from the output and its customers belong to the
    target (resolved through chains); the target keeps its own (possibly overridden) name. Merge
    rows for segments no longer among the auto names (already merged upstream) are fine.

    Args:
        auto_names_df: Output of :func:`name_segments` (optionally with ``owner`` and
            ``recommended_action`` columns, e.g. from :func:`recommend_actions`).
        overrides_df: The overrides seed (:data:`OVERRIDE_COLUMNS`; only ``segment_id`` is
            required).
        strict: Raise instead of ignoring override rows for unknown segment ids.

    Raises:
        ValueError: Duplicate segment ids in the seed, a merge target that is neither among the
            auto names nor merged itself, a merge cycle, unknown ids with ``strict``, or
            duplicate names after overriding.
    """
    if "segment_id" not in overrides_df.columns:
        raise KeyError("overrides need a segment_id column")
    overrides = overrides_df.copy()
    overrides["segment_id"] = overrides["segment_id"].astype(np.int64)
    if overrides["segment_id"].duplicated().any():
        duplicated = sorted(set(overrides.loc[overrides["segment_id"].duplicated(), "segment_id"]))
        raise ValueError(f"duplicate segment ids in overrides: {duplicated}")
    segments = auto_names_df.copy()
    segments["segment_id"] = segments["segment_id"].astype(np.int64)
    for column in ("owner", "recommended_action"):
        if column not in segments.columns:
            segments[column] = None
    known = set(segments["segment_id"])
    mapping = merge_mapping(overrides)
    bad_targets = sorted({t for t in mapping.values() if t not in known})
    if bad_targets:
        raise ValueError(f"merge target segments not found: {bad_targets}")
    unknown = tuple(sorted(set(overrides["segment_id"]) - known - set(mapping)))
    if unknown and strict:
        raise ValueError(f"overrides for unknown segment ids: {list(unknown)}")
    segments = segments[~segments["segment_id"].isin(set(mapping))].copy()
    segments["is_overridden"] = False
    by_id = overrides.set_index("segment_id")
    for column in ("segment_name", "segment_description", "owner", "recommended_action"):
        if column not in by_id.columns:
            continue
        segments[column] = segments[column].astype(object)
        for position, sid in enumerate(segments["segment_id"]):
            if sid not in by_id.index:
                continue
            value = by_id.at[sid, column]
            if _blank(value):
                continue
            segments.iloc[position, segments.columns.get_loc(column)] = str(value).strip()
            segments.iloc[position, segments.columns.get_loc("is_overridden")] = True
    duplicated_names = sorted(
        set(segments.loc[segments["segment_name"].duplicated(), "segment_name"])
    )
    if duplicated_names:
        raise ValueError(f"segment names are not unique after overrides: {duplicated_names}")
    segments = segments.sort_values("segment_id", kind="mergesort").reset_index(drop=True)
    return OverrideResult(segments, mapping, unknown)


def remap_segment_ids(
    segment_ids: pd.Series | np.ndarray | Sequence[int], mapping: Mapping[int, int]
) -> np.ndarray:
    """Apply a merge mapping to segment ids (ids not in the mapping are kept)."""
    values = np.asarray(segment_ids, dtype=np.int64)
    if not mapping:
        return values.copy()
    lookup = {int(k): int(v) for k, v in mapping.items()}
    return np.fromiter((lookup.get(int(v), int(v)) for v in values), np.int64, len(values))


# ---------------------------------------------------------------------------------------------
# Playbook
# ---------------------------------------------------------------------------------------------

PLAYBOOK_COLUMNS: tuple[str, ...] = (
    "priority",
    "condition_feature",
    "condition_stat",
    "condition_op",
    "condition_value",
    "condition2_feature",
    "condition2_stat",
    "condition2_op",
    "condition2_value",
    "action",
    "rationale",
)
"""Columns of the playbook seed. ``condition_stat`` is ``z`` (z-score) or ``mean`` (raw segment
mean); ``condition_op`` one of ``<, <=, >, >=, ==, !=``. The second condition is optional; a row
without any condition matches every segment (a default). Lowest priority first."""

_DEFAULT_PLAYBOOK_ROWS: tuple[tuple[object, ...], ...] = (
    # priority, condition (feature, stat, op, value), condition2 (...), action, rationale
    (10, "predicted_clv", "z", ">=", 0.5, "churn_probability", "z", ">=", 0.3,
     "retention offer", "High predicted value but rising churn risk: act before they lapse."),
    (20, "ticket_count", "z", ">=", 0.8, "avg_satisfaction_score", "z", "<=", -0.3,
     "service recovery", "Many tickets and low satisfaction: fix the experience first."),
    (30, "total_revenue", "z", ">=", 1.0, "churn_probability", "z", "<", 0.0,
     "VIP programme", "Top revenue and low churn: reward them and ask for referrals."),
    (40, "days_since_last_order", "z", ">=", 0.8, None, None, None, None,
     "win-back campaign", "Long since the last order: a time-limited incentive to return."),
    (50, "discount_share_of_revenue", "z", ">=", 0.8, None, None, None, None,
     "targeted promotions", "Discount-driven: targeted, not blanket, discounts protect margin."),
    (60, "return_rate", "z", ">=", 1.0, None, None, None, None,
     "returns review", "Many returns: sizing guidance and better product pages."),
    (70, "abandoned_cart_count", "z", ">=", 0.8, "order_count", "z", "<=", 0.0,
     "cart recovery", "Abandoned carts but few orders: reminder emails and checkout help."),
    (80, "order_count", "mean", "<", 1.5, "tenure_days", "z", "<=", -0.5,
     "second-purchase nudge", "Recent one-time buyers: onboarding toward a second order."),
    (90, "order_count", "z", ">=", 0.5, None, None, None, None,
     "cross-sell and loyalty rewards", "Frequent buyers: widen the basket, reward loyalty."),
    (999, None, None, None, None, None, None, None, None,
     "standard lifecycle communications", "Default when no pattern stands out."),
)  # fmt: skip


def default_playbook() -> pd.DataFrame:
    """The default playbook (10 rows, :data:`PLAYBOOK_COLUMNS`) as a validated DataFrame.

    High value with rising churn -> retention offer; many tickets and low satisfaction ->
    service recovery; top revenue and low churn -> VIP programme; lapsing -> win-back;
    discount-driven -> targeted promotions; many returns -> returns review; abandoned carts ->
    cart recovery; recent one-time buyers -> second-purchase nudge; frequent -> cross-sell;
    otherwise standard lifecycle communications.
    """
    frame = pd.DataFrame(list(_DEFAULT_PLAYBOOK_ROWS), columns=list(PLAYBOOK_COLUMNS))
    for column in ("condition_value", "condition2_value"):
        frame[column] = frame[column].astype(np.float64)
    return validate_playbook(frame)


def default_playbook_csv() -> str:
    """:func:`default_playbook` as CSV text, ready to save as a seed."""
    return default_playbook().to_csv(index=False, lineterminator="\n")


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_STATS = {"z": "z", "mean": "mean"}


def validate_playbook(playbook_df: pd.DataFrame) -> pd.DataFrame:
    """Check a playbook and return it sorted by priority.

    Raises:
        KeyError: A required column is missing.
        ValueError: Duplicate priorities, an unknown operator or stat, a condition with missing
            parts, or an empty action.
    """
    required = ("priority", "condition_feature", "condition_op", "condition_value", "action")
    missing = [c for c in required if c not in playbook_df.columns]
    if missing:
        raise KeyError(f"playbook columns not found: {missing}")
    playbook = playbook_df.copy()
    for column in PLAYBOOK_COLUMNS:
        if column not in playbook.columns:
            playbook[column] = None
    if playbook["priority"].isna().any():
        raise ValueError("playbook priorities must not be null")
    playbook["priority"] = playbook["priority"].astype(np.int64)
    if playbook["priority"].duplicated().any():
        raise ValueError("playbook priorities must be unique")
    for _, row in playbook.iterrows():
        if _blank(row["action"]):
            raise ValueError(f"playbook row {row['priority']} has no action")
        for prefix in ("condition", "condition2"):
            _parse_condition(row, prefix)
    return playbook.sort_values("priority", kind="mergesort").reset_index(drop=True)


def recommend_action(
    profile_row: Mapping[str, float] | pd.Series, playbook_df: pd.DataFrame
) -> str | None:
    """The action of the first playbook row (by priority) whose conditions hold.

    Args:
        profile_row: One segment's row of :func:`custseg.profiling.profiles_wide` (keys
            ``<feature>__z`` and ``<feature>__mean``).
        playbook_df: Playbook (:data:`PLAYBOOK_COLUMNS`).

    Returns:
        The action, or ``None`` when no row matches. A condition on a feature the profile does
        not have (or whose value is null) does not hold.
    """
    row_values = dict(profile_row)
    playbook = validate_playbook(playbook_df)
    for _, rule in playbook.iterrows():
        if all(
            _condition_holds(_parse_condition(rule, prefix), row_values)
            for prefix in ("condition", "condition2")
        ):
            return str(rule["action"]).strip()
    return None


def recommend_actions(
    profiles: pd.DataFrame, playbook_df: pd.DataFrame | None = None
) -> pd.DataFrame:
    """:func:`recommend_action` for every segment (noise included); default playbook if none.

    Returns:
        Frame ``segment_id, recommended_action, playbook_priority`` ordered by segment id.
    """
    playbook = validate_playbook(playbook_df if playbook_df is not None else default_playbook())
    wide = profiles_wide(profiles)
    records = []
    for sid, row in wide.iterrows():
        values = row.to_dict()
        chosen = None
        for _, rule in playbook.iterrows():
            if all(
                _condition_holds(_parse_condition(rule, prefix), values)
                for prefix in ("condition", "condition2")
            ):
                chosen = rule
                break
        records.append(
            {
                "segment_id": int(sid),
                "recommended_action": None if chosen is None else str(chosen["action"]).strip(),
                "playbook_priority": None if chosen is None else int(chosen["priority"]),
            }
        )
    frame = pd.DataFrame(records, columns=["segment_id", "recommended_action", "playbook_priority"])
    frame["playbook_priority"] = frame["playbook_priority"].astype("Int64")
    return frame


_ParsedCondition = tuple[str, str, str, float] | None


def _parse_condition(rule: pd.Series, prefix: str) -> _ParsedCondition:
    feature = rule.get(f"{prefix}_feature")
    if _blank(feature):
        others = [rule.get(f"{prefix}_{part}") for part in ("op", "value")]
        if any(not _blank(v) for v in others):
            raise ValueError(f"playbook row {rule['priority']}: {prefix} has no feature")
        return None
    stat = rule.get(f"{prefix}_stat")
    stat = "z" if _blank(stat) else str(stat).strip()
    if stat not in _STATS:
        raise ValueError(f"playbook row {rule['priority']}: stat must be 'z' or 'mean'")
    op = rule.get(f"{prefix}_op")
    if _blank(op) or str(op).strip() not in _OPS:
        raise ValueError(f"playbook row {rule['priority']}: operator must be one of {list(_OPS)}")
    value = rule.get(f"{prefix}_value")
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"playbook row {rule['priority']}: {prefix}_value must be a number"
        ) from error
    if not math.isfinite(number):
        raise ValueError(f"playbook row {rule['priority']}: {prefix}_value must be a number")
    return str(feature).strip(), stat, str(op).strip(), number


def _condition_holds(condition: _ParsedCondition, values: Mapping[str, float]) -> bool:
    if condition is None:
        return True
    feature, stat, op, number = condition
    value = values.get(f"{feature}__{stat}")
    if value is None or not _finite(value):
        return False
    return bool(_OPS[op](float(value), number))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

_PHRASES: dict[str, tuple[str, str]] = {
    # feature -> (label, format kind)
    "total_revenue": ("revenue per customer", "money"),
    "predicted_clv": ("predicted lifetime value", "money"),
    "abandoned_cart_value": ("abandoned cart value", "money"),
    "order_count": ("orders", "count"),
    "days_since_last_order": ("days since the last order", "days"),
    "days_since_last_session": ("days since the last web session", "days"),
    "tenure_days": ("days as a customer", "days"),
    "churn_probability": ("churn probability", "pct"),
    "discount_share_of_revenue": ("share of revenue discounted", "pct"),
    "discount_share_of_orders": ("share of orders with a discount", "pct"),
    "return_rate": ("return rate", "pct"),
    "share_orders_web": ("orders on the web shop", "pct"),
    "share_orders_app": ("orders in the app", "pct"),
    "share_orders_store": ("orders in store", "pct"),
    "share_orders_marketplace": ("orders via marketplaces", "pct"),
    "share_orders_other": ("orders via other channels", "pct"),
    "web_session_count": ("web sessions", "count"),
    "web_page_view_count": ("page views", "count"),
    "cart_session_count": ("sessions reaching the cart", "count"),
    "abandoned_cart_count": ("abandoned carts", "count"),
    "ticket_count": ("support tickets", "count"),
    "tickets_per_order": ("tickets per order", "number"),
    "avg_satisfaction_score": ("satisfaction score", "number"),
    "avg_resolution_hours": ("hours to resolve a ticket", "count"),
    "complaint_share": ("share of tickets that are complaints", "pct"),
    "campaign_touch_count": ("campaign emails received", "count"),
    "open_rate": ("email open rate", "pct"),
    "click_rate": ("email click rate", "pct"),
    "conversion_rate": ("email conversion rate", "pct"),
    "product_category_count": ("product categories bought", "count"),
}


def _feature_phrase(feature: str, value: float | None, overall: float | None, symbol: str) -> str:
    label, kind = _PHRASES.get(feature, (feature.replace("_", " "), _guess_kind(feature)))
    shown = _format(value, kind, symbol)
    ratio = _ratio_text(value, overall)
    if ratio:
        return f"{label} {shown} ({ratio})"
    if _finite(overall):
        return f"{label} {shown} (vs {_format(overall, kind, symbol)})"
    return f"{label} {shown}"


def _guess_kind(feature: str) -> str:
    lowered = feature.lower()
    if any(w in lowered for w in ("share", "rate", "probability")):
        return "pct"
    if any(w in lowered for w in ("revenue", "value", "clv", "amount")):
        return "money"
    if "count" in lowered:
        return "count"
    if "days" in lowered:
        return "days"
    return "number"


def _format(value: float | None, kind: str, symbol: str) -> str:
    if not _finite(value):
        return "n/a"
    if kind == "money":
        return _money(value, symbol)
    if kind == "pct":
        return _pct(value)
    if kind == "days":
        return f"{value:.0f}"
    if kind == "count":
        return f"{value:.1f}" if abs(value) < 10 else f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _ratio_text(value: float | None, overall: float | None) -> str | None:
    """``"2.1× the average"`` (ratio >= 1.5) or ``"40% of the average"`` (<= 0.5), else ``None``."""
    if not (_finite(value) and _finite(overall)) or overall <= 0 or value < 0:
        return None
    ratio = value / overall
    if ratio >= 1.5:
        return f"{ratio:.1f}× the average"
    if ratio <= 0.5:
        return f"{ratio:.0%} of the average"
    return None


def _money(value: float, symbol: str) -> str:
    if abs(value) >= 100:
        return f"{symbol}{value:,.0f}"
    return f"{symbol}{value:,.2f}" if abs(value) < 10 else f"{symbol}{value:,.0f}"


def _pct(value: float) -> str:
    if abs(value) < 0.1 and value != 0:
        return f"{100 * value:.1f}%"
    return f"{100 * value:.0f}%"


def _interval(days: float) -> str:
    if days < 1.5:
        return "every day"
    if days < 14:
        return f"every {days:.0f} days"
    if days < 63:
        weeks = round(days / 7)
        return f"every {weeks} weeks" if weeks != 1 else "every week"
    if days < 730:
        months = round(days / 30.44)
        return f"every {months} months" if months != 1 else "every month"
    return f"every {days / 365.25:.1f} years"


def _finite(value: object) -> bool:
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _profile_maps(
    profiles: pd.DataFrame,
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, float]], dict[str, float]]:
    needed = ("segment_id", "feature", "segment_mean", "overall_mean", "z_score")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")
    ordered = profiles.sort_values(["segment_id", "feature"], kind="mergesort")
    if ordered.duplicated(["segment_id", "feature"]).any():
        raise ValueError("profiles have duplicate (segment_id, feature) rows")
    z: dict[int, dict[str, float]] = {}
    means: dict[int, dict[str, float]] = {}
    overall: dict[str, float] = {}
    columns = ["segment_id", "feature", "segment_mean", "overall_mean", "z_score"]
    for sid, feature, mean, overall_mean, z_score in ordered[columns].itertuples(index=False):
        z.setdefault(int(sid), {})[str(feature)] = float(z_score)
        means.setdefault(int(sid), {})[str(feature)] = float(mean)
        overall[str(feature)] = float(overall_mean)
    return z, means, overall


def _sizes(
    profiles: pd.DataFrame, segment_sizes: Mapping[int, int] | pd.Series | None
) -> dict[int, int]:
    if segment_sizes is not None:
        return {int(k): int(v) for k, v in dict(segment_sizes).items()}
    if "customer_count" not in profiles.columns:
        return {}
    counts = profiles.groupby("segment_id")["customer_count"].max()
    return {int(k): int(v) for k, v in counts.items()}
