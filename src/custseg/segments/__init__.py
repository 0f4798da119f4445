"""The segment models' engine room: everything between the dbt models and the clustering engine.

Pure functions and value objects, no dbt import and no I/O (the models read and log through
:mod:`custseg.dbt_io`). One module per concept, in the order a build uses them:

* :mod:`~custseg.segments.settings`: the dbt vars of the segment models, typed and checked
  (features, preprocessing overrides, candidate search settings).
* :mod:`~custseg.segments.refit`: the refit policy, whether a build fits a new model version
  or re-scores with a stored one, and which stored version a build uses.
* :mod:`~custseg.segments.registry`: the model registry's rows (``int_segment_model_versions``)
  and how to read them back.
* :mod:`~custseg.segments.stable_ids`: segment ids that persist across refits.
* :mod:`~custseg.segments.fitting`: one refit, from the fit sample to a registry row.
* :mod:`~custseg.segments.registry_tables`: the candidates, centroids and preprocessing
  parameters of stored versions, unpacked into tables.
* :mod:`~custseg.segments.assign`: every customer's segment, streamed batch by batch.
"""
