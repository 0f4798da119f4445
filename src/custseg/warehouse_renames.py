"""Relations renamed by issue 13 and moved by issue 15 (README "Changes").

The on-run-start macro `upgrade_renamed_relations` applies the same lists to a warehouse in
place; `tests/python/test_upgrade_in_place.py` checks that they agree.
"""

RENAMED_RELATIONS = {
    "dim_segment_model_versions": "int_segment_model_versions",
    "fct_customer_segments": "int_customer_segments_assigned",
    "rpt_clv_parameters": "int_clv_parameters_fitted",
    "int_segment_runs_ordered": "fct_segment_runs",
}

MOVED_RELATIONS = {
    "dim_customer_contacts": ("marts", "restricted"),
    "rpt_rejected_rows_restricted": ("marts", "restricted"),
}
"""Relations that keep their name but moved schema: name -> (old schema, new schema). They
hold personal data, so the old copy is dropped from the published schema `marts`."""
