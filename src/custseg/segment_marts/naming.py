"""Human names and descriptions for segments, and the named segments of the marts.

No I/O and no dbt imports. Input is the long profile frame of model
``int_segment_profiles_computed`` (segment x feature means and z-scores, computed in SQL).

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

:func:`name_mart_segments` names every segment of the current model for model
``int_segments_named``: the automatic names, the action of seed ``segment_playbook``
(:mod:`custseg.segment_marts.playbook`), the values of seed ``segment_overrides``
(:mod:`custseg.segment_marts.overrides`), the distinguishing features and the decision-tree
rules (:mod:`custseg.segment_marts.rules`). Customers without a completed order form the
rule-based segment ``No purchase yet``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from custseg.formatting import (
    feature_kind,
    format_feature_value,
    format_interval,
    is_finite,
)
from custseg.segment_ids import NO_PURCHASE, NOISE
from custseg.segment_marts.overrides import OverrideResult, apply_overrides
from custseg.segment_marts.playbook import recommend_actions
from custseg.segment_marts.profiling import top_distinguishing_features
from custseg.segment_marts.rules import RULE_COLUMNS

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
        profiles: Long profile frame (model ``int_segment_profiles_computed``).
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
        if sid == NOISE:
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
        if sid == NOISE:
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
        values = [z[f] for f in features if f in z and is_finite(z[f])]
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
        and is_finite(z[f])
        and z[f] >= CHANNEL_MIN_Z
        and is_finite(means.get(f, math.nan))
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
    if share is not None and is_finite(share):
        sentences.append(f"{format_feature_value(share, 'share')} of customers.")
    lead: list[str] = []
    orders, tenure = means.get("order_count"), means.get("tenure_days")
    if is_finite(orders) and is_finite(tenure) and orders >= 3 and tenure > 0:
        lead.append(f"buy roughly {format_interval(tenure / orders)}")
    elif is_finite(orders):
        lead.append(f"place {orders:.1f} orders on average")
    aov = means.get("avg_order_value")
    if is_finite(aov):
        lead.append(f"spend {format_feature_value(aov, 'money', currency_symbol)} per order")
        ratio = _ratio_text(aov, overall.get("avg_order_value"))
        if ratio:
            lead[-1] += f" ({ratio})"
    if lead:
        sentence = " and ".join(lead)
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
    ranked = sorted(
        (f for f in z if is_finite(z[f]) and f != "avg_order_value"),
        key=lambda f: (-round(abs(z[f]), 9), f),
    )
    phrases = [
        _feature_phrase(f, means.get(f), overall.get(f), currency_symbol)
        for f in ranked[:n_features]
        if is_finite(means.get(f))
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
        if f in z and is_finite(z[f]) and f not in used
    }
    phrases.update(
        {
            f: q
            for f, q in CHANNELS.items()
            if f in z and is_finite(z[f]) and z[f] > 0 and q != channel
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
    "churn_probability": ("churn probability", "share"),
    "discount_share_of_revenue": ("share of revenue discounted", "share"),
    "discount_share_of_orders": ("share of orders with a discount", "share"),
    "return_rate": ("return rate", "share"),
    "share_orders_web": ("orders on the web shop", "share"),
    "share_orders_app": ("orders in the app", "share"),
    "share_orders_store": ("orders in store", "share"),
    "share_orders_marketplace": ("orders via marketplaces", "share"),
    "share_orders_other": ("orders via other channels", "share"),
    "web_session_count": ("web sessions", "count"),
    "web_page_view_count": ("page views", "count"),
    "cart_session_count": ("sessions reaching the cart", "count"),
    "abandoned_cart_count": ("abandoned carts", "count"),
    "ticket_count": ("support tickets", "count"),
    "tickets_per_order": ("tickets per order", "number"),
    "avg_satisfaction_score": ("satisfaction score", "number"),
    "avg_resolution_hours": ("hours to resolve a ticket", "count"),
    "complaint_share": ("share of tickets that are complaints", "share"),
    "campaign_touch_count": ("campaign emails received", "count"),
    "open_rate": ("email open rate", "share"),
    "click_rate": ("email click rate", "share"),
    "conversion_rate": ("email conversion rate", "share"),
    "product_category_count": ("product categories bought", "count"),
}


def _feature_phrase(feature: str, value: float | None, overall: float | None, symbol: str) -> str:
    label, kind = _PHRASES.get(feature, (feature.replace("_", " "), feature_kind(feature)))
    shown = format_feature_value(value, kind, symbol)
    ratio = _ratio_text(value, overall)
    if ratio:
        return f"{label} {shown} ({ratio})"
    if is_finite(overall):
        return f"{label} {shown} (vs {format_feature_value(overall, kind, symbol)})"
    return f"{label} {shown}"


def _ratio_text(value: float | None, overall: float | None) -> str | None:
    """``"2.1× the average"`` (ratio >= 1.5) or ``"40% of the average"`` (<= 0.5), else ``None``."""
    if not (is_finite(value) and is_finite(overall)) or overall <= 0 or value < 0:
        return None
    ratio = value / overall
    if ratio >= 1.5:
        return f"{ratio:.1f}× the average"
    if ratio <= 0.5:
        return f"{ratio:.0%} of the average"
    return None


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


# ---------------------------------------------------------------------------------------------
# The named segments of the marts (model int_segments_named)
# ---------------------------------------------------------------------------------------------

NO_PURCHASE_NAME = "No purchase yet"
NO_PURCHASE_DESCRIPTION = (
    "Customers known from the CRM, the shop or the web tracking who have not completed an "
    "order before the as-of date. They are not clustered; this segment is a rule "
    "(`has_ordered = false`)."
)
NO_PURCHASE_ACTION = "first-purchase welcome journey"
NO_PURCHASE_RULE = "has_ordered = false"
NO_PURCHASE_SKIPPED_FEATURES: frozenset[str] = frozenset(
    {
        "order_count",
        "total_revenue",
        "avg_order_value",
        "days_since_last_order",
        "tenure_days",
        "predicted_clv",
        "churn_probability",
        "product_category_count",
        "discount_share_of_revenue",
        "discount_share_of_orders",
        "share_orders_web",
        "share_orders_app",
        "share_orders_store",
        "share_orders_marketplace",
        "share_orders_other",
    }
)
"""Features that are zero or null by definition without a completed order: left out of the
no-purchase segment's description and distinguishing features."""

NAMED_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "segment_name",
    "segment_description",
    "auto_segment_name",
    "value_tier",
    "behaviour",
    "recommended_action",
    "playbook_priority",
    "owner",
    "is_overridden",
    "distinguishing_features",
    *RULE_COLUMNS[1:],
)
"""Columns of :func:`name_mart_segments` (model ``int_segments_named``)."""


def name_mart_segments(
    profiles: pd.DataFrame,
    *,
    overrides: pd.DataFrame,
    merges: pd.DataFrame,
    playbook: pd.DataFrame,
    rules: pd.DataFrame | None = None,
    currency: str = "€",
    top_features: int = 3,
) -> OverrideResult:
    """Names, descriptions, actions, owners and rules of every segment of the current model.

    Args:
        profiles: Long profiles of the segments after merges (``int_segment_profiles_computed``:
            ``segment_id, feature, customer_count, segment_mean, overall_mean, z_score``),
            including the no-purchase segment when it has customers.
        overrides: Seed ``segment_overrides``; blank cells keep the automatic value.
        merges: The resolved merges (``int_segment_merges_resolved``); their segments are
            already absent from ``profiles``.
        playbook: Seed ``segment_playbook``.
        rules: Output of :func:`custseg.segment_marts.rules.segment_rules` (segments without
            a rule get nulls).
        currency: Currency symbol of money amounts in descriptions.
        top_features: Distinguishing features listed per segment.

    Returns:
        The segments (one row per segment with :data:`NAMED_COLUMNS`, ordered by segment id;
        names unique) and the seed rows that matched no segment.
    """
    needed = ("segment_id", "feature", "customer_count", "segment_mean", "overall_mean", "z_score")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")
    profiles = profiles.loc[:, list(needed)].copy()
    profiles["segment_id"] = profiles["segment_id"].astype(np.int64)
    sizes = {
        int(k): int(v) for k, v in profiles.groupby("segment_id")["customer_count"].max().items()
    }
    clustered = profiles[profiles["segment_id"] != NO_PURCHASE]
    records: list[pd.DataFrame] = []
    if not clustered.empty:
        auto = name_segments(clustered, segment_sizes=sizes, currency_symbol=currency)
        actions = recommend_actions(clustered, playbook)
        records.append(auto.merge(actions, on="segment_id", how="left", validate="one_to_one"))
    if NO_PURCHASE in sizes:
        records.append(_no_purchase_row(profiles, sizes, currency))
    if not records:
        empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in NAMED_COLUMNS})
        return OverrideResult(empty, ())
    auto_all = pd.concat(records, ignore_index=True)
    auto_all["auto_segment_name"] = auto_all["segment_name"]
    auto_all["owner"] = None
    result = apply_overrides(auto_all, overrides, merges)
    segments = result.segments
    top = top_distinguishing_features(
        profiles[
            (profiles["segment_id"] != NO_PURCHASE)
            | ~profiles["feature"].isin(NO_PURCHASE_SKIPPED_FEATURES)
        ],
        n=top_features,
    )
    feature_text = format_distinguishing_features(top)
    segments["distinguishing_features"] = [feature_text.get(int(s)) for s in segments["segment_id"]]
    if rules is None:
        rules = pd.DataFrame({c: pd.Series([], dtype=object) for c in RULE_COLUMNS})
    segments = segments.merge(
        rules.loc[:, list(RULE_COLUMNS)], on="segment_id", how="left", validate="one_to_one"
    )
    no_purchase = segments["segment_id"] == NO_PURCHASE
    segments.loc[no_purchase, "rule_text"] = NO_PURCHASE_RULE
    segments.loc[no_purchase, "rule_coverage"] = 1.0
    segments.loc[no_purchase, "rule_precision"] = 1.0
    out = segments.loc[:, list(NAMED_COLUMNS)].sort_values("segment_id", kind="mergesort")
    out = out.reset_index(drop=True).astype(
        {
            "segment_id": np.int64,
            "playbook_priority": "Int64",
            "is_overridden": bool,
            "rule_coverage": np.float64,
            "rule_precision": np.float64,
            "rule_sample_rows": "Int64",
        }
    )
    return OverrideResult(out, result.unknown_segment_ids)


def format_distinguishing_features(top: pd.DataFrame) -> dict[int, str]:
    """Segment id -> ``"order_count (z +1.84); return_rate (z -0.52)"`` by rank."""
    texts: dict[int, str] = {}
    ordered = top.sort_values(["segment_id", "rank"], kind="mergesort")
    for sid, group in ordered.groupby("segment_id", sort=True):
        texts[int(sid)] = "; ".join(
            f"{feature} (z {z:+.2f})"
            for feature, z in zip(group["feature"], group["z_score"], strict=True)
        )
    return texts


def _no_purchase_row(
    profiles: pd.DataFrame, sizes: Mapping[int, int], currency: str
) -> pd.DataFrame:
    described = profiles[
        (profiles["segment_id"] == NO_PURCHASE)
        & ~profiles["feature"].isin(NO_PURCHASE_SKIPPED_FEATURES)
    ]
    z, means, overall = _profile_maps(described)
    total = sum(sizes.values())
    share = sizes[NO_PURCHASE] / total if total else None
    details = describe_segment(
        z.get(NO_PURCHASE, {}),
        means.get(NO_PURCHASE, {}),
        overall,
        share=share,
        currency_symbol=currency,
        n_features=3,
    ).replace("Compared with the average customer", "Compared with the average buyer")
    return pd.DataFrame(
        {
            "segment_id": [NO_PURCHASE],
            "segment_name": [NO_PURCHASE_NAME],
            "segment_description": [f"{NO_PURCHASE_DESCRIPTION} {details}".strip()],
            "value_tier": [None],
            "behaviour": [None],
            "qualifiers": [""],
            "recommended_action": [NO_PURCHASE_ACTION],
            "playbook_priority": [None],
        }
    )
