"""Resolved segment merges from seed `segment_overrides`: one row per merged-away segment.

A row `from_segment_id -> to_segment_id` moves every customer of `from_segment_id` into
`to_segment_id` (chains followed). The logic and its checks (no self-merge, no cycle, the
no-purchase segment 0 never merges) are in `custseg.segment_marts.resolve_merges`.
"""

from custseg import segment_marts
from custseg.dbt_io import log_progress, read_relation


def model(dbt, session):
    overrides = read_relation(dbt.ref("segment_overrides"))
    merges = segment_marts.resolve_merges(overrides)
    for source, target in segment_marts.merge_dict(merges).items():
        log_progress(f"int_segment_merges_resolved: segment {source} is merged into {target}")
    return merges
