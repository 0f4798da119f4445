"""Independent reference for the campaign-lift statistics of ``rpt_segment_campaign_lift``.

Written from the definitions (docs block ``segment_campaign_lift``), in plain Python floats:
Wilson score intervals, Newcombe's (1998) hybrid score interval for a difference of two
proportions (his method 10), the rate ratio with its log interval, and the minimum detectable
difference at the control rate. The tests compare the SQL with it, and it with Newcombe's
published examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_ALPHA = 1.959964
"""Standard normal quantile 0.975 (two-sided 95%), as the model writes it."""
Z_POWER = 0.841621
"""Standard normal quantile 0.8 (power 80%)."""
DIGITS = 10
"""Decimals the model rounds its bounds, ratios and minimum detectable lift to."""


@dataclass(frozen=True)
class LiftStatistics:
    """Every statistic of one row of ``rpt_segment_campaign_lift`` (unrounded)."""

    treated_purchase_rate: float
    control_purchase_rate: float
    purchase_rate_lift: float
    purchase_rate_lift_lower: float
    purchase_rate_lift_upper: float
    purchase_rate_ratio: float | None
    purchase_rate_ratio_lower: float | None
    purchase_rate_ratio_upper: float | None
    minimum_detectable_lift: float | None
    lift_verdict: str


def wilson_interval(successes: int, trials: int, z: float = Z_ALPHA) -> tuple[float, float]:
    """The Wilson score interval of ``successes / trials``."""
    rate = successes / trials
    centre = 2 * successes + z * z
    spread = z * math.sqrt(z * z + 4 * successes * (1 - rate))
    denominator = 2 * (trials + z * z)
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def newcombe_interval(
    treated: tuple[int, int], control: tuple[int, int], z: float = Z_ALPHA
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p1 − p2 for (successes, trials) pairs."""
    p1, p2 = treated[0] / treated[1], control[0] / control[1]
    lower1, upper1 = wilson_interval(*treated, z=z)
    lower2, upper2 = wilson_interval(*control, z=z)
    difference = p1 - p2
    return (
        difference - math.hypot(p1 - lower1, upper2 - p2),
        difference + math.hypot(upper1 - p1, p2 - lower2),
    )


def lift_statistics(
    treated: tuple[int, int], control: tuple[int, int], min_group_customers: int
) -> LiftStatistics:
    """The model's row for (purchasers, customers) of the treated and the control group."""
    (x1, n1), (x2, n2) = treated, control
    p1, p2 = x1 / n1, x2 / n2
    lower, upper = newcombe_interval(treated, control)
    ratio = ratio_lower = ratio_upper = None
    if x1 > 0 and x2 > 0:
        ratio = p1 / p2
        standard_error = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
        ratio_lower = math.exp(math.log(ratio) - Z_ALPHA * standard_error)
        ratio_upper = math.exp(math.log(ratio) + Z_ALPHA * standard_error)
    detectable = None
    if 0 < p2 < 1:
        detectable = (Z_ALPHA + Z_POWER) * math.sqrt(p2 * (1 - p2) * (1 / n1 + 1 / n2))
    if min(n1, n2) < min_group_customers:
        verdict = "too few customers"
    elif lower > 0:
        verdict = "higher than control"
    elif upper < 0:
        verdict = "lower than control"
    else:
        verdict = "not distinguishable from zero"
    return LiftStatistics(
        treated_purchase_rate=p1,
        control_purchase_rate=p2,
        purchase_rate_lift=p1 - p2,
        purchase_rate_lift_lower=lower,
        purchase_rate_lift_upper=upper,
        purchase_rate_ratio=ratio,
        purchase_rate_ratio_lower=ratio_lower,
        purchase_rate_ratio_upper=ratio_upper,
        minimum_detectable_lift=detectable,
        lift_verdict=verdict,
    )
