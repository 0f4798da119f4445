"""Names, descriptions, recommended actions, owners and rules of the current segments.

Automatic and deterministic (`custseg.segment_marts.naming.name_mart_segments`): names and
descriptions come from the segment profiles of `int_segment_profiles_computed`, actions
from seed `segment_playbook`, then seed `segment_overrides` replaces any non-blank value by
stable `segment_id`. Readable rules come from a shallow decision tree
(`custseg.segment_marts.rules`) on the first var `segment_rule_sample_size` customers of
`int_segment_features_sampled`.
"""

from custseg import project_vars
from custseg.dbt_io import log_progress, read_relation, to_engine
from custseg.formatting import currency_symbol
from custseg.sampling import first_ranked
from custseg.segment_marts.naming import name_mart_segments
from custseg.segment_marts.rules import segment_rules
from custseg.segments import settings as segment_settings

MODEL = "int_segments_named"


def model(dbt, session):
    # each dbt.config.get stands alone: dbt only finds the keys of calls it can see in the AST
    configured_size = dbt.config.get("segment_rule_sample_size")
    configured_currency = dbt.config.get("reporting_currency")
    sample_size = project_vars.integer("segment_rule_sample_size", configured_size, minimum=2)
    currency = currency_symbol(project_vars.required("reporting_currency", configured_currency))
    profiles = read_relation(
        dbt.ref("int_segment_profiles_computed"),
        order_by="feature_position, segment_id",
        model=MODEL,
    )
    overrides = read_relation(dbt.ref("segment_overrides"), model=MODEL)
    playbook = read_relation(dbt.ref("segment_playbook"), model=MODEL)
    merges = read_relation(dbt.ref("int_segment_merges_resolved"), model=MODEL)
    features, _ = segment_settings.features_from_config(
        read_relation(dbt.ref("int_segment_feature_config"), model=MODEL)
    )
    sample = first_ranked(
        read_relation(dbt.ref("int_segment_features_sampled"), model=MODEL), sample_size
    )
    log_progress(
        f"{MODEL}: rules from a decision tree on {len(sample):,} sampled customers, "
        f"{len(features)} features"
    )
    rules = segment_rules(sample, sample["segment_id"], features, max_rows=sample_size)
    named = name_mart_segments(
        profiles,
        overrides=overrides,
        merges=merges,
        playbook=playbook,
        rules=rules,
        currency=currency,
    )
    for row in named.segments.itertuples(index=False):
        log_progress(f"{MODEL}: segment {row.segment_id}: {row.segment_name}")
    if named.unknown_segment_ids:
        log_progress(
            f"{MODEL}: seed segment_overrides names segment ids the model does not have "
            f"(ignored): {list(named.unknown_segment_ids)}"
        )
    return to_engine(session, named.segments)
