"""The segment model registry: one row per fitted model version, kept across every build.

Each build applies the refit policy (`custseg.segments.refit.decide_refit`, docs block
`segment_refit_policy`), with the previous build's drift verdict from
`int_segment_refit_signals`. A build that re-scores appends nothing; a build that refits fits
the candidates on a deterministic sample of `int_segment_features` (or, with too few
customers or no usable feature, the documented single-segment fallback), keeps stable
segment ids by scoring the same sample with the previous model and matching the clusters by
overlap, and appends one row. When the feature list changed, the previous model's features
that are no longer configured are read from `int_customers_joined` for the sample's customers.
Incremental with `full_refresh: false`, so `--full-refresh` keeps the history.
"""

from datetime import UTC, datetime

from custseg import project_vars
from custseg.dbt_io import (
    count_rows,
    log_progress,
    read_relation,
    read_sample_with,
    read_table,
    to_engine,
)
from custseg.pause_points import pause_at
from custseg.segments import fitting, refit, registry, stable_ids
from custseg.segments.settings import (
    KEY_COLUMN,
    SelectionSettings,
    features_from_config,
    preprocess_config,
)

MODEL = "int_segment_model_versions"


def model(dbt, session):
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    features, log1p = features_from_config(
        read_relation(dbt.ref("int_segment_feature_config"), model=MODEL)
    )
    preprocess = preprocess_config(features, log1p, dbt.config.get("segment_preprocessing"))
    selection = SelectionSettings.from_vars(
        {
            "algorithms": dbt.config.get("algorithms"),
            "segment_k_min": dbt.config.get("segment_k_min"),
            "segment_k_max": dbt.config.get("segment_k_max"),
            "segment_algorithm": dbt.config.get("segment_algorithm"),
            "segment_n_clusters": dbt.config.get("segment_n_clusters"),
            "segment_min_share": dbt.config.get("segment_min_share"),
            "segment_max_share": dbt.config.get("segment_max_share"),
            "segment_ward_sample_size": dbt.config.get("segment_ward_sample_size"),
            "segment_min_customers": dbt.config.get("segment_min_customers"),
        }
    )
    # dbt finds config keys only in calls it can see: read each into a variable first
    sample_size = dbt.config.get("segment_sample_size")
    sample_size = project_vars.integer("segment_sample_size", sample_size, minimum=1)
    refit_after_days = dbt.config.get("refit_after_days")
    refit_after_days = project_vars.integer("refit_after_days", refit_after_days, minimum=0)
    refit_requested = dbt.config.get("refit")
    refit_requested = project_vars.boolean("refit", refit_requested)

    features_relation = dbt.ref("int_segment_features")
    n_customers = count_rows(features_relation)
    stored_frame = read_table(session, dbt.this, model=MODEL) if dbt.is_incremental else None
    stored = [] if stored_frame is None else registry.stored_versions(stored_frame)
    current = refit.active_version(stored, as_of_date)
    drift = refit.drift_signal(
        read_relation(dbt.ref("int_segment_refit_signals"), model=MODEL),
        None if current is None else current.model_version,
    )
    decision = refit.decide_refit(
        stored,
        as_of_date=as_of_date,
        preprocess_config=preprocess.to_dict(),
        selection_settings=selection.to_dict(),
        refit_requested=refit_requested,
        refit_after_days=refit_after_days,
        drift_recommended=drift,
        fit_rows=min(n_customers, sample_size),
        min_fit_rows=selection.minimum_customers(),
    )
    log_progress(f"{MODEL}: as-of date {as_of_date}: {decision.describe()}")
    if not decision.refit:
        return to_engine(session, registry.versions_table([]))

    # The previous model scores the same sample to match segment ids, with its own features:
    # those no longer configured come from int_customers_joined (the fit ignores extra columns).
    previous = stable_ids.previous_segmentation(stored_frame, decision)
    missing = stable_ids.missing_previous_features(previous, features_relation.columns)
    customers = dbt.ref("int_customers_joined")
    readable = [name for name in missing if name in customers.columns]
    if readable:
        log_progress(
            f"{MODEL}: previous model's features {readable} read from int_customers_joined"
        )
    sample = read_sample_with(
        features_relation, customers, readable, sample_size, KEY_COLUMN, model=MODEL
    )
    log_progress(
        f"{MODEL}: fitting on a deterministic sample of {len(sample):,} of {n_customers:,} "
        f"customers; candidates {', '.join(selection.algorithms)}, "
        f"k {selection.k_min}..{selection.k_max}"
    )
    row = fitting.fit_new_version(
        sample,
        preprocess=preprocess,
        selection=selection,
        decision=decision,
        stored_frame=stored_frame,
        as_of_date=as_of_date,
        n_customers=n_customers,
        trained_at=datetime.now(UTC),
        progress=lambda message: log_progress(f"{MODEL}: {message}"),
    )
    # kill tests: the fit is done, its registry row not written yet
    pause_at("fit")
    return to_engine(session, registry.versions_table([row]))
