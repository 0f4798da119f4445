"""Resolved segment merges from seed `segment_overrides`: one row per merged-away segment.

A row `from_segment_id -> to_segment_id` moves every customer of `from_segment_id` into
`to_segment_id` (chains followed). This is the one place the seed's merges are resolved and
checked (no self-merge, no cycle, the no-purchase segment never merges; errors name the seed
row): `custseg.segment_marts.overrides.resolve_merges`. SQL applies the table to the customers
(`int_customer_segments_merged`).
"""

from custseg.dbt_io import log_progress, read_relation, to_engine
from custseg.segment_marts.overrides import resolve_merges

MODEL = "int_segment_merges_resolved"


def model(dbt, session):
    merges = resolve_merges(read_relation(dbt.ref("segment_overrides"), model=MODEL))
    for row in merges.itertuples(index=False):
        log_progress(f"{MODEL}: segment {row.from_segment_id} is merged into {row.to_segment_id}")
    return to_engine(session, merges)
