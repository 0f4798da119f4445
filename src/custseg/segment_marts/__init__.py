"""Describing segments to the business: the logic of `python_models/segment_marts/`.

- `overrides`: renames and merges from seed `segment_overrides` (merges resolved once here;
  customers are merged in SQL, `int_customer_segments_merged`);
- `naming`: segment names and descriptions from the profiles;
- `playbook`: recommended actions from seed `segment_playbook`;
- `rules`: readable decision-tree rules that say who is in a segment;
- `profiling`: distinguishing features from the SQL profiles;
- `plots`: the charts of the docs;
- `catalog`: the segment catalog (docs block and Markdown) written by the build.
"""
