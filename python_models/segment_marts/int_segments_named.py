"""Names, descriptions, recommended actions, owners and rules of the current segments.

Automatic and deterministic (`custseg.naming`): names and descriptions come from the segment
profiles of `int_segment_profiles_computed`, actions from seed `segment_playbook`, then seed
`segment_overrides` replaces any non-blank value by stable `segment_id`. Readable rules come
from a shallow decision tree on a bounded, deterministic sample of the clustered customers
(var `segment_rule_sample_size`, default 20,000: those with the smallest md5 hash of
`customer_id`). The logic is in `custseg.segment_marts.name_mart_segments`.
"""

from custseg import segment_marts
from custseg.dbt_io import log_progress, read_relation, read_sample
from custseg.naming import remap_segment_ids
from custseg.segments.settings import features_from_config

MODEL = "int_segments_named"


def model(dbt, session):
    # each dbt.config.get stands alone: dbt only finds the keys of calls it can see in the AST
    configured_size = dbt.config.get("segment_rule_sample_size")
    sample_size = int(configured_size or 20_000)
    currency = segment_marts.currency_symbol(dbt.config.get("reporting_currency"))
    profiles = read_relation(
        dbt.ref("int_segment_profiles_computed"), order_by="feature_position, segment_id"
    )
    overrides = read_relation(dbt.ref("segment_overrides"))
    playbook = read_relation(dbt.ref("segment_playbook"))
    merges = segment_marts.merge_dict(read_relation(dbt.ref("int_segment_merges_resolved")))
    features, _ = features_from_config(read_relation(dbt.ref("int_segment_feature_config")))

    # the same customers in both samples: both hold exactly the clustered customers
    feature_sample = read_sample(dbt.ref("int_segment_features"), sample_size)
    label_sample = read_sample(dbt.ref("fct_customer_segments"), sample_size)
    sample = feature_sample.merge(
        label_sample[["customer_id", "segment_id"]], on="customer_id", how="inner"
    )
    labels = remap_segment_ids(sample["segment_id"], merges)
    log_progress(
        f"{MODEL}: rules from a decision tree on {len(sample):,} sampled customers, "
        f"{len(features)} features"
    )
    rules = segment_marts.segment_rules(sample, labels, features, max_rows=sample_size)
    named = segment_marts.name_mart_segments(
        profiles, overrides=overrides, playbook=playbook, rules=rules, currency=currency
    )
    for row in named.itertuples(index=False):
        log_progress(f"{MODEL}: segment {row.segment_id}: {row.segment_name}")
    unknown = sorted(set(overrides["segment_id"]) - set(named["segment_id"]) - set(merges))
    if unknown:
        log_progress(
            f"{MODEL}: seed segment_overrides names segment ids the model does not have "
            f"(ignored): {unknown}"
        )
    return named
