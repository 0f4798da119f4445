"""Tests of segment names and descriptions (``custseg.segment_marts.naming``) on planted
segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.segment_marts.naming import NOISE_NAME, name_segments
from custseg.segment_marts.playbook import recommend_action, recommend_actions
from custseg.segment_marts.profiling import profiles_wide
from marts_reference import reference_profiles, seed

# planted segments: (orders, aov, recency, tenure, discount, tickets, satisfaction, sessions,
# channel shares web/app/store/marketplace, churn)
_PLANTED = {
    1: (12, 90, 15, 600, 0.05, 0.3, 4.5, 30, (0.15, 0.70, 0.10, 0.05), 0.10),  # loyal, app
    2: (2, 40, 200, 500, 0.10, 0.2, 4.0, 3, (0.40, 0.20, 0.30, 0.10), 0.70),  # lapsing
    3: (4, 35, 60, 400, 0.45, 0.2, 4.1, 10, (0.60, 0.20, 0.10, 0.10), 0.30),  # discounts
    4: (3, 60, 50, 300, 0.10, 3.0, 2.0, 8, (0.20, 0.20, 0.50, 0.10), 0.50),  # complainers
    5: (1, 50, 20, 30, 0.10, 0.1, 4.2, 5, (0.20, 0.10, 0.10, 0.60), 0.20),  # new, marketplace
}
EXPECTED_BEHAVIOUR = {
    1: "loyalists",
    2: "lapsing buyers",
    3: "bargain hunters",
    4: "at-risk complainers",
    5: "new buyers",
}


def _customers(n_per: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for sid, (
        orders,
        aov,
        recency,
        tenure,
        disc,
        tickets,
        sat,
        sessions,
        ch,
        churn,
    ) in _PLANTED.items():
        n = n_per
        order_count = rng.poisson(orders, n) + 1
        order_value = rng.gamma(4.0, aov / 4.0, n)
        shares = rng.dirichlet(np.array(ch) * 20, n)
        frames.append(
            pd.DataFrame(
                {
                    "segment_id": sid,
                    "order_count": order_count,
                    "avg_order_value": order_value,
                    "total_revenue": order_count * order_value,
                    "days_since_last_order": rng.poisson(recency, n),
                    "tenure_days": rng.poisson(tenure, n),
                    "discount_share_of_revenue": np.clip(rng.normal(disc, 0.05, n), 0, 1),
                    "return_rate": np.clip(rng.normal(0.07, 0.03, n), 0, 1),
                    "ticket_count": rng.poisson(tickets, n),
                    "avg_satisfaction_score": np.clip(rng.normal(sat, 0.5, n), 1, 5),
                    "web_session_count": rng.poisson(sessions, n),
                    "share_orders_web": shares[:, 0],
                    "share_orders_app": shares[:, 1],
                    "share_orders_store": shares[:, 2],
                    "share_orders_marketplace": shares[:, 3],
                    "churn_probability": np.clip(rng.normal(churn, 0.1, n), 0, 1),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["predicted_clv"] = frame["total_revenue"] * (1 - frame["churn_probability"])
    frame.loc[rng.choice(len(frame), 20, replace=False), "segment_id"] = -1
    return frame


FEATURES = [c for c in _customers(5).columns if c != "segment_id"]


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return _customers()


@pytest.fixture(scope="module")
def profiles(customers: pd.DataFrame) -> pd.DataFrame:
    return reference_profiles(customers, "segment_id", FEATURES)


def _profiles(z: dict[int, dict[str, float]]) -> pd.DataFrame:
    """Long profiles straight from z-scores (means = 10 + z, overall mean 10)."""
    rows = [
        {
            "segment_id": sid,
            "feature": feature,
            "customer_count": 100,
            "segment_mean": 10.0 + value,
            "overall_mean": 10.0,
            "z_score": value,
        }
        for sid, features in z.items()
        for feature, value in features.items()
    ]
    return pd.DataFrame(rows)


def test_planted_segments_get_the_expected_names(profiles: pd.DataFrame) -> None:
    names = name_segments(profiles).set_index("segment_id")
    assert names.loc[-1, "segment_name"] == NOISE_NAME
    for sid, noun in EXPECTED_BEHAVIOUR.items():
        assert names.loc[sid, "behaviour"] == noun
    assert names.loc[1, "segment_name"] == "Top-value loyalists, app-first"
    assert names.loc[5, "segment_name"].endswith("new buyers, marketplace-first")
    assert names.loc[4, "segment_name"].endswith("at-risk complainers, store-first")
    assert names["segment_name"].is_unique


def test_descriptions_are_plain_english_with_numbers(profiles: pd.DataFrame) -> None:
    names = name_segments(profiles).set_index("segment_id")
    loyal = names.loc[1, "segment_description"]
    assert loyal.startswith("20% of customers. Buy roughly every ")
    assert "per order" in loyal and "€" in loyal and "× the average" in loyal
    assert "Compared with the average customer:" in loyal
    assert "orders in the app" in loyal
    assert "$" in name_segments(profiles, currency_symbol="$").loc[1, "segment_description"]
    lapsing = names.loc[2, "segment_description"]
    assert "days since the last order" in lapsing


def test_names_are_deterministic_across_runs_and_row_order(customers: pd.DataFrame) -> None:
    first = name_segments(reference_profiles(customers, "segment_id", FEATURES))
    again = name_segments(reference_profiles(customers, "segment_id", FEATURES))
    shuffled = customers.sample(frac=1.0, random_state=11).reset_index(drop=True)
    reordered = name_segments(
        reference_profiles(shuffled, "segment_id", FEATURES).sample(frac=1.0, random_state=2)
    )
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, reordered)


def test_colliding_names_get_qualifiers_then_roman_numerals() -> None:
    base = {"order_count": 0.0, "total_revenue": 0.0, "days_since_last_order": 0.0}
    z = {
        1: {**base, "discount_share_of_revenue": 0.5, "open_rate": 0.0},
        2: {**base, "discount_share_of_revenue": -0.5, "open_rate": 0.0},
        3: {**base, "discount_share_of_revenue": 0.0, "open_rate": 0.6},
        4: {**base, "discount_share_of_revenue": 0.0, "open_rate": 0.0},
        5: {**base, "discount_share_of_revenue": 0.0, "open_rate": 0.0},
    }
    names = name_segments(_profiles(z)).set_index("segment_id")["segment_name"]
    assert names.to_dict() == {
        1: "Mid-value steady buyers, discount-driven",
        2: "Mid-value steady buyers, full-price",
        3: "Mid-value steady buyers, email-engaged",
        4: "Mid-value steady buyers",
        5: "Mid-value steady buyers II",
    }
    # the same input in another order gives the same names
    shuffled = _profiles(z).sample(frac=1.0, random_state=5)
    assert name_segments(shuffled).set_index("segment_id")["segment_name"].to_dict() == (
        names.to_dict()
    )


def test_channel_qualifier_needs_a_standout_share() -> None:
    z = {
        1: {"order_count": 1.0, "share_orders_store": 0.9},
        2: {"order_count": 1.0, "share_orders_store": 0.2},
    }
    profiles = _profiles(z)
    profiles.loc[profiles["feature"] == "share_orders_store", ["segment_mean", "overall_mean"]] = (
        0.55,
        0.3,
    )
    names = name_segments(profiles).set_index("segment_id")["segment_name"]
    assert names[1] == "Loyalists, store-first"
    assert names[2] == "Loyalists"


def test_the_seed_playbook_recommends_by_profile(profiles: pd.DataFrame) -> None:
    playbook = seed("segment_playbook")
    high_value_rising_churn = {"predicted_clv__z": 0.9, "churn_probability__z": 0.5}
    assert recommend_action(high_value_rising_churn, playbook) == "retention offer"
    actions = recommend_actions(profiles, playbook).set_index("segment_id")["recommended_action"]
    assert actions[2] == "win-back campaign"
    assert actions[3] == "targeted promotions"
    assert actions[4] == "service recovery"
    wide = profiles_wide(profiles)
    assert recommend_action(wide.loc[4], playbook) == "service recovery"
