"""Centroids of every stored segment model version, one row per version x segment x column.

Unpacked from the engine's model JSON in `int_segment_model_versions`, in the preprocessed
space, for the portable SQL scoring macro `score_nearest_centroid`.
"""

from custseg.dbt_io import read_relation, to_engine
from custseg.segments import registry_tables

MODEL = "int_segment_centroids"


def model(dbt, session):
    versions = read_relation(dbt.ref("int_segment_model_versions"), model=MODEL)
    rows = versions.sort_values("model_version").to_dict("records")
    return to_engine(session, registry_tables.centroids_table(rows))
