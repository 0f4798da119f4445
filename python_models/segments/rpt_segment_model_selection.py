"""Why this build's segment model was chosen: every candidate of its fit, with the metrics.

One row per algorithm x candidate (k, or density parameters) of the model version this build
uses (the latest trained on or before the as-of date), read from the candidates stored with
that version in `int_segment_model_versions`, so a re-scoring build shows the same table.
"""

from custseg import segments_dbt
from custseg.dbt_io import read_relation


def model(dbt, session):
    as_of_date = read_relation(dbt.ref("int_as_of_date"))["as_of_date"].dt.date.iloc[0]
    versions = read_relation(dbt.ref("int_segment_model_versions"))
    return segments_dbt.candidates_table(segments_dbt.active_version_row(versions, as_of_date))
