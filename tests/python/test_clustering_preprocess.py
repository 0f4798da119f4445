"""Tests of the clustering preprocessing: round trip, clipping, nulls, drops, scaling, PCA."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from custseg.clustering.preprocess import (
    NoUsableFeatureError,
    PreprocessConfig,
    Preprocessor,
    fit_preprocessor,
    indicator_name,
)


def _frame(n: int = 2_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "revenue": rng.lognormal(3.0, 1.2, n),
            "orders": rng.poisson(4, n).astype(float),
            "recency_days": rng.uniform(0, 365, n),
            "tenure_days": rng.uniform(30, 2_000, n),
        }
    )
    frame.loc[rng.choice(n, 100, replace=False), "recency_days"] = np.nan
    return frame


def test_round_trip_through_json_transforms_identically() -> None:
    config = PreprocessConfig(
        features=("revenue", "orders", "recency_days", "tenure_days"),
        log1p_features=("revenue", "orders"),
        scaler="robust",
        pca_components=0.9,
    )
    fitted = fit_preprocessor(_frame(), config)
    restored = Preprocessor.from_dict(json.loads(json.dumps(fitted.to_dict())))
    batch = _frame(500, seed=1)
    batch.loc[0, "revenue"] = -3.0  # negative value into the signed log1p
    batch.loc[1, "tenure_days"] = 1e9  # far outside the clip bounds
    batch.loc[2, "orders"] = np.nan  # null in a column that had none in the fit sample
    expected_x, expected_flags = fitted.transform_with_flags(batch)
    actual_x, actual_flags = restored.transform_with_flags(batch)
    assert np.array_equal(expected_x, actual_x)
    assert np.array_equal(expected_flags, actual_flags)
    assert restored.to_dict() == fitted.to_dict()
    assert np.isfinite(actual_x).all()
    assert fitted.pca_components is not None
    assert sum(fitted.pca_explained_variance_ratio or ()) > 0.9
    assert actual_x.shape == (500, len(fitted.pca_components))


def test_clip_bounds_and_per_row_flags() -> None:
    frame = pd.DataFrame({"a": np.arange(1_000, dtype=float), "b": np.ones(1_000) * 2})
    frame.loc[::2, "b"] = 3.0
    config = PreprocessConfig(features=("a", "b"), clip_quantiles=(0.01, 0.99), scaler="minmax")
    fitted = fit_preprocessor(frame, config)
    assert fitted.clip_lower["a"] == pytest.approx(9.99)
    assert fitted.clip_upper["a"] == pytest.approx(989.01)
    flags = fitted.clip_flags(frame)
    assert flags.sum() == 20
    assert flags[:10].all() and flags[-10:].all() and not flags[10:990].any()
    batch = pd.DataFrame({"a": [-5.0, 500.0, 2_000.0, 989.01], "b": [2.0, 2.0, 2.0, 2.0]})
    x, was_clipped = fitted.transform_with_flags(batch)
    assert was_clipped.tolist() == [True, False, True, False]
    assert x[0, 0] == pytest.approx(0.0)  # clipped to the lower bound = minmax 0
    assert x[2, 0] == pytest.approx(x[3, 0]) == pytest.approx(1.0)  # clipped to the upper bound


def test_clipping_happens_before_scaling() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=1_000)
    values[0] = 1e6  # one huge outlier would dominate the standard deviation
    fitted = fit_preprocessor(
        pd.DataFrame({"a": values, "b": rng.normal(size=1_000)}),
        PreprocessConfig(features=("a", "b")),
    )
    center, scale = fitted.scale_center[0], fitted.scale_scale[0]
    assert abs(center) < 0.2 and 0.8 < scale < 1.2


def test_null_imputation_and_indicator_columns() -> None:
    frame = _frame()
    fitted = fit_preprocessor(
        frame,
        PreprocessConfig(features=("revenue", "orders", "recency_days"), clip_quantiles=None),
    )
    assert fitted.indicator_features == ("recency_days",)
    assert indicator_name("recency_days") in fitted.kept_columns
    median = float(frame["recency_days"].median())
    assert fitted.medians["recency_days"] == pytest.approx(median)
    batch = pd.DataFrame(
        {"revenue": [10.0, 10.0], "orders": [np.nan, 2.0], "recency_days": [np.nan, median]}
    )
    x = fitted.transform(batch)
    columns = list(fitted.output_columns)
    indicator = columns.index(indicator_name("recency_days"))
    recency = columns.index("recency_days")
    assert x[:, indicator].tolist() == [1.0, 0.0]  # 0/1, not scaled
    assert x[0, recency] == pytest.approx(x[1, recency])  # null -> median
    # orders had no nulls in the fit sample: imputed, but no indicator column
    assert indicator_name("orders") not in columns
    orders = columns.index("orders")
    expected = (fitted.medians["orders"] - fitted.scale_center[orders]) / fitted.scale_scale[orders]
    assert x[0, orders] == pytest.approx(expected)


def test_null_indicator_min_share() -> None:
    frame = _frame()  # recency_days is null in 100 of 2,000 rows (5%)
    features = ("revenue", "recency_days")
    assert fit_preprocessor(frame, PreprocessConfig(features=features)).indicator_features == (
        "recency_days",
    )
    config = PreprocessConfig(features=features, null_indicator_min_share=0.06)
    fitted = fit_preprocessor(frame, config)
    assert fitted.indicator_features == ()
    assert fitted.kept_columns == features


def test_correlation_drop_keeps_the_earlier_feature_deterministically() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=1_500)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + rng.normal(scale=0.05, size=1_500),
            "c": rng.normal(size=1_500),
            "d": -a,
            "e": np.full(1_500, 7.0),
            "f": np.full(1_500, np.nan),
        }
    )
    config = PreprocessConfig(features=("a", "b", "c", "d", "e", "f"))
    fitted = fit_preprocessor(frame, config)
    assert fitted.kept_columns == ("a", "c")
    reasons = {d.column: d.reason for d in fitted.dropped}
    assert reasons == {"b": "correlated", "d": "correlated", "e": "near_constant", "f": "all_null"}
    assert all("with kept column a" in d.detail for d in fitted.dropped if d.reason == "correlated")

    reordered = fit_preprocessor(frame, PreprocessConfig(features=("b", "a", "c", "d", "e", "f")))
    assert reordered.kept_columns == ("b", "c")

    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    assert fit_preprocessor(shuffled, config).kept_columns == ("a", "c")
    assert fitted.to_dict() == fit_preprocessor(frame, config).to_dict()


@pytest.mark.parametrize("scaler", ["standard", "minmax", "robust"])
def test_scalers(scaler: str) -> None:
    frame = _frame()
    config = PreprocessConfig(
        features=("revenue", "tenure_days"), log1p_features=("revenue",), scaler=scaler
    )
    x = fit_preprocessor(frame, config).transform(frame)
    if scaler == "standard":
        assert np.allclose(x.mean(axis=0), 0.0, atol=1e-9)
        assert np.allclose(x.std(axis=0), 1.0)
    elif scaler == "minmax":
        assert np.allclose(x.min(axis=0), 0.0) and np.allclose(x.max(axis=0), 1.0)
    else:
        assert np.allclose(np.median(x, axis=0), 0.0, atol=1e-9)
        q25, q75 = np.quantile(x, [0.25, 0.75], axis=0)
        assert np.allclose(q75 - q25, 1.0)


def test_pca_by_component_count_is_deterministic() -> None:
    frame = _frame()
    config = PreprocessConfig(
        features=("revenue", "orders", "recency_days", "tenure_days"), pca_components=2
    )
    first = fit_preprocessor(frame, config)
    second = fit_preprocessor(frame, config)
    assert first.output_columns == ("pc_1", "pc_2")
    assert np.array_equal(first.transform(frame), second.transform(frame))


def test_config_validation_and_missing_columns() -> None:
    with pytest.raises(ValueError, match="log1p_features"):
        PreprocessConfig(features=("a",), log1p_features=("b",))
    with pytest.raises(ValueError, match="scaler"):
        PreprocessConfig(features=("a",), scaler="zscore")
    with pytest.raises(ValueError, match="pca_components"):
        PreprocessConfig(features=("a",), pca_components=1.5)
    fitted = fit_preprocessor(
        pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}),
        PreprocessConfig(features=("a", "b")),
    )
    with pytest.raises(KeyError, match="b"):
        fitted.transform(pd.DataFrame({"a": [1.0]}))


def test_nullable_pandas_dtypes_are_accepted() -> None:
    frame = pd.DataFrame(
        {
            "a": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
            "b": pd.array([0.5, None, 1.5, 2.0, 0.1, 3.0], dtype="Float64"),
        }
    )
    fitted = fit_preprocessor(frame, PreprocessConfig(features=("a", "b"), clip_quantiles=None))
    x = fitted.transform(frame)
    assert np.isfinite(x).all()
    assert fitted.indicator_features == ("a", "b")


def test_no_usable_feature_raises_with_the_reasons_unless_allowed() -> None:
    config = PreprocessConfig(features=("orders", "rating"), log1p_features=("orders",))
    one_customer = pd.DataFrame({"orders": [3.0], "rating": [np.nan]})
    with pytest.raises(NoUsableFeatureError, match="all_null: rating; near_constant: orders") as e:
        fit_preprocessor(one_customer, config)
    assert isinstance(e.value, ValueError)
    assert [(d.column, d.reason) for d in e.value.dropped] == [
        ("rating", "all_null"),
        ("orders", "near_constant"),
    ]

    fitted = fit_preprocessor(one_customer, config, allow_no_columns=True)
    assert fitted.kept_columns == () and fitted.n_output_columns == 0
    later = pd.DataFrame({"orders": [1.0, 9.0], "rating": [2.0, None]})
    assert fitted.transform(later).shape == (2, 0)
    restored = Preprocessor.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert restored.to_dict() == fitted.to_dict()


def test_an_empty_sample_is_allowed_only_without_columns() -> None:
    config = PreprocessConfig(features=("orders",), pca_components=2)
    empty = pd.DataFrame({"orders": pd.Series([], dtype=float)})
    with pytest.raises(ValueError, match="empty sample"):
        fit_preprocessor(empty, config)
    fitted = fit_preprocessor(empty, config, allow_no_columns=True)
    assert [d.reason for d in fitted.dropped] == ["all_null"]
    assert fitted.pca_components is None  # no PCA without columns
    assert fitted.transform(pd.DataFrame({"orders": [5.0]})).shape == (1, 0)
