"""The segment models' settings and refit policy (custseg.segments), as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from conftest import project_vars
from custseg.clustering import PreprocessConfig
from custseg.project_vars import SettingError
from custseg.segments.refit import (
    REFIT_SELECTION_SETTINGS,
    StoredVersion,
    active_version,
    decide_refit,
    drift_signal,
)
from custseg.segments.settings import (
    SELECTION_VARS,
    SelectionSettings,
    features_from_config,
    preprocess_config,
)
from custseg.segments.stable_ids import next_segment_id

FEATURES = ("order_count", "return_rate")
PREPROCESS = PreprocessConfig(features=FEATURES, log1p_features=("order_count",)).to_dict()
PROJECT_SELECTION = SelectionSettings.from_vars(project_vars())
SELECTION = PROJECT_SELECTION.to_dict()
AS_OF = date(2026, 11, 1)


def selection(**fields) -> SelectionSettings:
    """The project's selection settings with some fields changed."""
    return replace(PROJECT_SELECTION, **fields)


def stored(version: int, trained: date, **overrides) -> StoredVersion:
    return StoredVersion(
        model_version=version,
        trained_as_of_date=trained,
        preprocess_config=overrides.get("preprocess", PREPROCESS),
        selection_settings=overrides.get("selection", SELECTION),
        segment_ids=overrides.get("segment_ids", (1, 2, 3)),
        retired_segment_ids=overrides.get("retired", ()),
        algorithm=overrides.get("algorithm", "kmeans"),
        n_sample_rows=overrides.get("n_sample_rows", 2_000),
    )


def decide(versions, **kwargs):
    arguments = {
        "as_of_date": AS_OF,
        "preprocess_config": PREPROCESS,
        "selection_settings": SELECTION,
        "refit_requested": False,
        "refit_after_days": 30,
        "drift_recommended": None,
    }
    return decide_refit(versions, **(arguments | kwargs))


# ----------------------------------------------------------------------------- decision table

CURRENT = stored(1, date(2026, 10, 20))


@pytest.mark.parametrize(
    ("versions", "kwargs", "refit", "reason_part"),
    [
        ([], {}, True, "no model exists"),
        ([CURRENT], {}, False, None),
        ([CURRENT], {"refit_requested": True}, True, "var refit is true"),
        # age counted in as-of days: 12 days old is fine, 31 days old is not
        ([CURRENT], {"refit_after_days": 12}, False, None),
        ([CURRENT], {"refit_after_days": 11}, True, "more than refit_after_days = 11"),
        ([stored(1, date(2026, 10, 1))], {}, True, "31 days before"),
        ([stored(1, date(2026, 10, 2))], {}, False, None),
        (
            [CURRENT],
            {
                "preprocess_config": PreprocessConfig(
                    features=(*FEATURES, "open_rate"), log1p_features=("order_count",)
                ).to_dict()
            },
            True,
            "(features)",
        ),
        (
            [CURRENT],
            {
                "preprocess_config": PreprocessConfig(
                    features=FEATURES, log1p_features=("order_count",), scaler="robust"
                ).to_dict()
            },
            True,
            "(scaler)",
        ),
        ([CURRENT], {"drift_recommended": True}, True, "drift report recommends"),
        ([CURRENT], {"drift_recommended": False}, False, None),
        # every stored model was trained after the as-of date
        ([stored(1, date(2026, 12, 1))], {}, True, "trained after the as-of date"),
        # a changed guard alone does not refit (it is noted)
        (
            [CURRENT],
            {"selection_settings": selection(min_segment_share=0.05).to_dict()},
            False,
            None,
        ),
    ],
)
def test_decision_table(versions, kwargs, refit, reason_part) -> None:
    decision = decide(versions, **kwargs)
    assert decision.refit is refit
    if refit:
        assert any(reason_part in reason for reason in decision.reasons), decision.reasons
    else:
        assert decision.reasons == ()
        assert decision.active_version == 1


FALLBACK = stored(1, date(2026, 10, 20), algorithm="single_segment", n_sample_rows=3)


@pytest.mark.parametrize(
    ("versions", "fit_rows", "refit"),
    [
        ([FALLBACK], 50, True),  # toy data first, then enough customers: cluster now
        ([FALLBACK], 49, False),  # still too few: keep the fallback
        ([FALLBACK], None, False),  # caller did not say how many
        # a fallback fitted on enough customers (no usable feature) does not refit every build
        ([stored(1, date(2026, 10, 20), algorithm="single_segment", n_sample_rows=80)], 90, False),
        ([CURRENT], 5_000, False),  # a real model is not refitted for growth alone
    ],
)
def test_single_segment_fallback_refits_once_enough_customers_arrive(
    versions, fit_rows, refit
) -> None:
    decision = decide(versions, fit_rows=fit_rows, min_fit_rows=50)
    assert decision.refit is refit
    if refit:
        assert decision.reasons == (
            "model version 1 is the single-segment fallback fitted on 3 customers; this build "
            "has 50 (at least the minimum 50)",
        )


def test_changed_selection_settings_are_noted_not_refitted() -> None:
    decision = decide([CURRENT], selection_settings=selection(ward_sample_size=500).to_dict())
    assert not decision.refit
    assert "ward_sample_size" in decision.notes[0]
    assert "next refit" in decision.describe()


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (
            {"algorithms": ("gmm",)},
            "var algorithms changed from ['kmeans', 'gmm'] (model version 1) to ['gmm']",
        ),
        (
            {"pinned_algorithm": "kmeans"},
            "var segment_algorithm changed from None (model version 1) to 'kmeans'",
        ),
        (
            {"pinned_n_clusters": 5},
            "var segment_n_clusters changed from None (model version 1) to 5",
        ),
        ({"k_min": 3}, "var segment_k_min changed from 2 (model version 1) to 3"),
        ({"k_max": 8}, "var segment_k_max changed from 12 (model version 1) to 8"),
    ],
)
def test_changed_candidate_settings_refit_and_name_the_var(changed, reason) -> None:
    """Issue 16: a changed `algorithms`, pinned algorithm or k is a refit, with its reason."""
    decision = decide([CURRENT], selection_settings=selection(**changed).to_dict())
    assert decision.refit
    assert decision.reasons == (reason,)
    assert decision.notes == ()


def test_unchanged_candidate_settings_do_not_refit_after_a_json_round_trip() -> None:
    stored_json = {**SELECTION, "algorithms": list(SELECTION["algorithms"])}
    assert not decide([stored(1, AS_OF, selection=stored_json)]).refit


def test_candidate_setting_missing_from_an_old_model_does_not_refit() -> None:
    """A model stored before a setting existed records nothing for it: no refit for that."""
    old = {key: value for key, value in SELECTION.items() if key != "pinned_n_clusters"}
    assert not decide([stored(1, AS_OF, selection=old)]).refit


def test_every_refit_setting_is_a_selection_setting_with_a_var() -> None:
    assert set(REFIT_SELECTION_SETTINGS) <= set(SELECTION) == set(SELECTION_VARS)
    assert set(SELECTION_VARS.values()) <= set(project_vars())


def test_several_reasons_are_all_reported() -> None:
    decision = decide([stored(1, date(2026, 1, 1))], refit_requested=True, drift_recommended=True)
    assert len(decision.reasons) == 3


def test_configs_compare_after_json_round_trip() -> None:
    as_lists = {**PREPROCESS, "clip_quantiles": list(PREPROCESS["clip_quantiles"])}
    assert not decide([stored(1, AS_OF, preprocess=as_lists)]).refit


# ------------------------------------------------------------------------------ point in time


def test_active_version_is_latest_trained_on_or_before_as_of_date() -> None:
    versions = [stored(1, date(2026, 11, 1)), stored(2, date(2026, 6, 1))]
    assert active_version(versions, date(2026, 11, 1)).model_version == 1
    assert active_version(versions, date(2026, 10, 31)).model_version == 2
    assert active_version(versions, date(2026, 6, 1)).model_version == 2
    assert active_version(versions, date(2026, 5, 31)) is None


def test_same_training_date_prefers_the_newer_version() -> None:
    versions = [stored(1, AS_OF), stored(2, AS_OF)]
    assert active_version(versions, AS_OF).model_version == 2


def test_earlier_as_of_date_never_uses_a_later_model() -> None:
    versions = [stored(1, date(2026, 11, 1))]
    decision = decide(versions, as_of_date=date(2026, 6, 1))
    assert decision.refit
    assert decision.active_version is None
    # the refit still matches ids against the latest version, so ids keep their meaning
    assert decision.previous_version == 1


def test_previous_version_is_the_active_one() -> None:
    versions = [stored(1, date(2026, 10, 1)), stored(2, date(2026, 6, 1))]
    decision = decide(versions, as_of_date=date(2026, 9, 1), refit_requested=True)
    assert decision.active_version == 2
    assert decision.previous_version == 2


def test_next_segment_id_never_reuses_retired_ids() -> None:
    versions = [stored(1, AS_OF, segment_ids=(1, 2)), stored(2, AS_OF, segment_ids=(1, 3))]
    versions.append(stored(3, AS_OF, segment_ids=(1,), retired=(3, 7)))
    assert next_segment_id(versions) == 8
    assert next_segment_id([]) == 1


# ---------------------------------------------------------------------------------- settings


def test_features_from_config_keeps_the_configured_order() -> None:
    rows = pd.DataFrame(
        {
            "feature_position": [2, 1, 3],
            "feature_name": ["return_rate", "order_count", "ticket_count"],
            "feature_transform": ["none", "log1p", "log1p"],
        }
    )
    features, log1p = features_from_config(rows)
    assert features == ("order_count", "return_rate", "ticket_count")
    assert log1p == ("order_count", "ticket_count")


def test_features_from_config_rejects_unknown_transforms_and_empty_lists() -> None:
    rows = pd.DataFrame(
        {"feature_position": [1], "feature_name": ["order_count"], "feature_transform": ["sqrt"]}
    )
    with pytest.raises(ValueError, match="sqrt"):
        features_from_config(rows)
    with pytest.raises(ValueError, match="empty"):
        features_from_config(rows.iloc[0:0])


def test_preprocess_overrides() -> None:
    config = preprocess_config(
        FEATURES, ("order_count",), {"scaler": "robust", "clip_quantiles": [0.01, 0.99]}
    )
    assert config.scaler == "robust"
    assert config.clip_quantiles == (0.01, 0.99)
    assert preprocess_config(FEATURES, (), {}) == PreprocessConfig(FEATURES)
    with pytest.raises(SettingError, match="unknown options"):
        preprocess_config(FEATURES, (), {"features": ["x"]})
    with pytest.raises(SettingError, match="segment_preprocessing"):
        preprocess_config(FEATURES, (), None)


def test_selection_settings_from_the_project_vars_and_pins() -> None:
    config = PROJECT_SELECTION.selection_config()
    assert config.algorithms == ("kmeans", "gmm")
    assert config.k_values == tuple(range(2, 13))
    assert (config.min_segment_share, config.max_segment_share) == (0.02, 0.60)
    assert config.agglomerative_sample_size == 10_000
    assert (config.pinned_algorithm, config.pinned_n_clusters) == (None, None)
    pinned = SelectionSettings.from_vars(
        project_vars()
        | {"algorithms": "kmeans", "segment_algorithm": "kmeans", "segment_n_clusters": "5"}
    ).selection_config()
    assert (pinned.algorithms, pinned.pinned_algorithm, pinned.pinned_n_clusters) == (
        ("kmeans",),
        "kmeans",
        5,
    )
    with pytest.raises(SettingError, match="algorithms"):
        selection(algorithms=("spectral",))
    with pytest.raises(SettingError, match="segment_k_min"):
        selection(k_min=5, k_max=4)


@pytest.mark.parametrize(
    "name",
    [
        "algorithms",
        "segment_k_min",
        "segment_k_max",
        "segment_min_share",
        "segment_max_share",
        "segment_ward_sample_size",
        "segment_min_customers",
    ],
)
@pytest.mark.parametrize("missing", [None, "", "None"])
def test_a_missing_var_fails_naming_it(name, missing) -> None:
    """No second default in Python: an unset var is an error that says which var."""
    with pytest.raises(SettingError, match=f"'{name}' is not set"):
        SelectionSettings.from_vars(project_vars() | {name: missing})
    values = project_vars()
    del values[name]
    with pytest.raises(SettingError, match=f"'{name}' is not set"):
        SelectionSettings.from_vars(values)


def test_malformed_vars_fail_naming_them() -> None:
    with pytest.raises(SettingError, match="'segment_k_max' must be an integer"):
        SelectionSettings.from_vars(project_vars() | {"segment_k_max": "twelve"})
    with pytest.raises(SettingError, match="'segment_min_share' must be within"):
        SelectionSettings.from_vars(project_vars() | {"segment_min_share": 1.5})


def test_minimum_customers_for_clustering() -> None:
    assert PROJECT_SELECTION.min_customers == 50
    assert PROJECT_SELECTION.minimum_customers() == 50
    assert selection(min_customers=1).minimum_customers() == 10
    assert selection(min_customers=1, k_min=8, k_max=9).minimum_customers() == 16
    assert selection(min_customers=1, pinned_n_clusters=7).minimum_customers() == 14
    assert selection(min_customers=200).minimum_customers() == 200
    with pytest.raises(SettingError, match="segment_min_customers"):
        selection(min_customers=0)
    with pytest.raises(SettingError, match="segment_min_customers"):
        SelectionSettings.from_vars(project_vars() | {"segment_min_customers": 0})


# ------------------------------------------------------------------------- drift signal


def test_drift_signal_counts_only_the_version_in_use() -> None:
    signals = pd.DataFrame({"model_version": [1, 2], "is_refit_recommended": [True, False]})
    assert drift_signal(signals, 1) is True
    assert drift_signal(signals, 2) is False
    assert drift_signal(signals, 3) is None  # the report says nothing about version 3
    assert drift_signal(signals, None) is None  # no model yet
    assert drift_signal(signals.iloc[0:0], 1) is None  # no drift report yet
