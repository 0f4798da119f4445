"""Preprocessing parameters of every stored segment model version, one row per column.

Unpacked from the engine's model JSON in `int_segment_model_versions`: per feature the
log1p flag, clip bounds and imputation value; per kept column (feature or null indicator)
the scaler's center and scale. The SQL scoring macro `score_nearest_centroid` applies them.
"""

from custseg.dbt_io import read_relation, to_engine
from custseg.segments import registry_tables

MODEL = "int_segment_preprocessing"


def model(dbt, session):
    versions = read_relation(dbt.ref("int_segment_model_versions"), model=MODEL)
    rows = versions.sort_values("model_version").to_dict("records")
    return to_engine(session, registry_tables.preprocessing_table(rows))
