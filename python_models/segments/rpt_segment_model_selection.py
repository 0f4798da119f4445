"""Why this build's segment model was chosen: every candidate of its fit, with the metrics.

One row per algorithm x candidate (k, or density parameters) of the model version this build
uses (the latest trained on or before the as-of date), read from the candidates stored with
that version in `int_segment_model_versions`, so a re-scoring build shows the same table.
"""

from custseg.dbt_io import read_relation, to_engine
from custseg.segments import registry, registry_tables

MODEL = "rpt_segment_model_selection"


def model(dbt, session):
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    versions = read_relation(dbt.ref("int_segment_model_versions"), model=MODEL)
    active = registry.active_version_row(versions, as_of_date)
    return to_engine(session, registry_tables.candidates_table(active))
