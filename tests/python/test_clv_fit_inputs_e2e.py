"""The CLV fit reads counted histories from SQL, and fits exactly what a per-customer fit gives.

`int_clv_purchase_histories_counted` and `int_clv_repeat_spend_counted` replace one row per
customer by one row per distinct history with its customer count. On the built
``dirty_world`` this test checks that the counts cover every customer exactly once, and,
with its own reference (pandas over the per-customer `int_clv_inputs`), that the fitted
parameters in `int_clv_parameters_fitted` are the ones a fit on every customer gives.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import World, project_vars
from custseg import clv


def _frames(world: World) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(world.db_path), read_only=True) as con:
        return {
            name: con.sql(f"select * from intermediate.{name}").df()
            for name in (
                "int_clv_inputs",
                "int_clv_purchase_histories_counted",
                "int_clv_repeat_spend_counted",
                "int_clv_parameters_fitted",
            )
        }


@pytest.fixture(scope="module")
def frames(dirty_world: World) -> dict[str, pd.DataFrame]:
    return _frames(dirty_world)


def test_counted_histories_cover_every_customer_once(frames) -> None:
    inputs = frames["int_clv_inputs"]
    triples = frames["int_clv_purchase_histories_counted"]
    pairs = frames["int_clv_repeat_spend_counted"]
    assert len(triples) < len(inputs)  # the point: fewer rows than customers
    assert triples["customer_count"].sum() == len(inputs)
    expected = inputs.groupby(["frequency", "recency", "t"]).size()
    counted = triples.set_index(["frequency", "recency", "t"])["customer_count"]
    pd.testing.assert_series_equal(
        counted.sort_index(), expected.sort_index(), check_names=False, check_dtype=False
    )
    repeat = inputs[(inputs["frequency"] > 0) & (inputs["monetary_value"] > 0)]
    assert pairs["customer_count"].sum() == len(repeat)


def test_parameters_equal_a_fit_on_every_customer(frames) -> None:
    inputs = frames["int_clv_inputs"].sort_values("customer_id")
    fitted = frames["int_clv_parameters_fitted"].set_index("model_component")
    model = project_vars()["clv_model"]
    # reference: one unit weight per customer, no aggregation
    ones = np.ones(len(inputs))
    purchase = clv.fit_purchase_model(
        inputs["frequency"], inputs["recency"], inputs["t"], ones, model
    )
    repeat = inputs[(inputs["frequency"] > 0) & (inputs["monetary_value"] > 0)]
    spend = clv.fit_spend_model(repeat["frequency"], repeat["monetary_value"], np.ones(len(repeat)))
    compared = 0
    for component, fit in (("purchases", purchase), ("spend", spend)):
        assert fit.converged
        for name, value in clv.fit_result_row(fit).items():
            if name.startswith("param_") and value is not None:
                assert fitted.loc[component, name] == pytest.approx(value, rel=1e-6), name
                compared += 1
    assert compared >= 7  # four purchase parameters (r, alpha, a, b) and three spend (p, q, v)
