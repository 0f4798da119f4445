"""Relations renamed by issue 13 (README "Changes"): old name -> new name.

The on-run-start macro `upgrade_renamed_relations` applies the same list to a warehouse in
place; `tests/python/test_upgrade_in_place.py` checks that the two lists agree.
"""

RENAMED_RELATIONS = {
    "int_segment_model_versions": "int_segment_model_versions",
    "int_customer_segments_assigned": "int_customer_segments_assigned",
    "int_clv_parameters_fitted": "int_clv_parameters_fitted",
}
