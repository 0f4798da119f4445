"""Version rows, derived tables, batch assignment, stable ids and the dbt_io readers."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import project_vars, selection_config
from custseg import dbt_io
from custseg.clustering import (
    FittedSegmentation,
    PreprocessConfig,
    SelectionConfig,
    fit_segmentation,
)
from custseg.segments.assign import (
    ASSIGNMENT_SCHEMA,
    AssignmentStats,
    assign_batch,
    assignment_reader,
    segment_name,
)
from custseg.segments.fitting import (
    fit_new_version,
)
from custseg.segments.refit import (
    decide_refit,
)
from custseg.segments.registry import (
    VERSION_SCHEMA,
    active_version_row,
    build_version_row,
    segmentation_from_row,
    stored_version_from_row,
    stored_versions,
    versions_table,
)
from custseg.segments.registry_tables import (
    CANDIDATE_SCHEMA,
    candidates_table,
    centroids_table,
    preprocessing_table,
)
from custseg.segments.settings import SelectionSettings
from custseg.segments.stable_ids import (
    assign_stable_ids,
)

FEATURES = ("spend", "visits", "score")
AS_OF = date(2026, 11, 1)


def blobs(n_per_group: int = 120, seed: int = 3, ids_from: int = 0) -> pd.DataFrame:
    """Three well separated groups; `score` is null in the third group."""
    rng = np.random.default_rng(seed)
    centres = np.array([[10.0, 1.0, 2.0], [200.0, 8.0, 4.0], [40.0, 20.0, 1.0]])
    rows = np.vstack([rng.normal(c, [2.0, 0.5, 0.3], size=(n_per_group, 3)) for c in centres])
    frame = pd.DataFrame(rows, columns=list(FEATURES))
    frame.insert(0, "customer_id", [f"{i + ids_from:08d}" for i in range(len(frame))])
    frame["group"] = np.repeat(np.arange(3), n_per_group)
    frame.loc[frame["group"] == 2, "score"] = np.nan
    return frame


PROJECT_SELECTION = SelectionSettings.from_vars(project_vars())


def selection(**fields) -> SelectionSettings:
    """The project's selection settings with some fields changed."""
    return replace(PROJECT_SELECTION, **fields)


SETTINGS = selection(algorithms=("kmeans",), k_min=2, k_max=4)


def small_config(settings: SelectionSettings = SETTINGS) -> SelectionConfig:
    config = settings.selection_config()
    return selection_config(
        **{
            **config.to_dict(),
            "gap_references": 2,
            "stability_resamples": 2,
            "stability_fit_size": 200,
        }
    )


@pytest.fixture(scope="module")
def fitted():
    sample = blobs()
    preprocess = PreprocessConfig(features=FEATURES, log1p_features=("spend",))
    fit = fit_segmentation(sample, preprocess, small_config())
    segmentation, mapping = assign_stable_ids(fit.segmentation, None, sample, first_new_id=1)
    row = build_version_row(
        model_version=1,
        trained_as_of_date=AS_OF,
        trained_at=datetime(2026, 11, 2, 3, 4, tzinfo=UTC),
        reasons=["no model exists yet"],
        fit=fit,
        segmentation=segmentation,
        mapping=mapping,
        previous_version=None,
        selection_settings=SETTINGS,
        n_customers=len(sample),
        sample_labels=fit.selection.labels,
        fit_seconds=1.5,
    )
    return sample, fit, segmentation, row


def test_the_fixture_finds_the_three_groups(fitted) -> None:
    _, fit, segmentation, _ = fitted
    assert segmentation.cluster_model.n_clusters == 3
    assert fit.selection.selected.algorithm == "kmeans"


def test_version_row_round_trips_through_the_table(fitted) -> None:
    sample, _, segmentation, row = fitted
    table = versions_table([row])
    assert table.schema == VERSION_SCHEMA
    with duckdb.connect() as con:
        con.register("stored_table", table)
        con.execute("create table stored as select * from stored_table")
        frame = con.sql("select * from stored").df()
    restored_row = frame.iloc[0].to_dict()

    restored = segmentation_from_row(restored_row)
    assert restored.to_dict() == segmentation.to_dict()
    expected = segmentation.assign_frame(sample, key_column="customer_id")
    actual = restored.assign_frame(sample, key_column="customer_id")
    pd.testing.assert_frame_equal(actual, expected)

    version = stored_version_from_row(restored_row)
    assert version.model_version == 1
    assert version.trained_as_of_date == AS_OF
    assert version.segment_ids == (1, 2, 3)
    assert version.preprocess_config == segmentation.preprocessor.config.to_dict() | {
        "clip_quantiles": list(segmentation.preprocessor.config.clip_quantiles)
    }
    assert version.selection_settings == SETTINGS.to_dict()
    assert json.loads(restored_row["features_json"]) == list(FEATURES)
    assert json.loads(restored_row["segment_sizes_json"]) == [[1, 120], [2, 120], [3, 120]]
    assert restored_row["refit_reasons"] == "no model exists yet"


def test_an_empty_versions_table_keeps_its_types() -> None:
    table = versions_table([])
    assert table.num_rows == 0
    assert table.schema.field("trained_as_of_date").type == pa.date32()


def test_active_version_row_picks_by_as_of_date(fitted) -> None:
    _, _, _, row = fitted
    later = row | {"model_version": 2, "trained_as_of_date": date(2026, 12, 1)}
    frame = versions_table([row, later]).to_pandas()
    assert active_version_row(frame, AS_OF)["model_version"] == 1
    assert active_version_row(frame, date(2026, 12, 1))["model_version"] == 2
    with pytest.raises(LookupError):
        active_version_row(frame, date(2026, 10, 31))


def test_candidates_table_has_one_selected_row(fitted) -> None:
    _, fit, _, row = fitted
    candidates = candidates_table(row).to_pandas()
    assert len(candidates) == len(fit.selection.records) == 3
    assert candidates["is_selected"].sum() == 1
    assert list(candidates["candidate_index"]) == [1, 2, 3]
    assert set(CANDIDATE_SCHEMA.names) == set(candidates.columns)
    assert candidates.loc[candidates["is_selected"], "n_clusters"].item() == 3


def test_centroid_and_preprocessing_tables_rebuild_the_assignment(fitted) -> None:
    """Scoring from the two long tables (as the SQL macro does) equals the engine's labels."""
    sample, _, segmentation, row = fitted
    centroids = centroids_table([row]).to_pandas()
    params = preprocessing_table([row]).to_pandas()
    assert set(params["column_kind"]) == {"feature", "null_indicator"}
    assert params.loc[params["column_name"] == "is_missing__score", "is_kept"].item()

    kept = params[params["is_kept"]].sort_values("column_position")
    columns = []
    for _, param in kept.iterrows():
        feature = sample[param["feature_name"]].to_numpy(dtype=float)
        if param["is_log1p"]:
            feature = np.sign(feature) * np.log1p(np.abs(feature))
        missing = np.isnan(feature)
        if param["column_kind"] == "null_indicator":
            value = missing.astype(float)
        else:
            source = params[params["column_name"] == param["feature_name"]].iloc[0]
            value = np.clip(feature, source["clip_lower"], source["clip_upper"])
            value[missing] = source["impute_value"]
        columns.append((value - param["scale_center"]) / param["scale_scale"])
    x = np.column_stack(columns)
    matrix = (
        centroids.pivot(index="segment_id", columns="column_position", values="centroid_value")
        .sort_index(axis=1)
        .to_numpy()
    )
    segment_order = sorted(centroids["segment_id"].unique())
    nearest = np.argmin(((x[:, None, :] - matrix[None, :, :]) ** 2).sum(axis=2), axis=1)
    expected = segmentation.segment_ids_for(segmentation.assign(sample).labels)
    np.testing.assert_array_equal(np.array(segment_order)[nearest], expected)
    assert centroids["is_nearest_centroid_model"].all()


def test_assign_batch_columns(fitted) -> None:
    sample, _, segmentation, _ = fitted
    batch = assign_batch(segmentation, sample, model_version=4, as_of_date=AS_OF)
    frame = batch.to_pandas()
    assert batch.schema == ASSIGNMENT_SCHEMA
    assert list(frame["customer_id"]) == list(sample["customer_id"])
    assert (frame["model_version"] == 4).all()
    assert frame["membership_probability"].isna().all()
    assert (frame["distance_to_centroid"] >= 0).all()
    assert set(frame["segment_name"]) == {"Segment 1", "Segment 2", "Segment 3"}
    expected = segmentation.assign_frame(sample, key_column="customer_id")
    np.testing.assert_allclose(frame["distance_to_centroid"], expected["distance_or_probability"])
    assert segment_name(-1) == "Unassigned (noise)"


def test_assignment_reader_streams_batches(fitted) -> None:
    sample, _, segmentation, _ = fitted
    batches = [sample.iloc[start : start + 100] for start in range(0, len(sample), 100)]
    seen = []
    stats = AssignmentStats()
    reader = assignment_reader(
        segmentation,
        iter(batches),
        model_version=1,
        as_of_date=AS_OF,
        progress=lambda s: seen.append(s.rows),
        stats=stats,
    )
    assert seen == []  # nothing is assigned before the stream is read
    table = reader.read_all()
    assert table.num_rows == len(sample)
    assert seen == [100, 200, 300, 360]
    assert sum(stats.segment_counts.values()) == len(sample)
    whole = assign_batch(segmentation, sample, model_version=1, as_of_date=AS_OF)
    assert table.equals(pa.Table.from_batches([whole]))


def test_gmm_rows_carry_a_probability() -> None:
    sample = blobs()
    settings = selection(algorithms=("gmm",), k_min=3, k_max=3)
    fit = fit_segmentation(sample, PreprocessConfig(features=FEATURES), small_config(settings))
    frame = assign_batch(fit.segmentation, sample, model_version=1, as_of_date=AS_OF).to_pandas()
    assert frame["membership_probability"].between(0, 1).all()
    assert (frame["distance_to_centroid"] >= 0).all()


# ---------------------------------------------------------------------------------- stable ids


def test_refit_on_grown_data_keeps_segment_ids(fitted) -> None:
    sample, _, previous, _ = fitted
    grown = pd.concat([sample, blobs(n_per_group=10, seed=9, ids_from=1_000)], ignore_index=True)
    refit = fit_segmentation(
        grown.sort_values("customer_id"),
        PreprocessConfig(features=FEATURES, log1p_features=("spend",)),
        small_config(),
    ).segmentation
    new, mapping = assign_stable_ids(refit, previous, grown, first_new_id=4)
    assert mapping.new_segment_ids == ()
    assert mapping.retired_segment_ids == ()
    before = previous.segment_ids_for(previous.assign(sample).labels)
    after = new.segment_ids_for(new.assign(sample).labels)
    np.testing.assert_array_equal(before, after)


def test_a_new_group_gets_a_fresh_id_and_a_vanished_one_is_retired(fitted) -> None:
    sample, _, previous, _ = fitted
    two_groups = sample[sample["group"] < 2]
    settings = selection(algorithms=("kmeans",), k_min=2, k_max=2)
    refit = fit_segmentation(
        two_groups,
        PreprocessConfig(features=FEATURES, log1p_features=("spend",)),
        small_config(settings),
    ).segmentation
    new, mapping = assign_stable_ids(refit, previous, two_groups, first_new_id=9)
    kept = previous.segment_ids_for(previous.assign(two_groups).labels)
    assert sorted(set(new.segment_ids.values())) == sorted(set(kept))
    assert len(mapping.retired_segment_ids) == 1

    newcomers = blobs(seed=11, ids_from=5_000).query("group == 0")
    newcomers = newcomers.assign(spend=5_000.0 + newcomers["spend"], visits=60.0, group=3)
    four_groups = pd.concat([sample, newcomers], ignore_index=True)
    grown = fit_segmentation(
        four_groups,
        PreprocessConfig(features=FEATURES, log1p_features=("spend",)),
        small_config(selection(algorithms=("kmeans",), k_min=4, k_max=4)),
    ).segmentation
    new, mapping = assign_stable_ids(grown, previous, four_groups, first_new_id=9)
    assert mapping.new_segment_ids == (9,)
    assert mapping.retired_segment_ids == ()
    labels = new.segment_ids_for(new.assign(four_groups).labels)
    assert set(labels[four_groups["group"] == 3]) == {9}
    np.testing.assert_array_equal(
        labels[: len(sample)], previous.segment_ids_for(previous.assign(sample).labels)
    )


def test_without_the_previous_features_every_segment_is_new(fitted) -> None:
    sample, _, previous, _ = fitted
    renamed = sample.rename(columns={"score": "rating"})
    refit = fit_segmentation(
        renamed, PreprocessConfig(features=("spend", "visits", "rating")), small_config()
    ).segmentation
    new, mapping = assign_stable_ids(refit, previous, renamed, first_new_id=4)
    assert sorted(new.segment_ids.values()) == [4, 5, 6]
    assert mapping.retired_segment_ids == (1, 2, 3)


def test_first_model_numbers_segments_from_one(fitted) -> None:
    _, _, segmentation, _ = fitted
    assert isinstance(segmentation, FittedSegmentation)
    assert segmentation.segment_ids == {0: 1, 1: 2, 2: 3}


# ------------------------------------------------------------------------------------ dbt_io


@pytest.fixture()
def con():
    with duckdb.connect() as connection:
        connection.execute(
            "create table features as select lpad(cast(range as varchar), 8, '0') as customer_id,"
            " range * 1.0 as value from range(1000)"
        )
        yield connection


def test_read_sample_is_deterministic_and_sorted(con) -> None:
    first = dbt_io.read_sample(con.table("features"), 100)
    second = dbt_io.read_sample(con.table("features"), 100)
    pd.testing.assert_frame_equal(first, second)
    assert first["customer_id"].is_monotonic_increasing
    assert len(first) == 100
    # not the first 100 ids: the hash spreads the sample over the whole key range
    assert first["customer_id"].max() > "00000500"
    assert len(dbt_io.read_sample(con.table("features"), 5000)) == 1000


def test_a_customer_stays_in_the_sample_unless_pushed_out(con) -> None:
    before = set(dbt_io.read_sample(con.table("features"), 100)["customer_id"])
    con.execute(
        "insert into features select lpad(cast(range as varchar), 8, '0'), 0.0 "
        "from range(1000, 1050)"
    )
    after = set(dbt_io.read_sample(con.table("features"), 100)["customer_id"])
    assert len(before & after) >= 90


def test_iter_batches_and_count_rows(con) -> None:
    relation = con.table("features")
    batches = list(dbt_io.iter_batches(relation, 300, order_by="customer_id"))
    assert [len(b) for b in batches] == [300, 300, 300, 100]
    combined = pd.concat(batches, ignore_index=True)
    assert combined["customer_id"].is_monotonic_increasing
    assert dbt_io.count_rows(relation) == 1000


def test_read_sample_with_joins_the_extra_columns_as_doubles(con) -> None:
    con.execute(
        "create table customers as select customer_id, cast(value as integer) as open_rate, "
        "'x' as city from features where value % 2 = 0"
    )
    plain = dbt_io.read_sample(con.table("features"), 100)
    pd.testing.assert_frame_equal(
        dbt_io.read_sample_with(con.table("features"), con.table("customers"), [], 100), plain
    )
    sample = dbt_io.read_sample_with(
        con.table("features"), con.table("customers"), ["open_rate"], 100
    )
    assert list(sample.columns) == [*plain.columns, "open_rate"]
    assert sample["open_rate"].dtype == "float64"
    assert (sample["open_rate"] == sample["value"]).all()
    assert sample["customer_id"].is_monotonic_increasing and len(sample) == 100


# ------------------------------------------------------------------------------- a whole refit


PREPROCESS = PreprocessConfig(features=FEATURES, log1p_features=("spend",))


def refit_version(sample, stored_frame, settings=SETTINGS, preprocess=PREPROCESS):
    """fit_new_version with the small test grid (the engine's slow metrics cut down)."""
    versions = [] if stored_frame is None else stored_versions(stored_frame)
    decision = decide_refit(
        versions,
        as_of_date=AS_OF,
        preprocess_config={},
        selection_settings={},
        refit_requested=True,
        refit_after_days=30,
        drift_recommended=None,
    )
    small = small_config(settings)
    grid = replace(
        settings,
        algorithms=small.algorithms,
        k_min=min(small.k_values),
        k_max=max(small.k_values),
    )
    messages: list[str] = []
    row = fit_new_version(
        sample,
        preprocess=preprocess,
        selection=grid,
        decision=decision,
        stored_frame=stored_frame,
        as_of_date=AS_OF,
        n_customers=len(sample),
        trained_at=datetime(2026, 11, 2, tzinfo=UTC),
        progress=messages.append,
    )
    return row, messages


def test_fit_new_version_numbers_versions_and_keeps_ids() -> None:
    sample = blobs()
    first, messages = refit_version(sample, None)
    assert first["model_version"] == 1
    assert first["previous_model_version"] is None
    assert any(m.startswith("kmeans k=3") for m in messages)  # per-candidate progress
    assert messages[-1].startswith("version 1: kmeans with 3 segments")

    stored_frame = versions_table([first]).to_pandas()
    second, _ = refit_version(sample.iloc[::-1].sort_values("customer_id"), stored_frame)
    assert second["model_version"] == 2
    assert second["previous_model_version"] == 1
    assert json.loads(second["matched_segment_ids_json"]) == json.loads(first["segment_ids_json"])
    assert json.loads(second["new_segment_ids_json"]) == []
    assert (first["segment_id_matching"], second["segment_id_matching"]) == (
        "first_version",
        "previous_model_rescored",
    )
    first_model, second_model = json.loads(first["model_json"]), json.loads(second["model_json"])
    for part in ("preprocessor", "cluster_model", "segment_ids"):  # deterministic refit
        assert second_model[part] == first_model[part]


def test_fit_new_version_explains_when_no_candidate_is_eligible() -> None:
    impossible = selection(
        algorithms=("kmeans",), k_min=2, k_max=3, min_segment_share=0.5, max_segment_share=0.6
    )
    with pytest.raises(RuntimeError, match="segment_min_share"):
        refit_version(blobs(), None, settings=impossible)


def test_fit_new_version_after_a_feature_change_rescores_with_the_previous_features() -> None:
    """The sample carries a feature the new config dropped: ids are matched, not renewed."""
    sample = blobs()
    first, _ = refit_version(sample, None)
    stored_frame = versions_table([first]).to_pandas()
    fewer = PreprocessConfig(features=("spend", "visits"), log1p_features=("spend",))
    second, messages = refit_version(sample, stored_frame, preprocess=fewer)
    assert json.loads(second["features_json"]) == ["spend", "visits"]
    assert second["segment_id_matching"] == "previous_model_rescored"
    assert json.loads(second["new_segment_ids_json"]) == []
    assert sorted(v for _, v in json.loads(second["segment_ids_json"])) == [1, 2, 3]
    assert "matched by previous_model_rescored" in messages[-1]

    # without the dropped feature's values there is nothing to score: all ids are new
    third, messages = refit_version(sample.drop(columns="score"), stored_frame, preprocess=fewer)
    assert third["segment_id_matching"] == "none"
    assert sorted(v for _, v in json.loads(third["segment_ids_json"])) == [4, 5, 6]
    assert any("features ['score'] are not available" in m for m in messages)


# --------------------------------------------------------------- single-segment fallback


def test_too_few_customers_fit_the_single_segment_fallback() -> None:
    sample = blobs().head(12)
    row, messages = refit_version(sample, None)
    note = row["selection_note"]
    assert note.startswith("single-segment fallback: the fit sample has 12 customers")
    assert "fewer than the minimum 50 (var segment_min_customers" in note
    assert any(m.startswith(note) for m in messages)
    assert (row["algorithm"], row["n_clusters"], row["composite_score"]) == (
        "single_segment",
        1,
        None,
    )
    assert json.loads(row["segment_ids_json"]) == [[0, 1]]
    assert json.loads(row["segment_sizes_json"]) == [[1, 12]]

    candidates = candidates_table(row).to_pandas()
    assert len(candidates) == 1
    only = candidates.iloc[0]
    assert only["algorithm"] == "single_segment" and only["is_selected"]
    assert not only["is_eligible"] and only["ineligible_reason"] == note
    assert candidates[["silhouette", "stability", "composite_score"]].isna().all().all()

    # the derived tables and the scoring of a later batch work as for any version
    assert preprocessing_table([row]).num_rows > 0
    centroids = centroids_table([row]).to_pandas()
    assert not centroids["is_nearest_centroid_model"].any()
    segmentation = segmentation_from_row(row)
    batch = assign_batch(segmentation, blobs(), model_version=1, as_of_date=AS_OF)
    assert set(batch.column("segment_id").to_pylist()) == {1}


def test_one_customer_keeps_no_feature_and_still_gets_segment_one() -> None:
    row, _ = refit_version(blobs().head(1), None, settings=selection(min_customers=1))
    assert "fewer than the minimum 10" in row["selection_note"]
    preprocessing = json.loads(row["preprocessing_json"])
    assert preprocessing["kept_columns"] == []
    assert centroids_table([row]).num_rows == 0
    segmentation = segmentation_from_row(row)
    assigned = segmentation.assign_frame(blobs(), key_column="customer_id")
    assert (assigned["segment_id"] == 1).all()
    assert (assigned["distance_or_probability"] == 0).all()


def test_no_usable_feature_fits_the_single_segment_fallback() -> None:
    constant = blobs().assign(spend=5.0, visits=1.0, score=np.nan)
    row, _ = refit_version(constant, None)
    assert row["algorithm"] == "single_segment"
    assert row["selection_note"] == (
        "single-segment fallback: no feature survived preprocessing on the 360 customers of "
        "the fit sample (all_null: score; near_constant: spend, visits)"
    )


def test_the_first_real_model_after_the_fallback_matches_segment_one_by_overlap() -> None:
    """Segment 1 holds everyone: a new cluster keeps it only with a Jaccard of at least 0.3."""
    sample = blobs()
    toy, _ = refit_version(sample.head(5), None)
    stored_frame = versions_table([toy]).to_pandas()
    real, _ = refit_version(sample, stored_frame)
    assert real["algorithm"] == "kmeans"
    # three clusters of a third each (Jaccard 1/3 with segment 1): one of them keeps id 1
    assert [v for _, v in json.loads(real["matched_segment_ids_json"])] == [1]
    assert json.loads(real["new_segment_ids_json"]) == [2, 3]
