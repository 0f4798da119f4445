"""Relations renamed by issue 13 (README "Changes"): old name -> new name.

The on-run-start macro `upgrade_renamed_relations` applies the same list to a warehouse in
place; `tests/python/test_upgrade_in_place.py` checks that the two lists agree.
"""

RENAMED_RELATIONS = {
    "dim_segment_model_versions": "int_segment_model_versions",
    "fct_customer_segments": "int_customer_segments_assigned",
    "rpt_clv_parameters": "int_clv_parameters_fitted",
    "int_segment_runs_ordered": "fct_segment_runs",
}
