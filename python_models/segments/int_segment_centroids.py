"""Centroids of every stored segment model version, one row per version x segment x column.

Unpacked from the engine's model JSON in `int_segment_model_versions`, in the preprocessed
space, for the portable SQL scoring macro `score_nearest_centroid`.
"""

from custseg.dbt_io import read_relation
from custseg.segments import registry_tables


def model(dbt, session):
    versions = read_relation(dbt.ref("int_segment_model_versions"))
    return registry_tables.centroids_table(versions.sort_values("model_version").to_dict("records"))
